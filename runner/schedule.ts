/**
 * When the steps of a check start, and how many execs run at once across a whole run.
 *
 * - A capture announces that it listens (tcpdump prints `listening on <dev>` to stderr once its
 *   filter is set and right before it reads packets: the-tcpdump-group/tcpdump `tcpdump.c`,
 *   pcap_activate at line 1373, pcap_setfilter at 2554, the `listening on` fprintf + fflush at
 *   2751-2758, then pcap_loop; commit 39b50f76). A step with `readyWhen` is ready once that text
 *   appeared in its output; a step gated on it (`startAfter: [{ step, when: "ready" }]`) starts then,
 *   not after a guessed head start. The wait is bounded: a gate that does not open in time (or whose
 *   step ends first) leaves the gated step unrun, and the runner makes the check inconclusive.
 * - `when: "done"` orders steps (no-kube-proxy reads conntrack after its own curl).
 * - {@link ExecLimiter}: a global bound on concurrent execs. Steps joined by a `ready` gate (a
 *   capture and its traffic) are admitted together, so the traffic never waits for a slot while its
 *   capture's clock runs.
 * - Every wait goes through a {@link Clock}, so tests run without waiting real seconds.
 */
import type { ExecResult, ProbeStep } from "../checks/types";

/** Time as the runner sees it: injectable so tests need not wait. */
export interface Clock {
  now(): number;
  /** Resolves after ms; once `signal` aborts, never (and holds no timer). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) return;
      const timer = setTimeout(resolve, ms);
      signal?.addEventListener("abort", () => clearTimeout(timer), { once: true });
    }),
};

/** Milliseconds a gated step waits for its capture to listen. kubectl exec + tcpdump start ≈ 1-3 s. */
export const DEFAULT_READY_TIMEOUT_MS = 20_000;

/** Concurrent execs across a run (each `kubectl exec` is a process of ~40-60 MB). */
export const DEFAULT_MAX_CONCURRENT_EXECS = 8;

/**
 * A FIFO counting semaphore: `acquire(n)` waits until n slots are free and no earlier request is
 * waiting (no starvation of a large group). A request larger than the limit is clamped to it.
 */
export class ExecLimiter {
  private free: number;
  private readonly queue: { n: number; resolve: () => void }[] = [];
  private running = 0;
  private peak = 0;

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`exec limit must be >= 1, got ${limit}`);
    this.free = limit;
  }

  /** The most slots ever held at once. */
  get maxInUse(): number {
    return this.peak;
  }

  async acquire(n: number): Promise<() => void> {
    const want = Math.max(1, Math.min(n, this.limit));
    if (this.queue.length === 0 && this.free >= want) this.take(want);
    else await new Promise<void>((resolve) => this.queue.push({ n: want, resolve }));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.free += want;
      this.running -= want;
      this.drain();
    };
  }

  private take(n: number): void {
    this.free -= n;
    this.running += n;
    this.peak = Math.max(this.peak, this.running);
  }

  private drain(): void {
    while (this.queue.length > 0 && this.free >= this.queue[0].n) {
      const next = this.queue.shift()!;
      this.take(next.n);
      next.resolve();
    }
  }
}

/** A step the runner did not start, and why. */
export interface NotStarted {
  readonly step: string;
  readonly reason: string;
}

/** What running one check's steps gave. */
export interface StepsOutcome {
  readonly results: ReadonlyMap<string, ExecResult>;
  readonly notStarted: readonly NotStarted[];
}

/** Options of {@link runSteps}. */
export interface RunStepsOptions {
  readonly clock: Clock;
  readonly limiter?: ExecLimiter;
  readonly readyTimeoutMs: number;
}

/** Runs one step; the caller handles timeouts and executor failures. */
export type StepRunner = (step: ProbeStep, onOutput: (text: string) => void) => Promise<ExecResult>;

/** A latch: resolves once, with whether the awaited event happened. */
function latch(): { promise: Promise<boolean>; settle(v: boolean): void } {
  let settle!: (v: boolean) => void;
  let done = false;
  const promise = new Promise<boolean>((resolve) => {
    settle = (v) => {
      if (done) return;
      done = true;
      resolve(v);
    };
  });
  return { promise, settle };
}

/**
 * Groups of steps joined by `ready` gates (union-find over the edges): each group is admitted by the
 * limiter at once. Unknown step ids in gates are ignored here (validated by the caller).
 */
