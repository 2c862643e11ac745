/**
 * `nodeport-from-outside`: the NodePort answers a client outside the nodes, through Cilium's BPF
 * NodePort on the node device (`nodeport_lb4`), forwarding to a backend on another node.
 *
 * Why from outside: socket-LB translates `connect()` to a node's IP:NodePort for every socket its
 * cgroup hook sees (cilium/cilium bpf/bpf_sock.c `sock4_wildcard_lookup`; the hook sits at the cgroup
 * v2 root, so the nodes' host namespaces are covered like pods: docs/notes/issue22-mechanisms.md), so
 * a request from a pod or a node probe never reaches `nodeport_lb4` as a packet. The check runner's
 * own machine is outside every node (on kind: the Docker host, on the kind network), so its curl
 * arrives as packets on the addressed node's device.
 *
 * What separates BPF NodePort from another forwarder (kube-proxy's iptables, a userspace proxy):
 * `nodeport_lb4` ("Main node-port entry point for host-external ingressing node-port traffic ...
 * ii) backend is remote EP", cilium/cilium bpf/lib/nodeport.h, several versions in the code index)
 * forwards to a remote backend through the tail call `tail_nodeport_nat_egress_ipv4`, whose SNAT
 * target is `.addr = IPV4_DIRECT_ROUTING` ("SNAT-ing to its IP addr", bpf/lib/nodeport.h
 * @00155816), written to Cilium's BPF NAT map. So the addressed node's `cilium bpf nat list` holds
 * `TCP OUT <client ip>:<client port> -> <backend ip>:80 XLATE_SRC <node ip>:<port>` for the runner's
 * own connection (curl writes out its local end), an entry no netfilter or userspace forwarder writes.
 * The caller of `nodeport_lb4` on the device (bpf/bpf_host.c's from-netdev path) was not read line by
 * line: unverified. Without SNAT (DSR mode, `loadBalancer.mode=dsr`; the lab sets no mode, Cilium's
 * default is SNAT: unverified) the entry is not there and the check says it cannot tell.
 */
import { shellJoin } from "../../lib/shell";
import { parseBpfNatList } from "../parse";
import {
  curlCommand,
  curlWorstCaseSeconds,
  parallelSectionScript,
  parseCurlOutput,
  shCommand,
  splitSections,
  withTimeout,
} from "../probes";
import {
  RUNNER_HOST,
  type CheckDefinition,
  type ExecResult,
  type Judgement,
  type LabContext,
  type LabNode,
  type LabPod,
  type ProbeStep,
} from "../types";
import { excerpt, fail, inconclusive, pass, usableStep } from "../verdict";
import {
  STEP_MARGIN_SECONDS,
  TEST_POD_PORT,
  agentOn,
  agentTarget,
  differsFrom,
  list,
  settingOf,
  stepById,
} from "./common";
import { SERVICE_CURL, judgeHttp } from "./services";

/** Requests per node: with one backend per node, all three answer locally with chance (1/N)^3. */
export const OUTSIDE_REQUESTS = 3;
const OUTSIDE_CURL = { ...SERVICE_CURL, local: true } as const;
const NAT_TIMEOUT_SECONDS = 15;

/** curl exit codes meaning the runner's host could not reach the address (refused, timed out, no route). */
const UNREACHED_EXIT_CODES: readonly number[] = [7, 28];

function section(node: LabNode, port: number, i: number): string {
  return `${node.internalIp}:${port}#${i}`;
}

function natStepId(node: string): string {
  return `nat:${node}`;
}

function outsideSteps(ctx: LabContext): ProbeStep[] {
  if (ctx.nodes.length === 0) return [];
  const port = ctx.service.nodePort;
  const sections = ctx.nodes.flatMap((n) =>
    Array.from({ length: OUTSIDE_REQUESTS }, (_, i) => ({
      name: section(n, port, i + 1),
      command: shellJoin(curlCommand(`http://${n.internalIp}:${port}/`, OUTSIDE_CURL)),
    })),
  );
  const steps: ProbeStep[] = [
    {
      id: "curl",
      target: RUNNER_HOST,
      argv: shCommand(parallelSectionScript(sections)),
      timeoutSeconds: curlWorstCaseSeconds(OUTSIDE_CURL) + STEP_MARGIN_SECONDS,
    },
  ];
  for (const node of ctx.nodes) {
    const agent = agentOn(ctx, node.name);
    if (agent === undefined) continue;
    steps.push({
      id: natStepId(node.name),
      target: agentTarget(agent),
      argv: withTimeout(NAT_TIMEOUT_SECONDS, ["cilium", "bpf", "nat", "list"]),
      timeoutSeconds: NAT_TIMEOUT_SECONDS + STEP_MARGIN_SECONDS,
      startAfter: [{ step: "curl", when: "done" }],
    });
  }
  return steps;
}

