/**
 * What the fake API server (test/helpers/fakeApiServer.ts) answers to `kubectl exec`: the recorded
 * outputs of the steps the checks run. A recording (runner/recording.ts, `--record` format) keys each
 * output by (check, step, pod); an exec request carries only (namespace, pod, container, command), so
 * {@link recordingAnswerer} looks the request up in the run's plan (`planChecks`, the same argv the
 * runner sends) to find its (check, step) and answers with the recorded step of the same (check,
 * step, pod), each recorded run once, in recorded order: what `--replay` does (ReplayExecutor).
 *
 * A request that no recorded step answers gets, after `unrecordedDelayMs`, stderr saying so and exit
 * code 1: never a made-up tool output. (The delay stands for a probe's run time in measurements.)
 */
import type { PlannedStep } from "../../runner/plan";
import type { RecordedStep } from "../../runner/recording";
import { ConcurrencyLatch } from "./scheduling";

export interface ExecRequest {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly command: readonly string[];
}

/** How an answer is written back: output streams, then the exit (null: no exit code, with a message). */
export interface ExecIO {
  stdout(text: string): void;
  stderr(text: string): void;
  exit(exitCode: number | null, message?: string): void;
  /** True once the client has gone (kubectl killed at its timeout). */
  closed(): boolean;
}

export type ExecAnswerer = (req: ExecRequest, io: ExecIO) => void | Promise<void>;

export interface RecordingAnswererOptions {
  /** Milliseconds an unrecorded exec runs before it fails (default 0). */
  readonly unrecordedDelayMs?: number;
  /** Milliseconds a recorded exec holds after its output before it exits (default 0). */
  readonly recordedDelayMs?: number;
  /**
   * A latch: every answer first waits until this many execs have been answered at once (or
   * `holdMaxMs`, default 5000, passed). A client that runs that many at once reaches the count
   * whatever the machine's load; one that runs fewer never does (issue 21).
   */
  readonly holdUntilAtOnce?: number;
  readonly holdMaxMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const key = (...parts: readonly unknown[]): string => JSON.stringify(parts);

/**
 * Answers execs from recorded steps, found through the plan. The container of a planned step is null
 * for the pod's default container; the request then names the container kubectl chose (the pod's
 * first), so both the named and the default form are looked up.
 */
export function recordingAnswerer(
  plan: readonly PlannedStep[],
  steps: readonly RecordedStep[],
  opts: RecordingAnswererOptions = {},
): ExecAnswerer & { answered(): number; unanswered(): ExecRequest[] } {
  const planned = new Map<string, { check: string; step: string }[]>();
  for (const s of plan) {
    const k = key(s.namespace, s.pod, s.container, s.argv);
    planned.set(k, [...(planned.get(k) ?? []), { check: s.check, step: s.step }]);
  }
  const recorded = new Map<string, RecordedStep[]>();
  for (const s of steps) {
    const k = key(s.check, s.step, s.pod);
    recorded.set(k, [...(recorded.get(k) ?? []), s]);
  }
  let answered = 0;
  const unanswered: ExecRequest[] = [];
  const latch = new ConcurrencyLatch(opts.holdUntilAtOnce ?? 0, opts.holdMaxMs);
  const answer = (req: ExecRequest, io: ExecIO): Promise<void> => latch.run(() => answerOne(req, io));
  const answerOne = async (req: ExecRequest, io: ExecIO): Promise<void> => {
    const candidates = [
      ...(planned.get(key(req.namespace, req.pod, req.container, req.command)) ?? []),
      ...(planned.get(key(req.namespace, req.pod, null, req.command)) ?? []),
    ];
    const rec = candidates.map((c) => recorded.get(key(c.check, c.step, req.pod))?.shift()).find((r) => r);
    if (rec === undefined) {
      unanswered.push(req);
      await sleep(opts.unrecordedDelayMs ?? 0);
      if (io.closed()) return;
      io.stderr(
        `fake API server: no recorded output for ${req.namespace}/${req.pod} (${req.container}): ${req.command.join(" ")}\n`,
      );
      io.exit(1);
      return;
    }
    answered++;
    if (rec.stdout !== "") io.stdout(rec.stdout);
    if (rec.stderr !== "") io.stderr(rec.stderr);
    // A step recorded as timed out never ended: hold until kubectl gives up (its own timeout).
    if (rec.timedOut) return;
    await sleep(opts.recordedDelayMs ?? 0);
    if (!io.closed())
      io.exit(
        rec.exitCode,
        rec.exitCode === null ? "fake API server: recorded without an exit code" : undefined,
      );
  };
  return Object.assign(answer, { answered: () => answered, unanswered: () => [...unanswered] });
}
