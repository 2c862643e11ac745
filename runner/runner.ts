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
 */
import { kubectlExecDisplay } from "./executor";
import type { Discovery } from "./discovery";
import { StepMissing } from "./recording";
import { summarize, type Datapath, type RunReport } from "./results";
import { sampleContext } from "./sample";
import {
  DEFAULT_MAX_CONCURRENT_EXECS,
  DEFAULT_READY_TIMEOUT_MS,
  ExecLimiter,
  SYSTEM_CLOCK,
  runSteps,
  type Clock,
} from "./schedule";
import type {
  CheckDefinition,
  CheckResult,
  Evidence,
  ExecResult,
  Executor,
  Judgement,
  LabContext,
  ProbeStep,
} from "../checks/types";

export type { RunReport } from "./results";

/** One exec as it ran, for recordings. */
export interface StepRecord {
  readonly check: string;
  readonly step: ProbeStep;
  readonly result: ExecResult;
}

/** Options of {@link runChecks}. */
export interface RunChecksOptions {
  /** Names of the checks to run, in any order; all when undefined. Unknown names throw. */
  readonly only?: readonly string[];
  /** Upper bound in seconds for any step's timeout (the CLI's `--timeout`). */
  readonly stepTimeoutCap?: number;
  /**
   * Seconds the runner waits beyond a step's timeout for the executor to answer before it records the
   * step as timed out itself (an executor is supposed to enforce the timeout). Defaults to 15.
   */
  readonly executorGraceSeconds?: number;
  /** Called as each check finishes (progress on stderr). */
  readonly onResult?: (result: CheckResult) => void;
  /** Called with every exec that ran (what `--record` writes). */
  readonly onStep?: (record: StepRecord) => void;
  /** Time and waiting; tests pass a fake. Defaults to the system clock. */
  readonly clock?: Clock;
  /** Milliseconds traffic waits for its capture to listen. Defaults to 20 000. */
  readonly readyTimeoutMs?: number;
  /** Execs running at once across the run. Defaults to 8. */
  readonly maxConcurrentExecs?: number;
  /** Probe every node instead of the fixed sample (runner/sample.ts). Defaults to false. */
  readonly allNodes?: boolean;
  /** Receives the most execs that ran at once (measurements). */
  readonly onFinished?: (stats: { maxConcurrentExecs: number; execs: number }) => void;
}

const VERDICTS = new Set(["pass", "fail", "inconclusive"]);

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

