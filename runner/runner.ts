/**
 * Runs check definitions through an executor and turns what came back into results.
 *
 * All selected checks run in parallel; inside a check every step starts at once after its own
 * `delayMs`, so a capture (delay 0) listens while its traffic (delay > 0) is sent. Evidence is kept
 * for every verdict. Anything that goes wrong inside a check (steps() or judge() throwing, an
 * executor rejecting, a judgement that is not one) makes that check inconclusive, never the run fail.
 */
import { kubectlExecDisplay } from "./executor";
import type { Discovery } from "./discovery";
import { summarize, type Datapath, type RunReport } from "./results";
import type {
  CheckDefinition,
  CheckResult,
  Evidence,
  ExecResult,
  ExecTarget,
  Executor,
  Judgement,
  LabContext,
  ProbeStep,
} from "../checks/types";

export type { RunReport } from "./results";

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
  const { discovery, problems, ctx, undiscovered: reason } = readDiscovery(ctxOrDiscovery);

  if (ctx === undefined) {
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

  const outcomes = await Promise.all(
    selected.map(async (def) => {
      const outcome = await runOne(def, ctx, executor, opts);
      opts.onResult?.(outcome.result);
      return outcome;
    }),
  );
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The step's timeout after the cap. */
function effectiveTimeout(step: ProbeStep, cap?: number): number {
  return cap !== undefined && cap > 0 ? Math.min(step.timeoutSeconds, cap) : step.timeoutSeconds;
}

/** A step's steps(), validated: ids unique, timeouts positive. */
function stepsOf(def: CheckDefinition, ctx: LabContext): readonly ProbeStep[] {
  const steps = def.steps(ctx);
  const ids = new Set<string>();
  for (const s of steps) {
    if (ids.has(s.id)) throw new Error(`duplicate step id ${JSON.stringify(s.id)}`);
    ids.add(s.id);
    if (!(s.timeoutSeconds > 0)) throw new Error(`step ${s.id} has no positive timeout`);
    if (s.argv.length === 0) throw new Error(`step ${s.id} has an empty argv`);
  }
  return steps;
}

/** Runs one step after its delay; an executor that rejects or hangs still yields a result. */
async function runStep(step: ProbeStep, executor: Executor, opts: RunChecksOptions): Promise<ExecResult> {
  if (step.delayMs !== undefined && step.delayMs > 0) await sleep(step.delayMs);
  const timeoutSeconds = effectiveTimeout(step, opts.stepTimeoutCap);
  const started = Date.now();
  const command = kubectlExecDisplay(step.target, step.argv);
  const graceMs = (timeoutSeconds + (opts.executorGraceSeconds ?? 15)) * 1000;
  let watchdog: NodeJS.Timeout | undefined;
  const hung = new Promise<ExecResult>((resolve) => {
    watchdog = setTimeout(
      () =>
        resolve({
          stdout: "",
          stderr: `the executor did not return within ${Math.round(graceMs / 1000)} s (step timeout ${timeoutSeconds} s)\n`,
          timedOut: true,
          command,
          durationMs: Date.now() - started,
        }),
      graceMs,
    );
  });
  try {
    return await Promise.race([executor.exec(step.target, step.argv, { timeoutSeconds }), hung]);
  } catch (err) {
    return {
      stdout: "",
      stderr: `the executor failed: ${message(err)}\n`,
      timedOut: false,
      command,
      durationMs: Date.now() - started,
    };
  } finally {
    clearTimeout(watchdog);
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
): Promise<Outcome> {
  const started = Date.now();
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
    durationMs: Date.now() - started,
  });

  let steps: readonly ProbeStep[];
  try {
    steps = stepsOf(def, ctx);
  } catch (err) {
    return { result: done("inconclusive", `the check could not build its probe: ${message(err)}`, []) };
  }

  const execs = await Promise.all(steps.map((s) => runStep(s, executor, opts)));
  const evidence = execs.map(toEvidence);
  const byId = new Map<string, ExecResult>(steps.map((s, i) => [s.id, execs[i]]));

  let judgement: unknown;
  try {
    judgement = def.judge(ctx, byId);
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

// ---------------------------------------------------------------------------------------------
// Dry run
// ---------------------------------------------------------------------------------------------

/** One exec of the plan. */
export interface PlannedStep {
  readonly check: string;
  readonly step: string;
  readonly target: ExecTarget;
  readonly command: string;
  readonly timeoutSeconds: number;
  readonly delayMs: number;
}

/** What a run would execute, without executing anything. */
export interface ExecPlan {
  readonly steps: readonly PlannedStep[];
  /** Checks whose steps() threw, with the error. */
  readonly errors: readonly { readonly check: string; readonly error: string }[];
  readonly counts: {
    readonly checks: number;
    readonly totalExecs: number;
    /** check -> "namespace/pod" -> number of execs. */
    readonly execsPerPodPerCheck: Readonly<Record<string, Readonly<Record<string, number>>>>;
  };
  /**
   * One line per step: `check  namespace/pod[:container]  timeout  [+delay]  command`, newlines of a
   * script shown as `\n` (for reading; `steps[].command` is the exact command).
   */
  readonly lines: readonly string[];
}

/**
 * The dry-run plan: every step of every selected check, rendered as the command that would run.
 * `render` defaults to the `kubectl exec` display.
 */
export function planChecks(
  defs: readonly CheckDefinition[],
  ctx: LabContext,
  only?: readonly string[],
  opts: { stepTimeoutCap?: number; render?: (target: ExecTarget, argv: readonly string[]) => string } = {},
): ExecPlan {
  const render = opts.render ?? kubectlExecDisplay;
  const selected = selectChecks(defs, only);
  const steps: PlannedStep[] = [];
  const errors: { check: string; error: string }[] = [];
  const perCheck: Record<string, Record<string, number>> = {};
  for (const def of selected) {
    let defSteps: readonly ProbeStep[];
    try {
      defSteps = stepsOf(def, ctx);
    } catch (err) {
      errors.push({ check: def.name, error: message(err) });
      continue;
    }
    const pods: Record<string, number> = {};
    for (const s of defSteps) {
      const pod = `${s.target.namespace}/${s.target.pod}`;
      pods[pod] = (pods[pod] ?? 0) + 1;
      steps.push({
        check: def.name,
        step: s.id,
        target: s.target,
        command: render(s.target, s.argv),
        timeoutSeconds: effectiveTimeout(s, opts.stepTimeoutCap),
        delayMs: s.delayMs ?? 0,
      });
    }
    perCheck[def.name] = pods;
  }
  const width = Math.max(0, ...steps.map((s) => s.check.length));
  const targetOf = (t: ExecTarget): string =>
    `${t.namespace}/${t.pod}${t.container === undefined ? "" : `:${t.container}`}`;
  const twidth = Math.max(0, ...steps.map((s) => targetOf(s.target).length));
  const lines = steps.map((s) =>
    [
      s.check.padEnd(width),
      targetOf(s.target).padEnd(twidth),
      `${s.timeoutSeconds}s`.padStart(5),
      s.delayMs > 0 ? `+${s.delayMs}ms` : "",
      // One line per step: a multi-line script shows its newlines as \n (`steps` keeps it exact).
      s.command.replace(/\n/g, "\\n"),
    ]
      .filter((x, i) => i !== 3 || x !== "")
      .join("  "),
  );
  return {
    steps,
    errors,
    counts: { checks: selected.length, totalExecs: steps.length, execsPerPodPerCheck: perCheck },
    lines,
  };
}
