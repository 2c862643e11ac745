/**
 * Which CPUs iperf3 may be pinned to, read in every pod a pair uses: `nproc` and the
 * `Cpus_allowed_list:` line of /proc/self/status (the CPUs the process, and so its container, may run
 * on: Linux `Documentation/filesystems/proc.rst`, "Cpus_allowed_list: List of CPUs on which this
 * process may run (list format)"; list format as in cpuset(7): ranges and single CPUs, e.g. `0-3,8`).
 *
 * The pinning rule (issue 25): pin only single-stream runs. iperf3 `-A` binds the calling thread with
 * sched_setaffinity(0, ...) (esnet/iperf at c9b74229, src/iperf_api.c lines 5546-5556) before it
 * creates the stream threads, which inherit the mask: the client pins at src/iperf_client_api.c lines
 * 623-625 and creates its workers at line 746; the server pins at src/iperf_server_api.c lines 584-588
 * (and 209-212 for the client's `-A n,m`) and creates its workers at line 961. With `-P 2` or more,
 * every stream then shares the one CPU. The client's CPU comes from the client pod's list and the
 * server's from the server pod's, both avoiding CPU 0 (where the kernel's housekeeping and many
 * interrupts run) and never the same number (on kind every node shares the host's CPUs).
 */

/** The probe: the CPU count and the allowed list of the pod's process. */
export const CPU_PROBE = "nproc; grep '^Cpus_allowed_list:' /proc/self/status";

/** `0-3,8` → [0, 1, 2, 3, 8]; undefined when it is not a CPU list. */
export function parseCpuList(text: string): number[] | undefined {
  const t = text.trim();
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(t)) return undefined;
  const out = new Set<number>();
  for (const part of t.split(",")) {
    const [a, b] = part.split("-").map(Number);
    const end = b ?? a;
    if (end < a || end - a > 4096) return undefined;
    for (let c = a; c <= end; c++) out.add(c);
  }
  return [...out].sort((x, y) => x - y);
}

/** What the probe printed: the CPU count and the allowed CPUs (each undefined when unreadable). */
export function parseCpuProbe(raw: string): { nproc?: number; allowed?: number[] } {
  const lines = raw.split("\n").map((l) => l.trim());
  const n = Number(lines[0]);
  const listLine = lines.find((l) => l.startsWith("Cpus_allowed_list:"));
  const allowed =
    listLine === undefined ? undefined : parseCpuList(listLine.slice("Cpus_allowed_list:".length));
  return {
    ...(Number.isInteger(n) && n >= 1 && /^\d+$/.test(lines[0]) ? { nproc: n } : {}),
    ...(allowed !== undefined ? { allowed } : {}),
  };
}

/** The CPUs of one iperf3 run, or why it is not pinned. */
export type Pinning = { readonly client: number; readonly server: number } | { readonly why: string };

/** The pinning of a run: single stream only, CPUs from each side's allowed list, never CPU 0. */
export function choosePinning(
  streams: number,
  client: readonly number[] | undefined,
  server: readonly number[] | undefined,
): Pinning {
  if (streams !== 1) {
    return {
      why: `${streams} streams: iperf3 -A would put every stream on one CPU (it pins before it creates the stream threads)`,
    };
  }
  if (client === undefined || server === undefined) {
    return { why: `the ${client === undefined ? "client" : "server"} pod's allowed CPUs are unknown` };
  }
  const c = client.find((x) => x !== 0);
  if (c === undefined) return { why: "the client pod may run on CPU 0 only" };
  const s = server.find((x) => x !== 0 && x !== c);
  if (s === undefined) return { why: `the server pod has no CPU other than 0 and the client's ${c}` };
  return { client: c, server: s };
}
