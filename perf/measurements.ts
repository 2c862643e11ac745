/**
 * The measurements of a pair, as ordinary check definitions (steps + judge, checks/types.ts), so the
 * check runner executes them with its timeouts, delays and evidence, and tests judge recorded output:
 * throughput (perf/throughput.ts), busy and idle latency or the NodePort series (perf/latency.ts), and
 * the host's CPU count.
 *
 * A judge reports its figures as the fact `measurement`. Verdicts: `pass` when the figures came back;
 * `fail` when the pair exchanged no traffic at all (no echo reply, no answered request); otherwise
 * `inconclusive` (a tool missing, a timeout, iperf3's own error such as a refused connection).
 */
import { podTarget } from "../checks/defs/common";
import { shCommand } from "../checks/probes";
import type { CheckDefinition, LabContext, LabPod, ProbeStep } from "../checks/types";
import { CPU_PROBE, parseCpuProbe } from "./cpus";
import { PERF_PAIRS } from "./pairs";
import { excerpt, inconclusive, pass, usableStep } from "../checks/verdict";
import { latencyMeasurements } from "./latency";
import { withFigures } from "./plan";
import { tcpRrMeasurement } from "./tcpRr";
import { throughputMeasurement, type Pin } from "./throughput";
import type { PerfDefinition, PerfSettings } from "./types";

export { MEASUREMENT_FACT } from "./plan";
export type { LatencyFigures, MeasurementFigures, ThroughputFigures } from "./plan";
export { formatMbps, throughputMeasurement } from "./throughput";
export { latencyMeasurements } from "./latency";

/**
 * The measurements of a pair in the order they run within a round: throughput first (when the pair
 * has it), then latency, so no ping shares the path with a saturating TCP run.
 */
export function measurementsOf(
  def: PerfDefinition,
  s: PerfSettings,
  pin?: Pin,
  tcpRr = true,
): CheckDefinition[] {
  return [
    ...(def.throughput ? [throughputMeasurement(def, s, pin)] : []),
    ...(def.throughput && tcpRr ? [tcpRrMeasurement(def, s)] : []),
    ...latencyMeasurements(def, s),
  ];
}

/** Every pod a pair runs iperf3 in (clients and servers), the client pod first, each once. */
export function endpointPods(ctx: LabContext): LabPod[] {
  const out: LabPod[] = [ctx.client];
  for (const pair of PERF_PAIRS) {
    const plan = pair.plan(ctx);
    if ("missing" in plan) continue;
    for (const p of [plan.from, plan.server]) {
      if (p !== undefined && !out.some((o) => o.namespace === p.namespace && o.name === p.name)) out.push(p);
    }
  }
  return out;
}

function cpuSteps(ctx: LabContext): ProbeStep[] {
  return endpointPods(ctx).map((p) => ({
    id: `cpus:${p.name}`,
    target: podTarget(p),
    argv: shCommand(CPU_PROBE),
    timeoutSeconds: 10,
  }));
}

/**
 * `nproc` and the allowed CPUs (perf/cpus.ts) in every pod a pair runs iperf3 in. On kind every node
 * is a container on one host, so the client's count is the host's, shared by every pair (unless a pod
 * is limited to a cpuset); the allowed lists decide the CPUs of a pinned run.
 */
export const hostCpus: CheckDefinition = {
  name: "host-cpus",
  proves:
    "nproc counted the CPUs the client pod may run on, and /proc/self/status listed each pod's allowed CPUs.",
  restsOn: [],
  steps: cpuSteps,
  judge: (ctx, results) => {
    const steps = cpuSteps(ctx);
    const out = usableStep(steps[0], results);
    if (!out.ok) return out.judgement;
    const first = parseCpuProbe(out.output);
    if (first.nproc === undefined) return inconclusive(`nproc printed ${excerpt(out.output)}`);
    const allowed: Record<string, number[]> = {};
    for (const st of steps) {
      const r = results.get(st.id);
      const read = r !== undefined && r.exitCode === 0 ? parseCpuProbe(r.stdout).allowed : undefined;
      if (read !== undefined) allowed[st.target.pod] = read;
    }
    const cpus = first.nproc;
    return withFigures(pass(`${cpus} CPU${cpus === 1 ? "" : "s"}`), { kind: "cpus", cpus, allowed });
  },
};
