/**
 * `no-kube-proxy`: nothing of kube-proxy is left. Seed: no kube-proxy pod in `kubectl get pods -A`,
 * and after `curl 172.18.0.2:32000` from `net`, `conntrack -L | grep 32000` and
 * `iptables-save | grep 32000` on worker2 print nothing.
 *
 * kube-proxy is looked for as pods (`k8s-app=kube-proxy` DaemonSets, static `component=kube-proxy`
 * pods), as signs of an in-process proxy (k3s) found by discovery, and on every node as iptables
 * rules in both backends and an nftables `kube-proxy` table, read with the node's own binaries
 * (kubeProxyNode.ts). An empty dump of the backend the node uses proves nothing, so it must hold
 * rules (kind's, kubelet's and Cilium's chains are always there), and conntrack must answer with its
 * summary line. The check runs its own curl to the client's node NodePort first (delay 0) and reads
 * the nodes once the curl is done (`startAfter`), because checks run in parallel and the order matters here.
 */
import { curlCommand, curlWorstCaseSeconds, shCommand, splitSections } from "../probes";
import type { CheckDefinition, ExecResult, Judgement, LabContext, ProbeStep } from "../types";
import { combine, excerpt, inconclusive, pass, type UsableOptions, usableStep } from "../verdict";
import { STEP_MARGIN_SECONDS, list, nodeByName, nodesWithout, podTarget, stepById } from "./common";
import {
  CONNTRACK_SECTION,
  DUMP_TIMEOUT_SECONDS,
  judgeNodeRules,
  kubeProxyFound,
  nodeRootOf,
  nodeScript,
  type Backend,
} from "./kubeProxyNode";
import { CURL_DATAPATH_EXIT_CODES, judgeHttp } from "./services";

/** One attempt plus two retries: the NodePort is the service checks' business, this only needs traffic. */
const KUBE_PROXY_CURL = { maxTimeSeconds: 3, retries: 2 } as const;

function nodeStepId(node: string): string {
  return `node:${node}`;
}

function steps(ctx: LabContext): ProbeStep[] {
  const clientNode = nodeByName(ctx, ctx.client.node);
  const all: ProbeStep[] = [];
  if (clientNode !== undefined) {
    all.push({
      id: "curl",
      target: podTarget(ctx.client),
      argv: curlCommand(`http://${clientNode.internalIp}:${ctx.service.nodePort}/`, KUBE_PROXY_CURL),
      timeoutSeconds: curlWorstCaseSeconds(KUBE_PROXY_CURL) + STEP_MARGIN_SECONDS,
    });
  }
  for (const probe of ctx.probePods) {
    all.push({
      id: nodeStepId(probe.node),
      target: podTarget(probe),
      argv: shCommand(nodeScript(ctx.service.nodePort, nodeRootOf(ctx))),
      timeoutSeconds: 5 * DUMP_TIMEOUT_SECONDS + STEP_MARGIN_SECONDS,
      // The node is read once the curl is done, so its conntrack entry (if any) is there.
      ...(clientNode === undefined ? {} : { startAfter: [{ step: "curl", when: "done" as const }] }),
    });
  }
  return all;
}

/** `tcp      6 117 TIME_WAIT src=10.0.2.40 dst=172.18.0.2 sport=32794 dport=32000 ...`: entries, not the summary. */
function conntrackEntries(output: string, nodePort: number): string[] {
  return output
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(
      (l) => /^(tcp|udp|icmp|sctp|\w+)\s+\d+\s/.test(l) && new RegExp(`\\bdport=${nodePort}\\b`).test(l),
    );
}

/** conntrack's summary (stderr): "conntrack v1.4.6 (conntrack-tools): 0 flow entries have been shown." */
const CONNTRACK_SUMMARY = /(\d+) flow entries have been shown/;

