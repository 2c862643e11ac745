/**
 * Running commands for the checks: a bounded, killable process runner and the executors built on it.
 *
 * - {@link runProcess}: spawns argv without a shell in its own process group and, at the timeout,
 *   ends the whole group (SIGTERM, then SIGKILL), so a probe that forks (`sh -c 'a & b'`) leaves
 *   nothing behind. Never throws for a failing command.
 * - {@link KubectlExecutor}: `kubectl exec` into a pod (the lab's real executor).
 * - Executors that run on this machine (LocalExecutor, NetnsExecutor) or replay recordings
 *   (RecordedExecutor) live in runner/localExecutors.ts.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";

import { shellJoin } from "../lib/shell";
import type { ExecOptions, ExecResult, ExecTarget, Executor } from "../checks/types";

/** Options of {@link runProcess}. */
export interface RunProcessOptions {
  /** Seconds before the process group is ended. Must be positive. */
  readonly timeoutSeconds: number;
  /** Written to stdin, which is then closed. Without it stdin is /dev/null. */
  readonly input?: string;
  /** Variables merged over `process.env` (also used to find argv[0] on PATH). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Bytes kept per stream (stdout and stderr each); the rest is counted and dropped. Defaults to 1 MiB. */
  readonly maxOutputBytes?: number;
  /** Milliseconds between SIGTERM and SIGKILL of the group. Defaults to 2000. */
  readonly killGraceMs?: number;
  /** Called with each chunk of stdout or stderr as it arrives (decoded as UTF-8). */
  readonly onOutput?: (text: string) => void;
}

/** What {@link runProcess} returns. */
export interface ProcessResult {
  readonly stdout: string;
  readonly stderr: string;
  /** The exit code; undefined when the process was killed by a signal or could not start. */
  readonly exitCode?: number;
  /** The signal that ended the process, when one did. */
  readonly signal?: NodeJS.Signals;
  /** Set when the timeout fired and the group was ended. */
  readonly timedOut: boolean;
  /** Set when some output was dropped (a note saying how much ends the stream concerned). */
  readonly truncated: boolean;
  readonly durationMs: number;
}

const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
const DEFAULT_KILL_GRACE_MS = 2000;
/** After SIGKILL, how long to wait for the pipes to close before giving up on them. */
const PIPE_CLOSE_WAIT_MS = 1000;
const GROUP_POLL_MS = 50;
/** After SIGKILL, how long to wait for the group to be gone before reporting anyway. */
const SIGKILL_WAIT_MS = 2000;

/** Process groups started by {@link runProcess} that are still being watched. */
const liveGroups = new Map<number, () => void>();

/** Keeps the first `limit` bytes of a stream and counts the rest. */
class BoundedBuffer {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private dropped = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    const room = this.limit - this.kept;
    if (room > 0) {
      const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
      this.chunks.push(part);
      this.kept += part.length;
    }
    this.dropped += Math.max(0, chunk.length - Math.max(0, room));
  }

  get truncated(): boolean {
    return this.dropped > 0;
  }

  text(): string {
    const body = Buffer.concat(this.chunks).toString("utf8");
    if (this.dropped === 0) return body;
    const sep = body === "" || body.endsWith("\n") ? "" : "\n";
    return `${body}${sep}[output truncated: kept the first ${this.kept} bytes, dropped ${this.dropped}]\n`;
  }
}

/**
 * True while a process other than a zombie is in the group. Uses /proc on Linux: `kill(-pgid, 0)`
 * also counts zombies, and orphaned children killed here may stay zombies for a while when PID 1
 * does not reap (containers, micro-VMs).
 */
export function processGroupAlive(pgid: number): boolean {
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return signalGroup(pgid, 0);
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // the process ended while we looked
    }
    // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so cut at the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) === pgid && fields[0] !== "Z" && fields[0] !== "X") return true;
  }
  return false;
}

/** Sends a signal to a process group; false when the group does not exist (or cannot be signalled). */
function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs argv (no shell) in a new process group with a timeout. At the timeout the whole group gets
 * SIGTERM and, `killGraceMs` later if any member is still alive, SIGKILL. When the leader exits on its
 * own, members it left running in its group (background jobs) are ended the same way: a probe must
 * not leave processes behind. A process that moves itself to another group or session (`setsid`) is
 * out of reach; probes must not daemonise.
 *
 * Never throws: a spawn error (ENOENT, EACCES) comes back with `exitCode` undefined and the error in
 * stderr.
 */