/** One answered request: the node addressed, the pod that answered, curl's own end. */
interface Answer {
  readonly node: LabNode;
  readonly url: string;
  readonly backend: LabPod;
  readonly local: string | undefined;
}

/** The addressed node's BPF NAT entry of one answer's flow, or why it was not found. */
function natEntryOf(
  answer: Answer,
  results: ReadonlyMap<string, ExecResult>,
  steps: readonly ProbeStep[],
): { line: string } | { missing: string; tableRead: boolean } {
  const step = stepById(steps, natStepId(answer.node.name));
  if (step === undefined)
    return { missing: `no Cilium agent on ${answer.node.name} to read its BPF NAT table`, tableRead: false };
  const out = usableStep(step, results);
  if (!out.ok) return { missing: out.judgement.reason, tableRead: false };
  const table = parseBpfNatList(out.output);
  if (table.entries.length === 0)
    return {
      missing: `"${step.id}" on ${step.target.pod} printed no BPF NAT entry: ${excerpt(out.output)}`,
      tableRead: false,
    };
  if (answer.local === undefined)
    return { missing: `curl wrote out no local address for ${answer.url}`, tableRead: false };
  const entry = table.entries.find(
    (e) =>
      e.direction === "OUT" &&
      e.xlate === "SRC" &&
      `${e.srcIp}:${e.srcPort}` === answer.local &&
      e.dstIp === answer.backend.ip &&
      e.dstPort === TEST_POD_PORT,
  );
  if (entry === undefined)
    return {
      missing: `no BPF NAT entry for ${answer.local} → ${answer.backend.ip}:${TEST_POD_PORT} in ${step.target.pod}'s \`cilium bpf nat list\` (${table.entries.length} entries)`,
      tableRead: true,
    };
  return { line: entry.line };
}

const UNREACHABLE_FIX =
  "the runner's host is not on the nodes' network (Docker Desktop runs kind inside a VM; a remote or existing cluster's node addresses are not routed here). Run the check from a machine that reaches the nodes' InternalIPs (with kind on Linux: the Docker host); nodeport-from-pod covers the NodePort from inside";

