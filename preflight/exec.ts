import { spawnSync } from "child_process";
import type { Runner } from "./types";

/** Runs programs directly (no shell: arguments stay literal), each cut after `timeoutMs`. */
export function localRunner(timeoutMs = 20000): Runner {
  return (program, args) => {
    const r = spawnSync(program, [...args], { encoding: "utf8", timeout: timeoutMs, maxBuffer: 16 << 20 });
    const err = r.error as NodeJS.ErrnoException | undefined;
    return {
      status: r.status,
      stdout: r.stdout ?? "",
      stderr: r.stderr ?? "",
      missing: err?.code === "ENOENT",
      timedOut: err?.code === "ETIMEDOUT",
    };
  };
}
