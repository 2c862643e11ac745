/**
 * Runs the performance pairs through an executor, one measurement at a time.
 *
 * Unlike the checks, which run in parallel, nothing here overlaps: two throughput runs at once would
 * share the host's CPU and bridge and distort each other, and a ping beside an iperf3 run measures
 * queueing, not the datapath. Each measurement goes through the check runner (runChecks with one
 * definition), so steps get the same timeouts, delays, evidence and inconclusive-on-anything-odd
 * handling as the checks.
 */
import type { Discovery } from "../runner/discovery";
import { planChecks, type ExecPlan } from "../runner/plan";
import { readDiscovery, runChecks, selectChecks, type StepRecord } from "../runner/runner";
import type { CheckDefinition, CheckResult, Executor, LabContext, Verdict } from "../checks/types";
import { MEASUREMENT_FACT, measurementsOf, type MeasurementFigures } from "./measurements";
import { PERF_PAIRS } from "./pairs";
import { resolvePerfSettings } from "./settings";
import type { PerfDefinition, PerfEvidence, PerfPair, PerfRatios, PerfSettings, Performance } from "./types";

/** Options of {@link runPerformance}: the settings (defaults applied once) and the run's controls. */
export interface RunPerformanceOptions extends Partial<PerfSettings> {
  /** Names of the pairs to measure, in any order; all when undefined. Unknown names throw. */
  readonly only?: readonly string[];
  /** The pairs; defaults to {@link PERF_PAIRS}. */
  readonly pairs?: readonly PerfDefinition[];
  /** Passed to the check runner: seconds it waits beyond a step's timeout for the executor. */
  readonly executorGraceSeconds?: number;
  /** Called as each pair finishes (progress on stderr). */
  readonly onPair?: (pair: PerfPair) => void;
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

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined || !(b > 0)) return undefined;
  return Math.round((a / b) * 1000) / 1000;
}

/** Pod figures over the node-to-node figures of the same run (see {@link PerfRatios}). */
export function computeRatios(pairs: readonly PerfPair[]): PerfRatios {
  const by = (name: string): PerfPair | undefined => pairs.find((p) => p.name === name);
  const node = by("node-to-node");
  const cross = by("pod-to-pod-cross-node");
  const same = by("pod-to-pod-same-node");
  const entries: [keyof PerfRatios, number | undefined][] = [
    ["crossNodePodVsNode", ratio(cross?.throughputMbps, node?.throughputMbps)],
    ["sameNodePodVsNode", ratio(same?.throughputMbps, node?.throughputMbps)],
    ["crossNodePodVsNodeRttP50", ratio(cross?.rttP50Ms, node?.rttP50Ms)],
    ["sameNodePodVsNodeRttP50", ratio(same?.rttP50Ms, node?.rttP50Ms)],
    ["crossNodePodVsNodeRttP99", ratio(cross?.rttP99Ms, node?.rttP99Ms)],
  ];
  return Object.fromEntries(entries.filter(([, v]) => v !== undefined)) as PerfRatios;
}

// `differs` is never given to a performance pair; ranked like inconclusive for completeness.
const RANK: Readonly<Record<Verdict, number>> = { pass: 0, inconclusive: 1, differs: 1, fail: 2 };

