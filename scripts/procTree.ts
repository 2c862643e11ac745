/**
 * Samples the memory of a process tree from /proc (Linux): the root and every descendant, at a short
 * interval. Per sample: the tree's summed RSS (`VmRSS`, /proc/PID/status) and PSS (`Pss`,
 * /proc/PID/smaps_rollup: shared pages divided among the processes sharing them, so N kubectl
 * processes of one binary are not counted N times), the root's own RSS, and the kubectl processes
 * alive, split by verb (`get`, `exec`, other) from their command lines. Keeps the peaks.
 *
 * /proc fields: proc(5) (`/proc/pid/stat` field 4 = ppid; `/proc/pid/status` VmRSS in kB;
 * `/proc/pid/smaps_rollup` Pss in kB, Linux 4.14+).
 */
import * as fs from "node:fs";

export interface TreePeaks {
  samples: number;
  /** Most of the tree's summed RSS seen in one sample, MiB. */
  treeRssMb: number;
  /** Most of the tree's summed PSS seen in one sample, MiB. */
  treePssMb: number;
  /** The root process's own peak RSS, MiB. */
  rootRssMb: number;
  /** Most kubectl processes alive in one sample, all verbs and per verb. */
  kubectl: number;
  kubectlGet: number;
  kubectlExec: number;
  /** Most summed RSS of kubectl processes in one sample, MiB. */
  kubectlRssMb: number;
}

function readKb(file: string, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(fs.readFileSync(file, "utf8"));
    return m === null ? 0 : Number(m[1]);
  } catch {
    return 0; // the process ended between listing and reading
  }
}

/** Parent of every live process, from /proc/PID/stat (comm may hold spaces: read after the last ')'). */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const e of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] !== "Z") out.set(Number(e), Number(fields[1]));
    } catch {
      // ended
    }
  }
  return out;
}

/** The root and its live descendants. */
export function treeOf(root: number): number[] {
  const ppid = parents();
  const children = new Map<number, number[]>();
  for (const [pid, parent] of ppid) children.set(parent, [...(children.get(parent) ?? []), pid]);
  const out: number[] = [];
  const stack = ppid.has(root) ? [root] : [];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

function kubectlVerb(pid: number): "get" | "exec" | "other" | undefined {
  let argv: string[];
  try {
    argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return undefined;
  }
  if (!/(^|\/)kubectl$/.test(argv[0] ?? "")) return undefined;
  if (argv.includes("exec")) return "exec";
  if (argv.includes("get")) return "get";
  return "other";
}

/** Samples the tree of `root` every `intervalMs` until stop(); returns the peaks. */
export function sampleTree(root: number, intervalMs = 20): { stop(): TreePeaks } {
  const peaks: TreePeaks = {
    samples: 0,
    treeRssMb: 0,
    treePssMb: 0,
    rootRssMb: 0,
    kubectl: 0,
    kubectlGet: 0,
    kubectlExec: 0,
    kubectlRssMb: 0,
  };
  const sample = (): void => {
    const pids = treeOf(root);
    if (pids.length === 0) return;
    let rss = 0;
    let pss = 0;
    let kRss = 0;
    const verbs = { get: 0, exec: 0, other: 0 };
    for (const pid of pids) {
      const r = readKb(`/proc/${pid}/status`, "VmRSS");
      rss += r;
      pss += readKb(`/proc/${pid}/smaps_rollup`, "Pss");
      if (pid === root) peaks.rootRssMb = Math.max(peaks.rootRssMb, r / 1024);
      const verb = kubectlVerb(pid);
      if (verb !== undefined) {
        verbs[verb]++;
        kRss += r;
      }
    }
    peaks.samples++;
    peaks.treeRssMb = Math.max(peaks.treeRssMb, rss / 1024);
    peaks.treePssMb = Math.max(peaks.treePssMb, pss / 1024);
    peaks.kubectlRssMb = Math.max(peaks.kubectlRssMb, kRss / 1024);
    peaks.kubectl = Math.max(peaks.kubectl, verbs.get + verbs.exec + verbs.other);
    peaks.kubectlGet = Math.max(peaks.kubectlGet, verbs.get);
    peaks.kubectlExec = Math.max(peaks.kubectlExec, verbs.exec);
  };
  const timer = setInterval(sample, intervalMs);
  sample();
  return {
    stop: () => {
      clearInterval(timer);
      const round = (x: number): number => Math.round(x * 10) / 10;
      return {
        ...peaks,
        treeRssMb: round(peaks.treeRssMb),
        treePssMb: round(peaks.treePssMb),
        rootRssMb: round(peaks.rootRssMb),
        kubectlRssMb: round(peaks.kubectlRssMb),
      };
    },
  };
}
