/**
 * Executors for proving probe mechanics without a cluster: {@link LocalExecutor} and
 * {@link NetnsExecutor} run on this machine, directly or inside a network namespace a test created
 * (`ip netns exec`); {@link RecordedExecutor} replays recorded results and records what it was asked.
 */
import { shellJoin } from "../lib/shell";
import { kubectlExecDisplay, toExecResult } from "./execResult";
import { sleep } from "./processGroups";
import { runProcess } from "./runProcess";
import type { ExecOptions, ExecResult, ExecTarget, Executor } from "../checks/types";

/** Options shared by the executors that run on this machine. */
export interface LocalExecutorOptions {
  /** Bytes of output kept per stream. Defaults to 256 KiB. */
  readonly maxOutputBytes?: number;
  /** Variables merged over `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Runs argv on this machine and ignores the target (tests of probe mechanics and of the runner). */
export class LocalExecutor implements Executor {
  constructor(private readonly opts: LocalExecutorOptions = {}) {}

  async exec(_target: ExecTarget, argv: readonly string[], opts: ExecOptions): Promise<ExecResult> {
    const result = await runProcess(argv, {
      timeoutSeconds: opts.timeoutSeconds,
      env: this.opts.env,
      maxOutputBytes: this.opts.maxOutputBytes ?? 256 * 1024,
      onOutput: opts.onOutput,
    });
    return toExecResult(result, shellJoin(argv));
  }
}

/** Options of {@link NetnsExecutor}. */
export interface NetnsExecutorOptions extends LocalExecutorOptions {
  /**
   * Prepended to `target.pod` to name the network namespace, so a test can give its namespaces a
   * unique prefix and keep the lab's pod names in its context. Defaults to "".
   */
  readonly prefix?: string;
}

/**
 * Runs argv inside a network namespace of this machine: `ip netns exec <prefix><target.pod> argv...`.
 * `target.namespace` and `target.container` are ignored (a netns has neither). Needs root. For tests
 * that build a small topology with `ip netns add` / veth pairs and check probe mechanics against it.
 */
export class NetnsExecutor implements Executor {
  constructor(private readonly opts: NetnsExecutorOptions = {}) {}

  /** The argv that is spawned (and shown); the runner's host is this machine's own (root) namespace. */
  execArgv(target: ExecTarget, argv: readonly string[]): string[] {
    if (target.host === true) return [...argv];
    return ["ip", "netns", "exec", `${this.opts.prefix ?? ""}${target.pod}`, ...argv];
  }

  async exec(target: ExecTarget, argv: readonly string[], opts: ExecOptions): Promise<ExecResult> {
    const full = this.execArgv(target, argv);
    const result = await runProcess(full, {
      timeoutSeconds: opts.timeoutSeconds,
      env: this.opts.env,
      maxOutputBytes: this.opts.maxOutputBytes ?? 256 * 1024,
      onOutput: opts.onOutput,
    });
    return toExecResult(result, shellJoin(full));
  }
}

/** Selects the calls a recording answers: an exact argv, or a predicate. */
export type ArgvMatcher = readonly string[] | ((argv: readonly string[], target: ExecTarget) => boolean);

/** One recorded answer of a {@link RecordedExecutor}. */
export interface Recording {
  /** The pod it answers for; `"*"` for any pod. */
  readonly pod: string;
  readonly argv: ArgvMatcher;
  readonly stdout?: string;
  readonly stderr?: string;
  /** Defaults to 0 (when `timedOut` is not set). */
  readonly exitCode?: number;
  readonly timedOut?: boolean;
  /** Milliseconds the answer takes (a real wait), to test parallelism and delays. Defaults to 0. */
  readonly delayMs?: number;
}

/** One call a {@link RecordedExecutor} received. */
export interface RecordedCall {
  readonly target: ExecTarget;
  readonly argv: readonly string[];
  readonly timeoutSeconds: number;
  /** `Date.now()` when the call arrived. */
  readonly startedAt: number;
}

/**
 * Replays recorded results keyed by (pod, argv or matcher); the first matching recording wins. A
 * call that matches nothing gets a result with no exit code and a stderr that says so (it does not
 * throw, like a real executor). The command shown is the `kubectl exec` one, as in a real run.
 */
export class RecordedExecutor implements Executor {
  private readonly received: RecordedCall[] = [];

  constructor(private readonly recordings: readonly Recording[]) {}

  /** The calls received so far, in arrival order. */
  get calls(): readonly RecordedCall[] {
    return this.received;
  }

  async exec(target: ExecTarget, argv: readonly string[], opts: ExecOptions): Promise<ExecResult> {
    const startedAt = Date.now();
    this.received.push({ target, argv: [...argv], timeoutSeconds: opts.timeoutSeconds, startedAt });
    const command = kubectlExecDisplay(target, argv);
    const rec = this.recordings.find(
      (r) => (r.pod === "*" || r.pod === target.pod) && matches(r.argv, argv, target),
    );
    if (rec === undefined) {
      return {
        stdout: "",
        stderr: `RecordedExecutor: no recording for pod ${target.pod}: ${shellJoin(argv)}\n`,
        timedOut: false,
        command,
        durationMs: 0,
      };
    }
    // A recording's output is there from the start: a capture in it is "listening" at once.
    for (const text of [rec.stdout ?? "", rec.stderr ?? ""]) if (text !== "") opts.onOutput?.(text);
    if (rec.delayMs !== undefined && rec.delayMs > 0) await sleep(rec.delayMs);
    return {
      stdout: rec.stdout ?? "",
      stderr: rec.stderr ?? "",
      exitCode: rec.exitCode ?? (rec.timedOut === true ? undefined : 0),
      timedOut: rec.timedOut ?? false,
      command,
      durationMs: Date.now() - startedAt,
    };
  }
}

function matches(matcher: ArgvMatcher, argv: readonly string[], target: ExecTarget): boolean {
  if (typeof matcher === "function") return matcher(argv, target);
  return matcher.length === argv.length && matcher.every((word, i) => word === argv[i]);
}