/** A pair's result from its plan (or why it has none) and the results of its measurements. */
export function assemblePair(
  def: PerfDefinition,
  ctx: LabContext,
  measured: readonly { readonly result: CheckResult; readonly figures?: MeasurementFigures }[],
): PerfPair {
  const plan = def.plan(ctx);
  const base = {
    name: def.name,
    from: "missing" in plan ? "n/a" : `${plan.from.name} ${plan.from.ip} on ${plan.from.node}`,
    to: "missing" in plan ? "n/a" : plan.toLabel,
  };
  const evidence: PerfEvidence[] = measured.flatMap((m) =>
    m.result.evidence.map((e) => ({ command: e.command, output: e.output })),
  );
  const notes = def.notes === undefined ? {} : { notes: [...def.notes] };
  if ("missing" in plan) {
    return { ...base, samples: 0, verdict: "inconclusive", reason: plan.missing, ...notes, evidence };
  }
  let figures: Partial<PerfPair> = {};
  let samples = 0;
  for (const { figures: f } of measured) {
    if (f?.kind === "throughput") {
      figures = { ...figures, throughputMbps: f.throughputMbps, retransmits: f.retransmits };
    } else if (f?.kind === "latency") {
      samples = f.samples;
      figures = {
        ...figures,
        rttP50Ms: f.rttP50Ms,
        rttP90Ms: f.rttP90Ms,
        rttP99Ms: f.rttP99Ms,
        latencyMethod: f.method,
        requestP50Ms: f.requestP50Ms,
        requestP90Ms: f.requestP90Ms,
        requestP99Ms: f.requestP99Ms,
      };
    }
  }
  const worst = measured.reduce<Verdict>(
    (v, m) => (RANK[m.result.verdict] > RANK[v] ? m.result.verdict : v),
    "pass",
  );
  const shown = worst === "pass" ? measured : measured.filter((m) => m.result.verdict !== "pass");
  const reason =
    measured.length === 0
      ? "nothing was measured"
      : shown.map((m) => `${m.result.name.slice(def.name.length + 1)}: ${m.result.reason}`).join("; ");
  // Drop the figures nobody measured (JSON drops them anyway; this keeps the objects equal).
  const defined = Object.fromEntries(Object.entries(figures).filter(([, v]) => v !== undefined));
  return {
    ...base,
    ...defined,
    samples,
    verdict: measured.length === 0 ? "inconclusive" : worst,
    reason,
    ...notes,
    evidence,
  };
}

/**
 * Measures the selected pairs one after another, each pair's measurements one after another. When
 * discovery failed, every pair is inconclusive with the discovery's problems and nothing is executed.
 * Throws (before running anything) on settings out of range or unknown pair names.
 */
export async function runPerformance(
  ctxOrDiscovery: LabContext | Discovery,
  executor: Executor,
  opts: RunPerformanceOptions = {},
): Promise<Performance> {
  const settings = resolvePerfSettings(opts);
  const selected = selectPairs(opts.pairs ?? PERF_PAIRS, opts.only);
  const { discovery, problems, ctx, undiscovered: reason } = readDiscovery(ctxOrDiscovery);

  if (ctx === undefined) {
    const pairs = selected.map((def): PerfPair => {
      const pair: PerfPair = {
        name: def.name,
        from: "n/a",
        to: "n/a",
        samples: 0,
        verdict: "inconclusive",
        reason,
        evidence: discovery.evidence.map((e) => ({ command: e.command, output: e.output })),
      };
      opts.onPair?.(pair);
      return pair;
    });
    return { summary: summarizePairs(pairs), settings, pairs, ratios: {}, problems };
  }

  const pairs: PerfPair[] = [];
  for (const def of selected) {
    const measured: { result: CheckResult; figures?: MeasurementFigures }[] = [];
    if (!("missing" in def.plan(ctx))) {
      for (const m of measurementsOf(def, settings)) {
        // The pairs choose their own pods: no node sampling here.
        const report = await runChecks([m], ctx, executor, {
          executorGraceSeconds: opts.executorGraceSeconds,
          allNodes: true,
          onStep: opts.onStep,
        });
        const figures = report.datapath[MEASUREMENT_FACT] as MeasurementFigures | undefined;
        measured.push({ result: report.results[0], figures });
      }
    }
    const pair = assemblePair(def, ctx, measured);
    opts.onPair?.(pair);
    pairs.push(pair);
  }
  return { summary: summarizePairs(pairs), settings, pairs, ratios: computeRatios(pairs), problems };
}

/** Every measurement of the selected pairs, in run order (for the dry run). */
export function performanceMeasurements(
  settings: PerfSettings,
  only?: readonly string[],
  pairs: readonly PerfDefinition[] = PERF_PAIRS,
): CheckDefinition[] {
  const defs = selectPairs(pairs, only).flatMap((p) => measurementsOf(p, settings));
  selectChecks(defs); // duplicate measurement names are a bug in the pairs
  return defs;
}

/**
 * The dry-run plan: every step of every measurement, in run order. The plan lists them together;
 * the run executes them one measurement at a time.
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