export function readyGroups(steps: readonly ProbeStep[]): string[][] {
  const parent = new Map(steps.map((s) => [s.id, s.id]));
  const find = (id: string): string => {
    let root = id;
    while (parent.get(root) !== root) root = parent.get(root)!;
    return root;
  };
  for (const s of steps) {
    for (const g of s.startAfter ?? []) {
      if (g.when === "ready" && parent.has(g.step)) parent.set(find(s.id), find(g.step));
    }
  }
  const groups = new Map<string, string[]>();
  for (const s of steps) {
    const root = find(s.id);
    groups.set(root, [...(groups.get(root) ?? []), s.id]);
  }
  return [...groups.values()];
}

/**
 * Runs a check's steps: ungated steps at once, gated ones when their gates open. Each `ready` group
 * is admitted by the limiter as a whole, once the `done` gates of its members are open (so a waiting
 * step holds no slot).
 */
export async function runSteps(
  steps: readonly ProbeStep[],
  run: StepRunner,
  opts: RunStepsOptions,
): Promise<StepsOutcome> {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const ready = new Map(steps.map((s) => [s.id, latch()]));
  const done = new Map(steps.map((s) => [s.id, latch()]));
  const results = new Map<string, ExecResult>();
  const notStarted: NotStarted[] = [];

  const runOne = async (step: ProbeStep): Promise<void> => {
    // The ready gates, bounded; the group was admitted together, so the capture is running.
    const readyGates = (step.startAfter ?? []).filter((g) => g.when === "ready" && byId.has(g.step));
    if (readyGates.length > 0) {
      let timer = false;
      const stop = new AbortController();
      const bound = opts.clock.sleep(opts.readyTimeoutMs, stop.signal).then(() => {
        timer = true;
        return false;
      });
      for (const g of readyGates) {
        const ok = await Promise.race([ready.get(g.step)!.promise, bound]);
        if (!ok) {
          const gateStep = byId.get(g.step)!;
          const why = timer
            ? `did not print ${JSON.stringify(gateStep.readyWhen ?? "")} within ${opts.readyTimeoutMs / 1000} s`
            : `ended without printing ${JSON.stringify(gateStep.readyWhen ?? "")}`;
          notStarted.push({
            step: step.id,
            reason: `"${step.id}" was not started because "${g.step}" ${why} (the capture was not listening, so its traffic would prove nothing)`,
          });
          stop.abort();
          done.get(step.id)!.settle(false);
          ready.get(step.id)!.settle(false);
          return;
        }
      }
      stop.abort();
    }
    if (step.delayMs !== undefined && step.delayMs > 0) await opts.clock.sleep(step.delayMs);
    let seen = "";
    const marker = step.readyWhen;
    const onOutput = (text: string): void => {
      if (marker === undefined || marker === "") return;
      // Keep a short tail so a marker split across chunks is still found.
      seen = (seen + text).slice(-(marker.length + 4096));
      if (seen.includes(marker)) ready.get(step.id)!.settle(true);
    };
    const result = await run(step, onOutput);
    if (marker !== undefined && marker !== "" && `${result.stdout}\n${result.stderr}`.includes(marker)) {
      ready.get(step.id)!.settle(true); // an executor that does not stream
    }
    ready.get(step.id)!.settle(marker === undefined || marker === "");
    results.set(step.id, result);
    done.get(step.id)!.settle(true);
  };

  const runGroup = async (ids: readonly string[]): Promise<void> => {
    const members = ids.map((id) => byId.get(id)!);
    // `done` gates of the group's members pointing outside the group open before admission.
    for (const s of members) {
      for (const g of s.startAfter ?? []) {
        if (g.when === "done" && byId.has(g.step) && !ids.includes(g.step)) await done.get(g.step)!.promise;
      }
    }
    const release = await (opts.limiter?.acquire(members.length) ?? Promise.resolve(() => undefined));
    try {
      await Promise.all(
        members.map(async (s) => {
          for (const g of s.startAfter ?? []) {
            if (g.when === "done" && ids.includes(g.step)) await done.get(g.step)!.promise;
          }
          await runOne(s);
        }),
      );
    } finally {
      release();
    }
  };

  await Promise.all(readyGroups(steps).map(runGroup));
  return { results, notStarted };
}