/** `curlProblem`: why the NodePort request before the conntrack read did not succeed, if it did not. */
function judgeNode(
  ctx: LabContext,
  node: string,
  output: string,
  curlProblem: string | undefined,
): { parts: Judgement[]; backend?: Backend } {
  const sections = splitSections(output);
  const rules = judgeNodeRules(ctx, node, output);
  const parts = [...rules.parts];
  const nodePort = ctx.service.nodePort;
  const ct = sections.get(CONNTRACK_SECTION);
  if (ct === undefined || ct.exitCode === undefined) {
    parts.push(inconclusive(`conntrack did not finish on ${node}`));
  } else if (ct.exitCode !== 0) {
    parts.push(
      inconclusive(
        `conntrack -L exited with code ${ct.exitCode} on ${node}: ${excerpt(ct.output) || "no output"}`,
      ),
    );
  } else {
    const entries = conntrackEntries(ct.output, nodePort);
    if (entries.length > 0) {
      parts.push(
        kubeProxyFound(
          ctx,
          `expected no netfilter conntrack entry for dport ${nodePort} on ${node}, found ${entries.length}: ${excerpt(entries[0], 160)}`,
        ),
      );
    } else if (!CONNTRACK_SUMMARY.test(ct.output)) {
      parts.push(
        inconclusive(
          `conntrack on ${node} printed neither entries nor its summary line: ${excerpt(ct.output) || "no output"}`,
        ),
      );
    } else if (curlProblem !== undefined) {
      // the same words for every node, so combine() states it once
      parts.push(
        inconclusive(
          `no conntrack entry for dport ${nodePort}, but the NodePort request before the read did not succeed (${curlProblem}), so that proves nothing`,
        ),
      );
    } else {
      parts.push(pass(`no conntrack entry for dport ${nodePort} on ${node}`));
    }
  }
  return { parts, backend: rules.backend };
}

function judge(ctx: LabContext, results: ReadonlyMap<string, ExecResult>): Judgement {
  const all = steps(ctx);
  const parts: Judgement[] = [];
  if (ctx.kubeProxyPods.length > 0) {
    parts.push(kubeProxyFound(ctx, `expected no kube-proxy pods, found ${list([...ctx.kubeProxyPods])}`));
  } else {
    parts.push(pass("no kube-proxy pods"));
  }
  for (const signal of ctx.kubeProxySignals ?? [])
    parts.push(kubeProxyFound(ctx, `expected no kube-proxy, found: ${signal}`));
  const missing = nodesWithout(ctx, ctx.probePods);
  if (missing.length > 0) parts.push(inconclusive(`no node-probe pod on ${list(missing)}`));

  const backends: Record<string, Backend> = {};
  let curlProblem: string | undefined = "no NodePort request was made";
  const curlStep = stepById(all, "curl");
  if (curlStep === undefined) {
    parts.push(
      inconclusive(
        `the client's node ${ctx.client.node} is not in the node list: no NodePort traffic to look for`,
      ),
    );
  } else {
    const curlOpts: UsableOptions = { okExitCodes: CURL_DATAPATH_EXIT_CODES };
    const out = usableStep(curlStep, results, curlOpts);
    if (!out.ok) curlProblem = out.judgement.reason;
    else {
      const url = curlStep.argv[curlStep.argv.length - 1];
      const http = judgeHttp(ctx, url, out.output, results.get(curlStep.id)?.exitCode).judgement;
      curlProblem = http.verdict === "pass" ? undefined : http.reason;
    }
  }
  for (const probe of ctx.probePods) {
    const step = stepById(all, nodeStepId(probe.node));
    if (step === undefined) continue;
    const out = usableStep(step, results);
    if (!out.ok) {
      parts.push(out.judgement);
      continue;
    }
    const node = judgeNode(ctx, probe.node, out.output, curlProblem);
    parts.push(...node.parts);
    if (node.backend !== undefined) backends[probe.node] = node.backend;
  }
  const verdict = combine(parts, { iptablesBackends: backends });
  if (verdict.verdict !== "pass") return verdict;
  const inUse = [...new Set(Object.values(backends))].join(" and ");
  return pass(
    `no kube-proxy pods; on ${ctx.probePods.length} nodes no kube-proxy rules in the legacy or nf_tables iptables tables (read with each node's own iptables-*-save; in use: ${inUse}), no kube-proxy nftables table, and no conntrack entry for NodePort ${ctx.service.nodePort} after a NodePort request`,
    { kubeProxy: "absent", iptablesBackends: backends },
  );
}

export const noKubeProxy: CheckDefinition = {
  name: "no-kube-proxy",
  proves:
    "No kube-proxy runs (no kube-proxy pod, static pod or k3s built-in proxy) and no node has kube-proxy rules in either iptables backend or an nftables kube-proxy table, nor netfilter conntrack entries for the NodePort after a NodePort request: services are handled entirely by Cilium's eBPF datapath.",
  restsOn: ["kube-proxy-replacement"],
  steps,
  judge,
};
