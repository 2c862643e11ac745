/**
 * Each node's device, from that node's own Cilium agent: the device its `cilium status` marks
 * "(Direct Routing)" (text) or `kube-proxy-replacement.directRoutingDevice` (JSON), read with the
 * same exec as the `cilium-agent-status` check. Nodes of one cluster need not share a device name
 * (a GPU pool on `ens5`, another on `eth0`), so one detection is never applied to every node.
 *
 * A node whose agent shows no direct-routing device falls back to the route towards another node
 * (runner/device.ts, in its node-probe pod), else to `eth0`; every fallback is recorded as evidence
 * (the commands and their output) and as a line the runner publishes, never only on stderr.
 */
import { STATUS_SCRIPT, readAgentStatus } from "../checks/defs/status";
import { agentTarget, probeOn } from "../checks/defs/common";
import { shCommand } from "../checks/probes";
import type { Evidence, ExecResult, Executor, LabContext, ProbeStep } from "../checks/types";
import { deviceOfRouteGet } from "./device";
import type { RunReport } from "./results";
import { sampleContext } from "./sample";
import { DEFAULT_MAX_CONCURRENT_EXECS, ExecLimiter } from "./schedule";

/** Where one node's device came from. */
export interface NodeDeviceSource {
  readonly device: string;
  /** `cilium status (Direct Routing)`, `route to <ip> (fallback)` or `default eth0 (fallback)`. */
  readonly source: string;
  /** Why the agent's own answer was not used (fallbacks only). */
  readonly problem?: string;
}

/** The outcome of a per-node detection. */
export interface NodeDeviceDetection {
  readonly devices: Readonly<Record<string, string>>;
  readonly sources: Readonly<Record<string, NodeDeviceSource>>;
  /** The commands behind every fallback, with their output. */
  readonly evidence: readonly Evidence[];
  /** One line per fallback, for the run's published problems. */
  readonly problems: readonly string[];
}

const STATUS_TIMEOUT_SECONDS = 45;
const ROUTE_TIMEOUT_SECONDS = 10;

function evidenceOf(r: ExecResult): Evidence {
  let output = r.stdout;
  if (r.stderr !== "") output += (output === "" || output.endsWith("\n") ? "" : "\n") + r.stderr;
  return { command: r.command, output, exitCode: r.exitCode, timedOut: r.timedOut };
}

/** The direct-routing device an agent's status exec shows, or why there is none. */
export function directRoutingDeviceOf(
  step: ProbeStep,
  result: ExecResult,
): { device?: string; problem?: string } {
  const read = readAgentStatus(step, new Map([[step.id, result]]));
  if ("judgement" in read) return { problem: read.judgement.reason };
  const device = read.status.directRoutingDevice;
  if (device === undefined || !/^[A-Za-z0-9_.@-]{1,15}$/.test(device)) {
    return { problem: "cilium status shows no direct-routing device" };
  }
  return { device };
}

/** The check name detection's execs carry in a plan and a recording. */
export const DEVICE_DETECTION = "node-device";

/** One node's status step: the same exec as cilium-agent-status's, in that node's agent. */
function statusStep(node: string, agent: LabContext["ciliumPods"][number]): ProbeStep {
  return {
    id: `device:${node}`,
    target: agentTarget(agent),
    argv: shCommand(STATUS_SCRIPT),
    timeoutSeconds: STATUS_TIMEOUT_SECONDS,
  };
}

/**
 * What detection execs, for the plan (`--dry-run`): one status exec per probed node that has an
 * agent, on the nodes the checks probe (runner/sample.ts), and at most one fallback exec per such
 * node (`ip -o route get`, only when the agent shows no device).
 */
export function deviceDetectionPlan(
  ctx: LabContext,
  opts: { allNodes?: boolean } = {},
): {
  readonly steps: readonly ProbeStep[];
  readonly nodes: readonly string[];
  readonly fallbackAtMost: number;
} {
  const sampled = sampleContext(ctx, opts);
  const steps: ProbeStep[] = [];
  let fallbackAtMost = 0;
  for (const node of sampled.nodes) {
    const agent = sampled.ciliumPods.find((p) => p.node === node.name);
    if (agent !== undefined) steps.push(statusStep(node.name, agent));
    if (probeOn(sampled, node.name) !== undefined) fallbackAtMost += 1;
  }
  return { steps, nodes: sampled.nodes.map((n) => n.name), fallbackAtMost };
}

/** Options of {@link detectNodeDevices}. */
export interface DetectOptions {
  /** Detect on every node (`--all-nodes`); by default only on the nodes the checks probe. */
  readonly allNodes?: boolean;
  /** Execs at once (`--max-execs`); a limiter of its own is made from it unless one is given. */
  readonly maxConcurrentExecs?: number;
  readonly limiter?: ExecLimiter;
  /** Called once per exec started (counts). */
  readonly onExec?: () => void;
}