export function runProcess(argv: readonly string[], opts: RunProcessOptions): Promise<ProcessResult> {
  const started = Date.now();
  const maxBytes = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const graceMs = opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const stdout = new BoundedBuffer(maxBytes);
  const stderr = new BoundedBuffer(maxBytes);

  if (argv.length === 0 || !(opts.timeoutSeconds > 0)) {
    const problem = argv.length === 0 ? "empty argv" : `invalid timeout ${opts.timeoutSeconds}`;
    return Promise.resolve({
      stdout: "",
      stderr: `runProcess: ${problem}\n`,
      timedOut: false,
      truncated: false,
      durationMs: 0,
    });
  }

  return new Promise<ProcessResult>((resolve) => {
    const child = spawn(argv[0], argv.slice(1), {
      detached: true, // own process group: the timeout can end the whole tree
      stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      env: opts.env === undefined ? process.env : { ...process.env, ...opts.env },
    });

    let settled = false;
    let timedOut = false;
    let exitCode: number | undefined;
    let signal: NodeJS.Signals | undefined;
    let spawnError: Error | undefined;
    let exited = false;
    let closed = false;
    let groupDone = false;
    let ending: Promise<void> | undefined;
    let pipeTimer: NodeJS.Timeout | undefined;
    const pgid = child.pid;

    const finish = (): void => {
      if (settled || !closed || !groupDone) return;
      settled = true;
      clearTimeout(timer);
      if (pipeTimer !== undefined) clearTimeout(pipeTimer);
      if (pgid !== undefined) liveGroups.delete(pgid);
      let err = stderr.text();
      if (spawnError !== undefined) {
        const sep = err === "" || err.endsWith("\n") ? "" : "\n";
        err += `${sep}${argv[0]}: could not start: ${spawnError.message}\n`;
      }
      resolve({
        stdout: stdout.text(),
        stderr: err,
        exitCode,
        signal,
        timedOut,
        truncated: stdout.truncated || stderr.truncated,
        durationMs: Date.now() - started,
      });
    };

    /** SIGTERM the group, SIGKILL whatever is left after the grace period. Idempotent. */
    const endGroup = (): Promise<void> => {
      if (ending !== undefined) return ending;
      ending = (async () => {
        if (pgid === undefined) return;
        if (processGroupAlive(pgid) && signalGroup(pgid, "SIGTERM")) {
          const deadline = Date.now() + graceMs;
          while (Date.now() < deadline && processGroupAlive(pgid)) await sleep(GROUP_POLL_MS);
          if (processGroupAlive(pgid) && signalGroup(pgid, "SIGKILL")) {
            // SIGKILL takes effect when the process is next scheduled: on a loaded machine, later.
            const killDeadline = Date.now() + SIGKILL_WAIT_MS;
            while (Date.now() < killDeadline && processGroupAlive(pgid)) await sleep(GROUP_POLL_MS / 5);
          }
        }
      })().then(() => {
        groupDone = true;
        // A pipe held open by a process outside the group (setsid) would keep 'close' away forever.
        pipeTimer = setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
          closed = true;
          finish();
        }, PIPE_CLOSE_WAIT_MS);
        finish();
      });
      return ending;
    };

    if (pgid !== undefined) liveGroups.set(pgid, () => void endGroup());

    const timer = setTimeout(() => {
      timedOut = true;
      void endGroup();
    }, opts.timeoutSeconds * 1000);

    const tap = (chunk: Buffer): void => {
      try {
        opts.onOutput?.(chunk.toString("utf8"));
      } catch {
        // a listener's failure must not break the process bookkeeping
      }
    };
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout.push(chunk);
      tap(chunk);
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr.push(chunk);
      tap(chunk);
    });
    if (child.stdin) {
      child.stdin.on("error", () => undefined); // EPIPE when the command does not read its input
      child.stdin.end(opts.input);
    }

    child.on("error", (err) => {
      // Emitted when the spawn fails; later errors (a failed kill) do not change the result.
      if (exited || pgid !== undefined) return;
      spawnError = err;
      exited = true;
      groupDone = true;
    });
    child.on("exit", (code, sig) => {
      exited = true;
      exitCode = code ?? undefined;
      signal = sig ?? undefined;
      // The leader is gone; anything left in its group is a leftover background job.
      void endGroup();
    });
    child.on("close", () => {
      closed = true;
      if (pgid === undefined) groupDone = true;
      finish();
    });
  });
}

/**
 * Ends every process group that {@link runProcess} is still watching (SIGTERM, then SIGKILL) and
 * resolves once they are gone. For a CLI that is interrupted: the groups are detached, so a terminal's
 * Ctrl-C does not reach them.
 */
export async function terminateAllProcesses(
  timeoutMs = DEFAULT_KILL_GRACE_MS + SIGKILL_WAIT_MS + 500,
): Promise<void> {
  const groups = [...liveGroups.entries()];
  for (const [, end] of groups) end();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && groups.some(([pgid]) => liveGroups.has(pgid))) await sleep(GROUP_POLL_MS);
}

/** How many process groups {@link runProcess} is watching (tests). */
export function liveProcessGroupCount(): number {
  return liveGroups.size;
}

/** Turns a process result into an executor result with its display command. */
export function toExecResult(result: ProcessResult, command: string): ExecResult {
  let stderr = result.stderr;
  if (result.signal !== undefined && !result.timedOut) {
    const sep = stderr === "" || stderr.endsWith("\n") ? "" : "\n";
    stderr += `${sep}[ended by ${result.signal}]\n`;
  }
  return {
    stdout: result.stdout,
    stderr,
    exitCode: result.exitCode,
    timedOut: result.timedOut,
    command,
    durationMs: result.durationMs,
  };
}

