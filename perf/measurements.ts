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
import type { CheckDefinition, LabContext, ProbeStep } from "../checks/types";
import { excerpt, inconclusive, pass, usableStep } from "../checks/verdict";
import { latencyMeasurements } from "./latency";
import { withFigures } from "./plan";
import { throughputMeasurement } from "./throughput";
import type { PerfDefinition, PerfSettings } from "./types";

export { MEASUREMENT_FACT } from "./plan";
export type { LatencyFigures, MeasurementFigures, ThroughputFigures } from "./plan";
export { formatMbps, throughputMeasurement } from "./throughput";
export { latencyMeasurements } from "./latency";

/**
 * The measurements of a pair in the order they run within a round: throughput first (when the pair
 * has it), then latency, so no ping shares the path with a saturating TCP run.
 */
export function measurementsOf(def: PerfDefinition, s: PerfSettings, pin = false): CheckDefinition[] {
  return [...(def.throughput ? [throughputMeasurement(def, s, pin)] : []), ...latencyMeasurements(def, s)];
}

function cpuSteps(ctx: LabContext): ProbeStep[] {
  return [{ id: "nproc", target: podTarget(ctx.client), argv: ["nproc"], timeoutSeconds: 10 }];
}

/**
 * `nproc` in the client pod: the CPUs it may run on. On kind every node is a container on one host, so
 * this is the host's count shared by every pair (unless the pod is limited to a cpuset).
 */
export const hostCpus: CheckDefinition = {
  name: "host-cpus",
  proves: "nproc counted the CPUs the client pod may run on.",
  restsOn: [],
  steps: cpuSteps,
  judge: (ctx, results) => {
    const out = usableStep(cpuSteps(ctx)[0], results);
    if (!out.ok) return out.judgement;
    const cpus = Number(out.output.trim());
    if (!Number.isInteger(cpus) || cpus < 1) return inconclusive(`nproc printed ${excerpt(out.output)}`);
    return withFigures(pass(`${cpus} CPU${cpus === 1 ? "" : "s"}`), { kind: "cpus", cpus });
  },
};