function judgeOutside(ctx: LabContext, results: ReadonlyMap<string, ExecResult>): Judgement {
  const steps = outsideSteps(ctx);
  const curl = stepById(steps, "curl");
  if (curl === undefined) return inconclusive("no nodes known: no NodePort to call");
  if (ctx.testPods.length === 0) return inconclusive("no test pods known: nothing to recognise as a backend");
  const out = usableStep(curl, results);
  if (!out.ok) return out.judgement;
  const sections = splitSections(out.output);
  const port = ctx.service.nodePort;
  const answers: Answer[] = [];
  const unreached: string[] = [];
  const failed: string[] = [];
  const unknown: string[] = [];
  for (const node of ctx.nodes) {
    for (let i = 1; i <= OUTSIDE_REQUESTS; i++) {
      const name = section(node, port, i);
      const url = `http://${node.internalIp}:${port}/ (${node.name})`;
      const s = sections.get(name);
      if (s === undefined) {
        unknown.push(`no output for request ${i} to ${url}`);
        continue;
      }
      const curlOut = parseCurlOutput(s.output);
      if (s.exitCode !== undefined && UNREACHED_EXIT_CODES.includes(s.exitCode) && curlOut.httpCode === 0) {
        unreached.push(`${url}: ${curlOut.errors[curlOut.errors.length - 1] ?? `exit code ${s.exitCode}`}`);
        continue;
      }
      const r = judgeHttp(ctx, url, s.output, s.exitCode);
      const backend = ctx.testPods.find((p) => p.name === r.backend);
      if (r.judgement.verdict === "pass" && backend !== undefined)
        answers.push({ node, url, backend, local: curlOut.local });
      else if (r.judgement.verdict === "fail") failed.push(r.judgement.reason);
      else unknown.push(r.judgement.reason);
    }
  }
  const facts = {
    nodePortFromOutside: {
      answers: answers.map((a) => ({
        node: a.node.name,
        backend: a.backend.name,
        backendNode: a.backend.node,
        client: a.local ?? null,
      })),
      unreached: unreached.length,
    },
  };
  if (answers.length === 0 && failed.length === 0 && unreached.length > 0)
    return inconclusive(
      `the runner's host reached no node's NodePort (${unreached.slice(0, 3).join("; ")}): ${UNREACHABLE_FIX}`,
      facts,
    );
  if (failed.length > 0) return fail(failed.join("; "), facts);
  if (answers.length > 0 && unreached.length > 0)
    return fail(
      `the NodePort answered the runner's host on some nodes but not on others: ${unreached.join("; ")}`,
      facts,
    );
  if (unknown.length > 0) return inconclusive(unknown.join("; "), facts);

  const remote = answers.filter((a) => a.backend.node !== a.node.name);
  if (remote.length === 0)
    return inconclusive(
      `every answer from outside came from a pod on the node addressed (${list(answers.map((a) => `${a.node.name} → ${a.backend.name}`))}): no request was forwarded to another node, so nothing shows the forwarding`,
      facts,
    );
  const found: string[] = [];
  const missing: string[] = [];
  let tableRead = false;
  for (const a of remote) {
    const nat = natEntryOf(a, results, steps);
    const what = `${a.url} from ${a.local ?? "the runner's host"} → ${a.backend.name} (${a.backend.ip}) on ${a.backend.node}`;
    if ("line" in nat) found.push(`${what}, SNAT in ${a.node.name}'s BPF NAT table: \`${nat.line}\``);
    else {
      missing.push(`${what}: ${nat.missing}`);
      tableRead ||= nat.tableRead;
    }
  }
  // Every forwarded answer must show Cilium's SNAT: one without it was forwarded by something else
  // (or its table was not readable), and a pass would rest on part of the evidence.
  if (found.length > 0 && missing.length > 0)
    return inconclusive(
      `some answers from other nodes show Cilium's NodePort SNAT (${found.join("; ")}), others do not: ${missing.join("; ")}`,
      facts,
    );
  if (found.length > 0) {
    const forwarding = new Set(remote.map((a) => a.node.name));
    const unused = ctx.nodes.map((n) => n.name).filter((n) => !forwarding.has(n));
    const note =
      unused.length === 0
        ? ""
        : `; BPF NAT table not needed on ${list(unused)}: every answer there came from its own pod`;
    return pass(
      `BPF NodePort forwarded requests from outside the nodes to a backend on another node: ${found.join("; ")}${note}`,
      facts,
    );
  }
  const why = `answered from another node, but no BPF NAT entry shows Cilium's NodePort SNAT: ${missing.join("; ")}`;
  if (tableRead && settingOf(ctx, "kube-proxy-replacement") !== undefined)
    return differsFrom(
      ctx,
      ["kube-proxy-replacement"],
      `${why}; kube-proxy (not Cilium) may serve the NodePort`,
      facts,
    );
  return inconclusive(
    `${why}. Another forwarder (kube-proxy's iptables, a userspace proxy), DSR mode (no SNAT on the node addressed) or an entry already expired: this evidence cannot tell`,
    facts,
  );
}

export const nodeportFromOutside: CheckDefinition = {
  name: "nodeport-from-outside",
  proves:
    "A request from outside the nodes (the runner's host) to a node's IP:NodePort is forwarded by Cilium's BPF NodePort (nodeport_lb4 on the node device, not socket-LB, which never sees this client) to a backend on another node: the answer names a pod on another node, and the addressed node's BPF NAT table holds the SNAT of that very connection to the node's IP.",
  restsOn: ["kube-proxy-replacement"],
  steps: outsideSteps,
  judge: judgeOutside,
};
