/**
 * Pure helpers for running the performance runner from the stack (a Command resource) and turning
 * what it printed into the `performance` output, the way components/checkCommands.ts does for checks.
 */
import { runnerArgv } from "../lib/runnerArgv";
import { shellJoin } from "../lib/shell";
import { DEFAULT_READY_TIMEOUT_SECONDS } from "../runner/runNodeProbe";
import type { LabContext } from "../checks/types";
import { datapathOf, methodLines } from "./datapath";
import { hostCpus, measurementsOf } from "./measurements";
import { PERF_PAIRS } from "./pairs";
import { withAbba } from "./abba";
import { resolvePerfSettings } from "./settings";
import type { DatapathProfile, Performance, PerfSettings } from "./types";

/** Options of {@link perfCommand}. */
export interface PerfCommandOptions extends Partial<PerfSettings> {
  readonly kindCluster?: string;
  readonly kubeconfigPath?: string;
  readonly context?: string;
  readonly namespace: string;
  readonly appLabel: string;
  /** How the stack configured Cilium (perfProfile). */
  readonly datapathProfile?: DatapathProfile;
  /** Seconds after which the whole runner is cut. Defaults to {@link perfWorstCaseSeconds} + 120 (+ the probe wait with nodeProbe run). */
  readonly timeoutSeconds?: number;
  /** The runner's `--node-probe` (run: it creates the node probe for its run and deletes it after). */
  readonly nodeProbe?: "present" | "run" | "off";
  /** Image of the run's node probe (nodeProbe run). */
  readonly nodeProbeImage?: string;
}

/** `KubectlExecutor` ends kubectl this long after a step's timeout (its margin of 5 s, then 2 s). */
const KUBECTL_MARGIN_SECONDS = 7;

const standIn = (name: string, node: string, ip: string) => ({ name, namespace: "default", node, ip });

/** A lab of the seed's shape, for bounding the run time before the real lab is known. */
const STAND_IN: LabContext = {
  nodes: [
    { name: "a", role: "worker", internalIp: "192.0.2.1", podCidrs: ["10.0.1.0/24"] },
    { name: "b", role: "worker", internalIp: "192.0.2.2", podCidrs: ["10.0.2.0/24"] },
  ],
  testPods: [standIn("test-a", "a", "10.0.1.2"), standIn("test-b", "b", "10.0.2.2")],
  client: standIn("client", "a", "10.0.1.3"),
  ciliumPods: [],
  probePods: [standIn("probe-a", "a", "192.0.2.1"), standIn("probe-b", "b", "192.0.2.2")],
  kubeProxyPods: [],
  service: { name: "svc", clusterIp: "10.96.0.10", port: 8080, nodePort: 32000 },
  nodeDevice: "eth0",
};

/**
 * Seconds a run can take at worst: each measurement's slowest step (its delay, its timeout, kubectl's
 * margin), summed over the pairs and the rounds, which run one after another, plus the CPU count. For
 * the stack's Command timeout.
 */
export function perfWorstCaseSeconds(
  partial: Partial<PerfSettings> = {},
  ctx: LabContext = STAND_IN,
): number {
  const settings = resolvePerfSettings({ seed: 0, ...partial });
  const worst = (m: {
    steps: (c: LabContext) => readonly { delayMs?: number; timeoutSeconds: number }[];
  }) => {
    const steps = m.steps(ctx);
    return steps.length === 0
      ? 0
      : Math.max(...steps.map((s) => (s.delayMs ?? 0) / 1000 + s.timeoutSeconds + KUBECTL_MARGIN_SECONDS));
  };
  let round = 0;
  // The ratio's two pairs run twice a round (A-B-B-A, perf/abba.ts).
  for (const name of withAbba(PERF_PAIRS.map((p) => p.name))) {
    const pair = PERF_PAIRS.find((p) => p.name === name)!;
    for (const m of measurementsOf(pair, settings)) round += worst(m);
  }
  return Math.ceil(worst(hostCpus) + settings.repeats * round);
}

/**
 * The shell command of the performance Command resource: `timeout` around the runner
 * (`node cli/run.js perf`), every value quoted.
 */
export function perfCommand(opts: PerfCommandOptions): string {
  const settings = resolvePerfSettings({ seed: 0, ...opts });
  const probeWait = opts.nodeProbe === "run" ? DEFAULT_READY_TIMEOUT_SECONDS : 0;
  const timeout = opts.timeoutSeconds ?? perfWorstCaseSeconds(settings) + 120 + probeWait;
  return shellJoin([
    ...runnerArgv("perf", timeout, opts),
    "--namespace",
    opts.namespace,
    "--app-label",
    opts.appLabel,
    "--duration",
    String(settings.durationSeconds),
    "--omit",
    String(settings.omitSeconds),
    "--streams",
    String(settings.streams),
    "--repeats",
    String(settings.repeats),
    "--samples",
    String(settings.pingSamples),
    "--rr-samples",
    String(settings.rrSamples),
    "--port",
    String(settings.port),
    // No --seed unless given: the runner draws one and records it in the output.
    ...(opts.seed === undefined ? [] : ["--seed", String(opts.seed)]),
    "--datapath-profile",
    opts.datapathProfile ?? "unknown",
    ...(opts.nodeProbe !== undefined && opts.nodeProbe !== "present" ? ["--node-probe", opts.nodeProbe] : []),
    ...(opts.nodeProbe === "run" && opts.nodeProbeImage ? ["--node-probe-image", opts.nodeProbeImage] : []),
    "--output",
    "json",
  ]);
}

/**
 * The `performance` output from the runner's stdout. Never throws: output without a usable
 * `{ performance }` document gives an empty performance whose problem says what was printed.
 */
export function readPerformanceOutput(stdout: string, settings: Partial<PerfSettings> = {}): Performance {
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    doc = undefined;
  }
  const perf = (doc as { performance?: Performance } | undefined)?.performance;
  if (perf !== undefined && Array.isArray(perf.pairs) && typeof perf.summary === "string") return perf;
  const shown = stdout.trim() === "" ? "nothing" : JSON.stringify(stdout.trim().slice(0, 300));
  const resolved = resolvePerfSettings({ seed: 0, ...settings });
  return {
    summary: "0/0 pairs measured",
    settings: resolved,
    method: methodLines(resolved, false),
    datapath: datapathOf("unknown"),
    host: { pinning: "nothing measured" },
    order: [],
    pairs: [],
    ratios: {},
    problems: [`error: the performance runner printed no { performance } document (it printed ${shown})`],
  };
}
