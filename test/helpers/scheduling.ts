/**
 * Deterministic stand-ins for time and for running execs, for tests of the runner's scheduling: a
 * clock whose sleeps resolve only when the test advances it, and an executor whose execs end only
 * when the test ends them. With them a test states the order of events, never a wall-clock bound
 * (such bounds failed now and then on a loaded machine: issue 21).
 */
import type { ExecOptions, ExecResult, ExecTarget, Executor } from "../../checks/types";
import type { Clock } from "../../runner/schedule";

/** A clock whose sleeps resolve only when the test says so (nothing waits real time). */
export class ManualClock implements Clock {
  private t = 0;
  private readonly sleepers: { at: number; resolve: () => void; signal?: AbortSignal }[] = [];
  now(): number {
    return this.t;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (!signal?.aborted) this.sleepers.push({ at: this.t + ms, resolve, signal });
    });
  }
  /** Moves time on, waking every sleeper due by then. */
  advance(ms: number): void {
    this.t += ms;
    for (const s of [...this.sleepers]) {
      if (s.at <= this.t && !s.signal?.aborted) {
        this.sleepers.splice(this.sleepers.indexOf(s), 1);
        s.resolve();
      }
    }
  }
}

/**
 * An executor where each exec is a controllable process: the test emits output and ends it. The
 * capture and traffic steps of the specs below are named by their argv[0].
 */
export class ScriptedExecutor implements Executor {
  readonly started: string[] = [];
  private readonly running = new Map<string, { opts: ExecOptions; end: (r: ExecResult) => void }>();

  exec(_t: ExecTarget, argv: readonly string[], opts: ExecOptions): Promise<ExecResult> {
    this.started.push(argv[0]);
    return new Promise((resolve) => this.running.set(argv[0], { opts, end: resolve }));
  }
  emit(name: string, text: string): void {
    this.running.get(name)?.opts.onOutput?.(text);
  }
  finish(name: string, stdout = ""): void {
    this.running
      .get(name)
      ?.end({ stdout, stderr: "", exitCode: 0, timedOut: false, command: name, durationMs: 1 });
  }
}

/** Lets every pending promise callback and immediate run. */
export const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * A latch for fakes that must show concurrency without trusting the clock: every `run` waits until
 * `count` runs have been in flight at once (then the latch stays open), or `maxWaitMs` passed, then
 * does its work. A caller that runs that many at once reaches the count on any machine; one that runs
 * fewer waits out the bound and shows fewer (`mostAtOnce`).
 */
export class ConcurrencyLatch {
  private inFlight = 0;
  private most = 0;
  private open: boolean;

  constructor(
    private readonly count: number,
    private readonly maxWaitMs = 5000,
  ) {
    this.open = count <= 1;
  }

  /** The most runs that were in flight at once. */
  get mostAtOnce(): number {
    return this.most;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    this.inFlight++;
    this.most = Math.max(this.most, this.inFlight);
    try {
      if (this.inFlight >= this.count) this.open = true;
      for (const until = Date.now() + this.maxWaitMs; !this.open && Date.now() < until;) {
        await new Promise((r) => setTimeout(r, 5));
      }
      return await work();
    } finally {
      this.inFlight--;
    }
  }
}
