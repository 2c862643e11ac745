/** Waiting on processes in tests. */
import { spawnSync } from "child_process";
import * as fs from "fs";

/** True while the process exists and is not a zombie (/proc/PID/stat state). */
export function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z";
  } catch {
    return false;
  }
}

/** Polls `cond` every 50 ms for up to `ms`; its last answer. */
export async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

/**
 * The work script inside a Command wrapped by lib/processGroup.ts (`work='...'` on its second line),
 * read back by the shell itself; a script that is not wrapped is returned as it is.
 */
export function groupWork(script: string): string {
  const end = script.indexOf("\nexec 3<&0\n");
  if (!script.startsWith("set -u\nwork=") || end < 0) return script;
  const r = spawnSync("/bin/sh", ["-c", `${script.slice(0, end)}\nprintf '%s' "$work"`], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`cannot read the work of a wrapped script: ${r.stderr}`);
  return r.stdout;
}