/**
 * Asks the agent of each node the checks probe (runner/sample.ts: 3 nodes by default, every node with
 * `allNodes`) for its direct-routing device, each exec through the exec limiter (at most
 * `maxConcurrentExecs` at once), and falls back per node as described above. Nodes left out of the
 * sample get no entry: the checks never look at their device (`deviceOn` falls back to the context's
 * `nodeDevice`, the device most probed nodes use).
 */
export async function detectNodeDevices(
  ctx: LabContext,
  executor: Executor,
  opts: DetectOptions = {},
): Promise<NodeDeviceDetection> {
  const sampled = sampleContext(ctx, { allNodes: opts.allNodes });
  const limiter = opts.limiter ?? new ExecLimiter(opts.maxConcurrentExecs ?? DEFAULT_MAX_CONCURRENT_EXECS);
  const exec: Executor["exec"] = async (target, argv, o) => {
    const release = await limiter.acquire(1);
    try {
      opts.onExec?.();
      return await executor.exec(target, argv, o);
    } finally {
      release();
    }
  };
  const outcomes = await Promise.all(
    sampled.nodes.map(
      async (node): Promise<{ node: string; source: NodeDeviceSource; evidence: Evidence[] }> => {
        const agent = sampled.ciliumPods.find((p) => p.node === node.name);
        const evidence: Evidence[] = [];
        let problem = `no Cilium agent on ${node.name}`;
        if (agent !== undefined) {
          const step = statusStep(node.name, agent);
          const r = await exec(step.target, step.argv, { timeoutSeconds: step.timeoutSeconds });
          const found = directRoutingDeviceOf(step, r);
          if (found.device !== undefined) {
            return {
              node: node.name,
              source: { device: found.device, source: "cilium status (Direct Routing)" },
              evidence,
            };
          }
          problem = `${agent.name}: ${found.problem ?? "no device"}`;
          evidence.push(evidenceOf(r));
        }
        // Fallback 1: the route this node takes towards another node, read in its node-probe pod.
        const probe = probeOn(sampled, node.name);
        const peer = sampled.nodes.find((n) => n.name !== node.name);
        if (probe !== undefined) {
          const argv = peer
            ? ["ip", "-o", "route", "get", peer.internalIp]
            : ["ip", "-o", "route", "show", "default"];
          const r = await exec({ namespace: probe.namespace, pod: probe.name }, argv, {
            timeoutSeconds: ROUTE_TIMEOUT_SECONDS,
          });
          evidence.push(evidenceOf(r));
          const device = r.exitCode === 0 ? deviceOfRouteGet(r.stdout) : undefined;
          if (device !== undefined) {
            const via = peer ? `route to ${peer.internalIp}` : "default route";
            return { node: node.name, source: { device, source: `${via} (fallback)`, problem }, evidence };
          }
          problem += `; the node probe's ${argv.join(" ")} showed no device`;
        } else {
          problem += "; no node-probe pod to read a route from";
        }
        return {
          node: node.name,
          source: { device: "eth0", source: "default eth0 (fallback)", problem },
          evidence,
        };
      },
    ),
  );
  const devices: Record<string, string> = {};
  const sources: Record<string, NodeDeviceSource> = {};
  const problems: string[] = [];
  const evidence: Evidence[] = [];
  for (const o of outcomes) {
    devices[o.node] = o.source.device;
    sources[o.node] = o.source;
    evidence.push(...o.evidence);
    if (o.source.problem !== undefined) {
      problems.push(
        `node device of ${o.node}: ${o.source.device} from ${o.source.source}: ${o.source.problem}`,
      );
    }
  }
  return { devices, sources, evidence, problems };
}

/** Checks whose probes use the node device: a fallback's evidence goes with their results. */
export const DEVICE_CHECKS: readonly string[] = [
  "node-routes",
  "bpf-attach-points",
  "bpf-masquerade",
  "redirect-neigh",
];

/** The device most nodes use: the context's single `nodeDevice` (what recorded contexts and reports read). */
export function commonDevice(devices: Readonly<Record<string, string>>): string {
  const counts = new Map<string, number>();
  for (const d of Object.values(devices)) counts.set(d, (counts.get(d) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0] ?? "eth0";
}

/**
 * The report with the detection in it: `datapath.nodeDevices` ({node: {device, source}}), the
 * fallbacks as problems, and their commands as evidence of every check that used a node device.
 */
export function withNodeDevices(report: RunReport, detection: NodeDeviceDetection): RunReport {
  const fallback = detection.problems.length > 0;
  return {
    ...report,
    results: report.results.map((r) =>
      fallback && DEVICE_CHECKS.includes(r.name)
        ? { ...r, evidence: [...r.evidence, ...detection.evidence] }
        : r,
    ),
    datapath: { ...report.datapath, nodeDevices: detection.sources },
    problems: [...report.problems, ...detection.problems.map((p) => `warning: ${p}`)],
  };
}
