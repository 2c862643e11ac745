/**
 * The process groups {@link runProcess} (runner/runProcess.ts) starts: the registry of groups still
 * watched, whether a group still has a live member (/proc), signalling a group, and ending them all
 * when a CLI is interrupted ({@link terminateAllProcesses}). Also the timing constants of ending a
 * group, shared with runProcess.
 */
import * as fs from "node:fs";

export const DEFAULT_KILL_GRACE_MS = 2000;
export const GROUP_POLL_MS = 50;
/** After SIGKILL, how long to wait for the group to be gone before reporting anyway. */
export const SIGKILL_WAIT_MS = 2000;

/** Process groups started by {@link runProcess} that are still being watched. */
export const liveGroups = new Map<number, () => void>();

/**
 * True while a process other than a zombie is in the group. Uses /proc on Linux: `kill(-pgid, 0)`
 * also counts zombies, and orphaned children killed here may stay zombies for a while when PID 1
 * does not reap (containers, micro-VMs).
 *
 * `kill(-pgid, 0)` answers first: ESRCH means no process at all is in the group, zombies included
 * (kill(2): "ESRCH The target process or process group does not exist. Note that an existing process
 * might be a zombie", https://man7.org/linux/man-pages/man2/kill.2.html). That is the usual answer
 * once a probe has exited, and it spares a read of every /proc/PID/stat (1.4 ms with 66 processes
 * here, several ms on a busy host, after every probe). Any other answer (members, or EPERM) reads /proc.
 */
export function processGroupAlive(pgid: number): boolean {
  if (!groupMayHaveMembers(pgid)) return false;
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

/** False only when the kernel says the group has no process at all (ESRCH). */
function groupMayHaveMembers(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/** Sends a signal to a process group; false when the group does not exist (or cannot be signalled). */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
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
