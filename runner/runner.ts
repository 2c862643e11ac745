/**
 * Runs check definitions through an executor and turns what came back into results.
 *
 * All selected checks run in parallel, under one global bound on concurrent execs (runner/schedule.ts);
 * inside a check a step starts at once unless it waits for another (`startAfter`): traffic starts
 * when its capture prints that it listens, never after a guessed head start. By default the checks see
 * a fixed sample of nodes (runner/sample.ts), so a run's exec count does not grow with the cluster.
 * Evidence is kept for every verdict. Anything that goes wrong inside a check (steps() or judge()
 * throwing, an executor rejecting, a judgement that is not one, a capture that never listened, a
 * replayed recording without the step) makes that check inconclusive, never the run fail.
 *
 * Here: choosing the checks, reading the discovery and assembling the report. One check's run and
 * judging are in runner/runCheck.ts, the datapath facts in runner/judging.ts, the options in
 * runner/runOptions.ts.
 */
import type { CheckDefinition, CheckResult, Executor, LabContext } from "../checks/types";
import type { Discovery } from "./discoveryTypes";
import { collectDatapath } from "./judging";
import { summarize, type RunReport } from "./results";
import { runOne } from "./runCheck";
import type { RunChecksOptions } from "./runOptions";
import { sampleContext } from "./sample";
import { DEFAULT_MAX_CONCURRENT_EXECS, ExecLimiter } from "./schedule";

export type { RunReport } from "./results";

/** The selected definitions in definition order; throws on unknown or duplicate names. */
export function selectChecks(defs: readonly CheckDefinition[], only?: readonly string[]): CheckDefinition[] {
  const names = new Set<string>();
  for (const d of defs) {
    if (names.has(d.name)) throw new Error(`duplicate check name: ${d.name}`);
    names.add(d.name);
  }
  if (only === undefined) return [...defs];
  const unknown = only.filter((n) => !names.has(n));
  if (unknown.length > 0) {
    throw new Error(`unknown check(s): ${unknown.join(", ")}; known: ${[...names].join(", ")}`);
  }
  const wanted = new Set(only);
  return defs.filter((d) => wanted.has(d.name));
}

/**
 * A context or a discovery, read the same way by the check and performance runners: the discovery,
 * its problems as lines, the context (undefined when discovery failed) and, then, why.
 */
export function readDiscovery(ctxOrDiscovery: LabContext | Discovery): {
  readonly discovery: Discovery;
  readonly problems: string[];
  readonly ctx: LabContext | undefined;
  readonly undiscovered: string;
} {
  const discovery: Discovery =
    "problems" in ctxOrDiscovery && "evidence" in ctxOrDiscovery
      ? ctxOrDiscovery
      : { context: ctxOrDiscovery as LabContext, problems: [], evidence: [] };
  const fatal = discovery.problems.filter((p) => p.fatal).map((p) => p.message);
  return {
    discovery,
    problems: discovery.problems.map((p) => `${p.fatal ? "error" : "warning"}: ${p.message}`),
    ctx: discovery.context,
    undiscovered: `the lab could not be discovered: ${fatal.join("; ") || "no context"}`,
  };
}

/**
 * Runs the selected checks in parallel against a discovered context. When discovery failed (a
 * {@link Discovery} without a context), every selected check is inconclusive with the discovery's
 * problems as reason and its kubectl commands as evidence; nothing is executed.
 */
export async function runChecks(
  defs: readonly CheckDefinition[],
  ctxOrDiscovery: LabContext | Discovery,
  executor: Executor,
  opts: RunChecksOptions = {},
): Promise<RunReport> {
  const selected = selectChecks(defs, opts.only);
  const { discovery, problems, ctx: full, undiscovered: reason } = readDiscovery(ctxOrDiscovery);

  if (full === undefined) {
    const results = selected.map((d): CheckResult => {
      const r: CheckResult = {
        name: d.name,
        proves: d.proves,
        verdict: "inconclusive",
        reason,
        evidence: discovery.evidence,
        durationMs: 0,
      };
      opts.onResult?.(r);
      return r;
    });
    return { summary: summarize(results), results, datapath: { podCidrs: {} }, problems };
  }

  const ctx = sampleContext(full, { allNodes: opts.allNodes });
  const limiter = new ExecLimiter(opts.maxConcurrentExecs ?? DEFAULT_MAX_CONCURRENT_EXECS);
  let execs = 0;
  const outcomes = await Promise.all(
    selected.map(async (def) => {
      const outcome = await runOne(def, ctx, executor, opts, limiter, () => execs++);
      opts.onResult?.(outcome.result);
      return outcome;
    }),
  );
  opts.onFinished?.({ maxConcurrentExecs: limiter.maxInUse, execs });
  return {
    summary: summarize(outcomes.map((o) => o.result)),
    results: outcomes.map((o) => o.result),
    datapath: collectDatapath(ctx, outcomes),
    problems,
  };
}
