/**
 * Runs one check: its steps through the executor under the run's exec bound (runner/schedule.ts),
 * each step bounded by the executor grace ({@link runStep}), then its judge ({@link runOne}). Whatever
 * goes wrong inside the check (steps() or judge() throwing, an executor rejecting or hanging, a
 * judgement that is not one, a capture that never listened, a replayed recording without the step)
 * makes the check inconclusive, with the evidence of the steps that ran ({@link toEvidence}).
 */
import type {
  CheckDefinition,
  CheckResult,
  Evidence,
  ExecResult,
  Executor,
  LabContext,
  ProbeStep,
} from "../checks/types";
import { kubectlExecDisplay } from "./execResult";
import { validJudgement, type Outcome } from "./judging";
import { guardDiffers } from "./profileVerdicts";
import { StepMismatch, StepMissing } from "./recording";
import type { RunChecksOptions } from "./runOptions";
import { DEFAULT_READY_TIMEOUT_MS, SYSTEM_CLOCK, runSteps, type ExecLimiter } from "./schedule";
import { effectiveTimeout, stepsOf } from "./steps";

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
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
    if (err instanceof StepMissing || err instanceof StepMismatch) throw err;
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

export async function runOne(
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
  /** Replay: steps whose recorded command is not the planned one (what each ran, what was planned). */
  const mismatched: string[] = [];
  const outcome = await runSteps(
    steps,
    async (step, onOutput) => {
      count();
      try {
        const result = await runStep(def.name, step, executor, opts, onOutput);
        opts.onStep?.({ check: def.name, step, result });
        return result;
      } catch (err) {
        if (err instanceof StepMismatch) {
          // The recorded output is kept as evidence; the check cannot be judged by it (below).
          mismatched.push(err.message);
          return err.recorded;
        }
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
  const published = guardDiffers(def, ctx, judgement);
  if (mismatched.length > 0) {
    // Never judged silently from another command: what the judge said is kept in the reason only.
    return {
      result: done(
        "inconclusive",
        `the recording does not answer the plan: ${mismatched.join("; ")} (judged from the recorded output it would be ${published.verdict}: ${published.reason})`,
        evidence,
      ),
    };
  }
  return { result: done(published.verdict, published.reason, evidence), facts: published.facts };
}
