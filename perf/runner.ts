/**
 * Runs the performance pairs through an executor in rounds, one measurement at a time.
 *
 * Nothing overlaps: two throughput runs at once would share the host's CPU and bridge and distort each
 * other, and a ping beside an iperf3 run measures queueing, not the datapath. Every round measures every
 * pair once, in a seeded random order (recorded), so slow drifts of the host (thermal, other load) fall
 * on every pair alike and pod and baseline figures of one round can be paired. Each measurement goes
 * through the check runner (runChecks with one definition), so steps get the same timeouts, delays,
 * evidence and inconclusive-on-anything-odd handling as the checks.
 */
import type { Discovery } from "../runner/discoveryTypes";
import { planChecks, type ExecPlan } from "../runner/plan";
import { readDiscovery, runChecks, selectChecks } from "../runner/runner";
import type { StepRecord } from "../runner/runOptions";
import type { CheckDefinition, Executor, LabContext, Verdict } from "../checks/types";

import { assemblePair, computeRatios } from "./assemble";
import { datapathOf, methodLines } from "./datapath";
import type { Measured, PairRound } from "./figures";
import { hostCpus, MEASUREMENT_FACT, measurementsOf, type MeasurementFigures } from "./measurements";
import { PERF_PAIRS } from "./pairs";
import { resolvePerfSettings } from "./settings";
import { roundOrders } from "./stats";
import { withAbba } from "./abba";
import { choosePinning, type Pinning } from "./cpus";
import type { Pin } from "./throughput";

/** The host's pinning line: each pair's CPUs, or why it ran unpinned. */
export function pinningText(pins: ReadonlyMap<string, Pinning>): string {
  if (pins.size === 0) return "nothing pinned: no throughput pair";
  return [...pins.entries()]
    .map(([name, p]) =>
      "client" in p
        ? `${name}: iperf3 -A ${p.client},${p.server} (client CPU ${p.client}, server CPU ${p.server})`
        : `${name}: not pinned (${p.why}); CPU use is reported`,
    )
    .join("; ");
}
import type { DatapathProfile, PerfDefinition, PerfPair, PerfSettings, Performance } from "./types";

export { assemblePair, computeRatios, SAME_NODE_WITHHELD, trimOutput } from "./assemble";

/** Options of {@link runPerformance}: the settings (defaults applied once) and the run's controls. */
export interface RunPerformanceOptions extends Partial<PerfSettings> {
  /** Names of the pairs to measure, in any order; all when undefined. Unknown names throw. */
  readonly only?: readonly string[];
  /** The pairs; defaults to {@link PERF_PAIRS}. */
  readonly pairs?: readonly PerfDefinition[];
  /** How Cilium was configured (the stack's perfProfile); `unknown` by default. */
  readonly datapathProfile?: DatapathProfile;
  /** Passed to the check runner: seconds it waits beyond a step's timeout for the executor. */
  readonly executorGraceSeconds?: number;
  /**
   * Measure TCP_RR/TCP_CRR with fortio (perf/tcpRr.ts); default true. False only where the image has
   * no fortio (the network-namespace test on a machine without it).
   */
  readonly tcpRr?: boolean;
  /** Called as each pair finishes a round (progress on stderr). */
  readonly onRound?: (round: number, pair: string, measured: readonly Measured[]) => void;
  /** Called with every exec that ran (what `--record` writes). */
  readonly onStep?: (record: StepRecord) => void;
}

/** The selected pairs in definition order; throws on unknown or duplicate names. */
export function selectPairs(pairs: readonly PerfDefinition[], only?: readonly string[]): PerfDefinition[] {
  const names = new Set<string>();
  for (const p of pairs) {
    if (names.has(p.name)) throw new Error(`duplicate pair name: ${p.name}`);
    names.add(p.name);
  }
  if (only === undefined) return [...pairs];
  const unknown = only.filter((n) => !names.has(n));
  if (unknown.length > 0) {
    throw new Error(`unknown pair(s): ${unknown.join(", ")}; known: ${[...names].join(", ")}`);
  }
  return pairs.filter((p) => only.includes(p.name));
}

/** `3/4 pairs measured`, then `, N failed` and `, N inconclusive` when there are any. */
export function summarizePairs(pairs: readonly Pick<PerfPair, "verdict">[]): string {
  const count = (v: Verdict): number => pairs.filter((p) => p.verdict === v).length;
  let line = `${count("pass")}/${pairs.length} pairs measured`;
  if (count("fail") > 0) line += `, ${count("fail")} failed`;
  if (count("inconclusive") > 0) line += `, ${count("inconclusive")} inconclusive`;
  return line;
}

async function measure(
  def: CheckDefinition,
  ctx: LabContext,
  executor: Executor,
  grace?: number,
  onStep?: (record: StepRecord) => void,
): Promise<Measured> {
  // The pairs choose their own pods: no node sampling here.
  const report = await runChecks([def], ctx, executor, {
    executorGraceSeconds: grace,
    allNodes: true,
    onStep,
  });
  return {
    result: report.results[0],
    figures: report.datapath[MEASUREMENT_FACT] as MeasurementFigures | undefined,
  };
}

/**
 * Measures the selected pairs in rounds. When discovery failed, every pair is inconclusive with the
 * discovery's problems and nothing is executed. Throws (before running anything) on settings out of
 * range or unknown pair names.
 */