/** `kubectl exec -n NS POD [-c C] -- argv...` as a person would type it (no kubeconfig, no context). */
export function kubectlExecDisplay(target: ExecTarget, argv: readonly string[]): string {
  return shellJoin(["kubectl", ...execArgs(target, argv)]);
}

function execArgs(target: ExecTarget, argv: readonly string[]): string[] {
  const container = target.container === undefined ? [] : ["-c", target.container];
  return ["exec", "-n", target.namespace, target.pod, ...container, "--", ...argv];
}

/** Options of {@link KubectlExecutor}. */
export interface KubectlExecutorOptions {
  /** Kubeconfig file passed as `--kubeconfig`. Defaults to kubectl's own (KUBECONFIG, ~/.kube/config). */
  readonly kubeconfig?: string;
  /** Context passed as `--context`. Defaults to the kubeconfig's current context. */
  readonly context?: string;
  /** The kubectl binary. Defaults to `kubectl` on PATH. */
  readonly kubectl?: string;
  /**
   * Seconds added to a step's timeout for kubectl itself (client start, API round trips). The API
   * request timeout is the step timeout plus this margin, and the process is killed 2 s after that.
   * Defaults to 5.
   */
  readonly marginSeconds?: number;
  /** Bytes of output kept per stream. Defaults to 256 KiB. */
  readonly maxOutputBytes?: number;
  /** Variables merged over `process.env` for kubectl. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Runs probe commands with `kubectl exec`. The command in the evidence is the `kubectl exec ...`
 * part only: the kubeconfig path (a temporary file, or a user's home) and the context stay out of the
 * published results.
 *
 * Disconnecting `kubectl exec` does not always end the command in the pod, so probes bound their own
 * run time inside the pod (`timeout N tcpdump ...`, `ping -w N`); the step timeout bounds kubectl.
 */
export class KubectlExecutor implements Executor {
  private readonly margin: number;

  constructor(private readonly opts: KubectlExecutorOptions = {}) {
    this.margin = opts.marginSeconds ?? 5;
  }

  /** The global flags (`--kubeconfig`, `--context`) every invocation carries. */
  globalArgs(): string[] {
    const args: string[] = [];
    if (this.opts.kubeconfig !== undefined) args.push("--kubeconfig", this.opts.kubeconfig);
    if (this.opts.context !== undefined) args.push("--context", this.opts.context);
    return args;
  }

  /** The full argv of an exec, kubeconfig included: what is spawned, never what is shown. */
  execArgv(target: ExecTarget, argv: readonly string[], timeoutSeconds: number): string[] {
    return [
      this.opts.kubectl ?? "kubectl",
      ...this.globalArgs(),
      `--request-timeout=${Math.ceil(timeoutSeconds + this.margin)}s`,
      ...execArgs(target, argv),
    ];
  }

  /**
   * `onOutput` sees the remote command's output as kubectl relays it: kubectl copies the exec's
   * stdout and stderr streams to its own as data arrives (kubernetes/kubernetes
   * `staging/src/k8s.io/client-go/tools/remotecommand/v2.go` copyStdout/copyStderr, io.Copy per
   * stream, commit 030880a5; the newer protocol versions build on it: not checked line by line).
   */
  exec(target: ExecTarget, argv: readonly string[], opts: ExecOptions): Promise<ExecResult> {
    return this.run(
      this.execArgv(target, argv, opts.timeoutSeconds),
      kubectlExecDisplay(target, argv),
      opts.timeoutSeconds + this.margin + 2,
      opts.onOutput,
    );
  }

  /**
   * Runs any other kubectl command (`get ... -o json` for context discovery) with the same global
   * flags. The displayed command is `kubectl ARGS` without them.
   */
  kubectl(args: readonly string[], timeoutSeconds: number): Promise<ExecResult> {
    const argv = [
      this.opts.kubectl ?? "kubectl",
      ...this.globalArgs(),
      `--request-timeout=${Math.ceil(timeoutSeconds)}s`,
      ...args,
    ];
    // No cap here: discovery reads whole lists (a 256 KiB cap turned a 32-node EKS node list into
    // "printed no JSON"); its size grows with the cluster, not with a probe's chatter.
    return this.run(argv, shellJoin(["kubectl", ...args]), timeoutSeconds + 2, undefined, Infinity);
  }

  private async run(
    argv: string[],
    display: string,
    timeoutSeconds: number,
    onOutput?: (text: string) => void,
    maxOutputBytes?: number,
  ): Promise<ExecResult> {
    const result = await runProcess(argv, {
      timeoutSeconds,
      env: this.opts.env,
      maxOutputBytes: maxOutputBytes ?? this.opts.maxOutputBytes ?? 256 * 1024,
      onOutput,
    });
    return toExecResult(result, display);
  }
}
