/**
 * The options of a check run ({@link RunChecksOptions}, read by runner/runner.ts and
 * runner/runCheck.ts) and the record of one exec as it ran ({@link StepRecord}, what `--record`
 * writes).
 */
import type { CheckResult, ExecResult, ProbeStep } from "../checks/types";
import type { Clock } from "./schedule";

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