export async function runPerformance(
  ctxOrDiscovery: LabContext | Discovery,
  executor: Executor,
  opts: RunPerformanceOptions = {},
): Promise<Performance> {
  const started = Date.now();
  const settings = resolvePerfSettings(opts);
  const selected = selectPairs(opts.pairs ?? PERF_PAIRS, opts.only);
  const { discovery, problems, ctx, undiscovered: reason } = readDiscovery(ctxOrDiscovery);
  const datapath = datapathOf(opts.datapathProfile ?? "unknown");

  if (ctx === undefined) {
    const pairs = selected.map((def): PerfPair => ({
      name: def.name,
      from: "n/a",
      to: "n/a",
      figures: [],
      samples: 0,
      rounds: 0,
      verdict: "inconclusive",
      reason,
      evidence: discovery.evidence.map((e) => ({ command: e.command, output: e.output })),
    }));
    const host = { pinning: "nothing pinned: the lab was not reached" };
    return {
      summary: summarizePairs(pairs),
      settings,
      method: methodLines(settings, false),
      datapath,
      host,
      order: [],
      pairs,
      ratios: {},
      problems,
    };
  }

  const cpuRun = await measure(hostCpus, ctx, executor, opts.executorGraceSeconds, opts.onStep);
  const cpuFigures = cpuRun.figures?.kind === "cpus" ? cpuRun.figures : undefined;
  const cpus = cpuFigures?.cpus;
  // Per pair: pinned only for one stream, to CPUs of each pod's allowed list, never CPU 0 (perf/cpus.ts).
  const pins = new Map<string, Pinning>();
  for (const def of selected) {
    const plan = def.plan(ctx);
    if ("missing" in plan || !def.throughput || plan.server === undefined) continue;
    const allowed = (pod: string): readonly number[] | undefined => cpuFigures?.allowed[pod];
    pins.set(
      def.name,
      cpuFigures === undefined
        ? { why: `the CPUs are unknown (${cpuRun.result.reason})` }
        : choosePinning(settings.streams, allowed(plan.from.name), allowed(plan.server.name)),
    );
  }
  const pinOf = (name: string): Pin | undefined => {
    const p = pins.get(name);
    return p !== undefined && "client" in p ? p : undefined;
  };
  const host = {
    ...(cpus === undefined ? {} : { cpus }),
    pinning: pinningText(pins),
  };

  const measurable = selected.filter((d) => !("missing" in d.plan(ctx)));
  // A seeded shuffle per round, the ratio's two pairs as one A-B-B-A block in it (perf/abba.ts).
  const order = roundOrders(
    measurable.map((d) => d.name),
    settings.repeats,
    settings.seed,
  ).map((round) => withAbba(round));
  const rounds = new Map<string, PairRound[]>(measurable.map((d) => [d.name, []]));
  for (const [i, names] of order.entries()) {
    // A pair measured twice in the round (A-B-B-A) gets one PairRound holding both runs.
    const thisRound = new Map<string, Measured[]>();
    for (const name of names) {
      const def = measurable.find((d) => d.name === name)!;
      const measured: Measured[] = [];
      for (const m of measurementsOf(def, settings, pinOf(name), opts.tcpRr ?? true)) {
        measured.push(await measure(m, ctx, executor, opts.executorGraceSeconds, opts.onStep));
      }
      const earlier = thisRound.get(name);
      if (earlier === undefined) {
        thisRound.set(name, measured);
        rounds.get(name)!.push(measured);
      } else earlier.push(...measured);
      opts.onRound?.(i + 1, name, measured);
    }
  }
  const pairs = selected.map((def) => assemblePair(def, ctx, rounds.get(def.name) ?? []));
  return {
    summary: summarizePairs(pairs),
    settings,
    method: methodLines(
      settings,
      [...pins.values()].some((p) => "client" in p),
    ),
    datapath,
    host,
    order,
    pairs,
    ratios: computeRatios(rounds),
    wallSeconds: Math.round((Date.now() - started) / 100) / 10,
    problems,
  };
}

/** Every measurement of the selected pairs for one round, in definition order (for the dry run). */
export function performanceMeasurements(
  settings: PerfSettings,
  only?: readonly string[],
  pairs: readonly PerfDefinition[] = PERF_PAIRS,
): CheckDefinition[] {
  const defs = [hostCpus, ...selectPairs(pairs, only).flatMap((p) => measurementsOf(p, settings))];
  selectChecks(defs); // duplicate measurement names are a bug in the pairs
  return defs;
}

/**
 * The dry-run plan: the CPU probes, then every step of one round (iperf3 shown unpinned: the run pins a
 * single-stream pair to CPUs it reads from the pods, perf/cpus.ts). The run repeats the round
 * `repeats` times in a seeded order, the cross-node ratio's pairs twice (A-B-B-A).
 */
export function planPerformance(
  ctx: LabContext,
  opts: Partial<PerfSettings> & {
    readonly only?: readonly string[];
    readonly pairs?: readonly PerfDefinition[];
  } = {},
): ExecPlan {
  const settings = resolvePerfSettings(opts);
  return planChecks(performanceMeasurements(settings, opts.only, opts.pairs), ctx, undefined, {
    allNodes: true,
  });
}
