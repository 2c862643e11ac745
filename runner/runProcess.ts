/**
 * A bounded, killable process runner: {@link runProcess} spawns argv without a shell in its own
 * process group and, at the timeout, ends the whole group (SIGTERM, then SIGKILL), so a probe that
 * forks (`sh -c 'a & b'`) leaves nothing behind. Never throws for a failing command. Output is kept
 * up to a bound per stream. The groups it watches are in runner/processGroups.ts.
 */
import { spawn } from "node:child_process";

import {
  DEFAULT_KILL_GRACE_MS,
  GROUP_POLL_MS,
  SIGKILL_WAIT_MS,
  liveGroups,
  processGroupAlive,
  signalGroup,
  sleep,
} from "./processGroups";

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
/** After SIGKILL, how long to wait for the pipes to close before giving up on them. */
const PIPE_CLOSE_WAIT_MS = 1000;

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