interface Outcome {
  readonly result: CheckResult;
  readonly facts?: Readonly<Record<string, unknown>>;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The step's timeout after the cap. */
export function effectiveTimeout(step: ProbeStep, cap?: number): number {
  return cap !== undefined && cap > 0 ? Math.min(step.timeoutSeconds, cap) : step.timeoutSeconds;
}

/**
 * A check's steps(), validated: ids unique, timeouts positive, gates naming steps of the check
 * (a `ready` gate only on a step that says when it is ready) and no gate cycle.
 */
export function stepsOf(def: CheckDefinition, ctx: LabContext): readonly ProbeStep[] {
  const steps = def.steps(ctx);
  const byId = new Map<string, ProbeStep>();
  for (const s of steps) {
    if (byId.has(s.id)) throw new Error(`duplicate step id ${JSON.stringify(s.id)}`);
    byId.set(s.id, s);
    if (!(s.timeoutSeconds > 0)) throw new Error(`step ${s.id} has no positive timeout`);
    if (s.argv.length === 0) throw new Error(`step ${s.id} has an empty argv`);
  }
  for (const s of steps) {
    for (const g of s.startAfter ?? []) {
      const target = byId.get(g.step);
      if (target === undefined) throw new Error(`step ${s.id} waits for unknown step ${g.step}`);
      if (g.when === "ready" && !target.readyWhen) {
        throw new Error(`step ${s.id} waits for ${g.step} to be ready, which has no readyWhen`);
      }
    }
  }
  const visiting = new Set<string>();
  const visited = new Set<string>();
  const visit = (id: string): void => {
    if (visited.has(id)) return;
    if (visiting.has(id)) throw new Error(`steps wait for each other in a cycle through ${id}`);
    visiting.add(id);
    for (const g of byId.get(id)?.startAfter ?? []) visit(g.step);
    visiting.delete(id);
    visited.add(id);
  };
  for (const s of steps) visit(s.id);
  return steps;
}

/** Runs one step; an executor that rejects or hangs still yields a result. */
async function runStep(
  check: string,
  step: ProbeStep,
  executor: Executor,
  opts: RunChecksOptions,
  onOutput: (text: string) => void,
): Promise<ExecResult> {
  const clock = opts.clock ?? SYSTEM_CLOCK;
  const timeoutSeconds = effectiveTimeout(step, opts.stepTimeoutCap);
  const started = clock.now();
  const command = kubectlExecDisplay(step.target, step.argv);
  const graceMs = (timeoutSeconds + (opts.executorGraceSeconds ?? 15)) * 1000;
  const stop = new AbortController();
  const hung = clock.sleep(graceMs, stop.signal).then((): ExecResult => ({
    stdout: "",
    stderr: `the executor did not return within ${Math.round(graceMs / 1000)} s (step timeout ${timeoutSeconds} s)\n`,
    timedOut: true,
    command,
    durationMs: clock.now() - started,
  }));
  try {
    const exec = executor.exec(step.target, step.argv, {
      timeoutSeconds,
      onOutput,
      step: { check, step: step.id },
    });
    return await Promise.race([exec, hung]);
  } catch (err) {
    if (err instanceof StepMissing) throw err;
    return {
      stdout: "",
      stderr: `the executor failed: ${message(err)}\n`,
      timedOut: false,
      command,
      durationMs: clock.now() - started,
    };
  } finally {
    stop.abort();
  }
}

/** Evidence of one step: the command, stdout then stderr when non-empty. */
export function toEvidence(r: ExecResult): Evidence {
  let output = r.stdout;
  if (r.stderr !== "") output += (output === "" || output.endsWith("\n") ? "" : "\n") + r.stderr;
  return { command: r.command, output, exitCode: r.exitCode, timedOut: r.timedOut };
}

function validJudgement(j: unknown): j is Judgement {
  const o = j as Partial<Judgement> | undefined;
  return (
    typeof o === "object" && o !== null && VERDICTS.has(o.verdict as string) && typeof o.reason === "string"
  );
}

async function runOne(
  def: CheckDefinition,
  ctx: LabContext,
  executor: Executor,
  opts: RunChecksOptions,
  limiter: ExecLimiter,
  count: () => void,
): Promise<Outcome> {
  const clock = opts.clock ?? SYSTEM_CLOCK;
  const started = clock.now();
  const done = (
    verdict: CheckResult["verdict"],
    reason: string,
    evidence: readonly Evidence[],
  ): CheckResult => ({
    name: def.name,
    proves: def.proves,
    verdict,
    reason,
    evidence,
    durationMs: clock.now() - started,
  });

  let steps: readonly ProbeStep[];
  try {
    steps = stepsOf(def, ctx);
  } catch (err) {
    return { result: done("inconclusive", `the check could not build its probe: ${message(err)}`, []) };
  }

  const missing: string[] = [];
  const outcome = await runSteps(
    steps,
    async (step, onOutput) => {
      count();
      try {
        const result = await runStep(def.name, step, executor, opts, onOutput);
        opts.onStep?.({ check: def.name, step, result });
        return result;
      } catch (err) {
        // Only a replayed recording without the step throws: it is not run, and says so.
        missing.push(step.id);
        return {
          stdout: "",
          stderr: `${message(err)}\n`,
          timedOut: false,
          command: kubectlExecDisplay(step.target, step.argv),
          durationMs: 0,
        };
      }
    },
    {
      clock,
      limiter,
      readyTimeoutMs: opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
    },
  );
  const ran = steps.filter((s) => outcome.results.has(s.id) && !missing.includes(s.id));
  const evidence = ran.map((s) => toEvidence(outcome.results.get(s.id)!));
  if (missing.length > 0) {
    return {
      result: done(
        "inconclusive",
        `the recording has no output for step(s) ${missing.map((m) => JSON.stringify(m)).join(", ")} of ${def.name}: nothing to judge them by`,
        evidence,
      ),
    };
  }
  if (outcome.notStarted.length > 0) {
    return { result: done("inconclusive", outcome.notStarted.map((n) => n.reason).join("; "), evidence) };
  }

  let judgement: unknown;
  try {
    judgement = def.judge(ctx, outcome.results);
  } catch (err) {
    return { result: done("inconclusive", `the judge failed: ${message(err)}`, evidence) };
  }
  if (!validJudgement(judgement)) {
    return { result: done("inconclusive", "the judge returned no verdict and reason", evidence) };
  }
  return { result: done(judgement.verdict, judgement.reason, evidence), facts: judgement.facts };
}

/** Facts of the judgements merged in check order (first wins), plus the pod CIDRs from the context. */
function collectDatapath(ctx: LabContext, outcomes: readonly Outcome[]): Datapath {
  const facts: Record<string, unknown> = {};
  const source: Record<string, string> = {};
  const conflicts: Record<string, Record<string, unknown>> = {};
  for (const { result, facts: f } of outcomes) {
    for (const [key, value] of Object.entries(f ?? {})) {
      if (key === "podCidrs" || key === "conflictingFacts") continue; // reserved
      if (!(key in facts)) {
        facts[key] = value;
        source[key] = result.name;
      } else if (JSON.stringify(facts[key]) !== JSON.stringify(value)) {
        conflicts[key] ??= { [source[key]]: facts[key] };
        conflicts[key][result.name] = value;
      }
    }
  }
  const podCidrs = Object.fromEntries(ctx.nodes.map((n) => [n.name, [...n.podCidrs]]));
  return {
    ...facts,
    podCidrs,
    ...(Object.keys(conflicts).length > 0 ? { conflictingFacts: conflicts } : {}),
  };
}
