/**
 * `no-kube-proxy`: nothing of kube-proxy is left. Seed: no kube-proxy pod in `kubectl get pods -A`,
 * and after `curl 172.18.0.2:32000` from `net`, `conntrack -L | grep 32000` and
 * `iptables-save | grep 32000` on worker2 print nothing.
 *
 * An empty dump proves nothing on its own, so each node must show iptables rules in at least one of
 * the two backends (kind's and Cilium's own chains are always there) and conntrack must answer with its
 * summary line. The check runs its own curl to the client's node NodePort first (delay 0) and reads
 * conntrack once the curl is done (`startAfter`), because checks run in parallel and the order matters here.
 */
import { shellJoin } from "../../lib/shell";
import { parseIptablesSave } from "../parse";
import {
  conntrackCommand,
  curlCommand,
  curlWorstCaseSeconds,
  sectionScript,
  shCommand,
  splitSections,
  withTimeout,
} from "../probes";
import type { CheckDefinition, ExecResult, Judgement, LabContext, ProbeStep } from "../types";
import { combine, excerpt, fail, inconclusive, pass, type UsableOptions, usableStep } from "../verdict";
import { STEP_MARGIN_SECONDS, list, nodeByName, nodesWithout, podTarget, stepById } from "./common";
import { CURL_DATAPATH_EXIT_CODES, judgeHttp } from "./services";

const DUMP_TIMEOUT_SECONDS = 10;
/** One attempt plus two retries: the NodePort is the service checks' business, this only needs traffic. */
const KUBE_PROXY_CURL = { maxTimeSeconds: 3, retries: 2 } as const;

export const IPTABLES_BACKENDS = ["iptables-legacy-save", "iptables-nft-save"] as const;

/** The node script: both iptables dumps and the conntrack entries for the NodePort. */
export function nodeScript(nodePort: number): string {
  return sectionScript([
    ...IPTABLES_BACKENDS.map((b) => ({
      name: b,
      command: shellJoin(withTimeout(DUMP_TIMEOUT_SECONDS, [b])),
    })),
    { name: "conntrack", command: shellJoin(conntrackCommand(nodePort, DUMP_TIMEOUT_SECONDS)) },
  ]);
}

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
      argv: shCommand(nodeScript(ctx.service.nodePort)),
      timeoutSeconds: 3 * DUMP_TIMEOUT_SECONDS + STEP_MARGIN_SECONDS,
      // conntrack is read once the curl is done, so its entry (if any) is there.
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
): Judgement[] {
  const sections = splitSections(output);
  const parts: Judgement[] = [];
  const nodePort = ctx.service.nodePort;
  let rulesSeen = 0;
  const unusable: string[] = [];
  for (const backend of IPTABLES_BACKENDS) {
    const section = sections.get(backend);
    if (section === undefined || section.exitCode === undefined) {
      unusable.push(`${backend} did not finish`);
      continue;
    }
    if (section.exitCode !== 0) {
      unusable.push(
        `${backend} exited with code ${section.exitCode} (${excerpt(section.output, 120) || "no output"})`,
      );
      continue;
    }
    const dump = parseIptablesSave(section.output);
    rulesSeen += dump.ruleCount + dump.chains.length;
    const kube = dump.chains.filter((c) => /^KUBE-(SERVICES|NODEPORTS|SVC-|SEP-|EXT-|FW-|XLB-)/.test(c));
    if (dump.hasKubeProxyRules) {
      parts.push(
        fail(
          `expected no kube-proxy rules in ${backend} on ${node}, found ${list(kube.slice(0, 5)) || "jumps to KUBE-SVC/KUBE-NODEPORTS"}`,
        ),
      );
    }
    if (dump.nodePortsMentioned.includes(nodePort)) {
      parts.push(
        fail(
          `expected no iptables rule for NodePort ${nodePort} in ${backend} on ${node}, found one in KUBE-NODEPORTS`,
        ),
      );
    }
  }
  if (rulesSeen === 0) {
    const why = unusable.length > 0 ? `: ${unusable.join("; ")}` : " (both dumps are empty)";
    parts.push(inconclusive(`no iptables rules readable on ${node}, so their absence proves nothing${why}`));
  } else if (!parts.some((p) => p.verdict === "fail")) {
    parts.push(pass(`no KUBE-SERVICES/KUBE-NODEPORTS/KUBE-SVC rules on ${node}`));
  }

  const ct = sections.get("conntrack");
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
        fail(
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
  return parts;
}

function judge(ctx: LabContext, results: ReadonlyMap<string, ExecResult>): Judgement {
  const all = steps(ctx);
  const parts: Judgement[] = [];
  if (ctx.kubeProxyPods.length > 0) {
    parts.push(fail(`expected no kube-proxy pods, found ${list([...ctx.kubeProxyPods])}`));
  } else {
    parts.push(pass("no kube-proxy pods"));
  }
  const missing = nodesWithout(ctx, ctx.probePods);
  if (missing.length > 0) parts.push(inconclusive(`no node-probe pod on ${list(missing)}`));

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
    parts.push(...judgeNode(ctx, probe.node, out.output, curlProblem));
  }
  const verdict = combine(parts);
  if (verdict.verdict !== "pass") return verdict;
  return pass(
    `no kube-proxy pods; on ${ctx.probePods.length} nodes no kube-proxy iptables rules (legacy and nft) and no conntrack entry for NodePort ${ctx.service.nodePort} after a NodePort request`,
    { kubeProxy: "absent" },
  );
}

export const noKubeProxy: CheckDefinition = {
  name: "no-kube-proxy",
  proves:
    "No kube-proxy runs and no node has kube-proxy iptables rules (legacy or nft) or netfilter conntrack entries for the NodePort after a NodePort request: services are handled entirely by Cilium's eBPF datapath.",
  steps,
  judge,
};
