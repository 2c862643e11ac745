/**
 * Measures what a check run costs as the cluster grows, offline: synthetic labs of N nodes (the seed
 * lab's kubectl JSON, one node/pod item per synthetic node), a fake `kubectl` (a shell script: `get`
 * prints the synthetic documents, `exec` prints "listening on fake" on stderr and sleeps 0.5 s; it
 * never touches a network) and the real check CLI.
 *
 *   npx ts-node scripts/measure-scale.ts [--tree DIR] [--mode one|per-check] [--nodes 3,10,50,200]
 *     [--node-device auto|DEV] [--max-execs N]
 *
 * `--tree` runs another checkout's CLI (e.g. the code before issue 15); `--mode per-check` runs one
 * CLI per check at once (what the stack did: 14 Command resources), `one` a single CLI (the stack
 * now). Prints one JSON line per N: execs and gets kubectl saw, the most kubectl processes at once,
 * the runners' peak RSS (summed over runners that ran together), the run's and the dry run's wall time.
 *
 * The fake kubectl prints whole `-o json` documents whatever the output flags (discovery still reads
 * them). What the REAL kubectl prints, the discovery bytes, and the memory of the whole process tree
 * (runner + every kubectl) are measured by scripts/measure-memory.ts against a fake API server.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { ALL_CHECKS } from "../checks/defs";
import { TRACE_READY } from "../checks/defs/pathTrace";
import { shellJoin } from "../lib/shell";
import type { DocKey } from "../runner/discoveryTypes";
import { writeOfflineCurl } from "../test/helpers/offlineCurl";
import { syntheticContext, syntheticDocs } from "../test/helpers/syntheticLab";

const ROOT = path.resolve(__dirname, "..");

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

/** The fake kubectl's file per discovery document (test/helpers/syntheticLab.ts builds them). */
const FILES: Record<DocKey, string> = {
  nodes: "nodes",
  ciliumNodes: "ciliumnodes",
  testPods: "testpods",
  client: "client",
  ciliumPods: "ciliumpods",
  probePods: "probepods",
  kubeProxyPods: "kubeproxy",
  kubeProxyStaticPods: "kubeproxy",
  service: "service",
  ciliumConfig: "ciliumconfig",
};

const FAKE_KUBECTL = `#!/bin/sh
# Fake kubectl for scale measurements: no network, ever.
echo "start $$ $(date +%s%N)" >>"$FAKE_LOG"
kind=get
for w in "$@"; do [ "$w" = exec ] && kind=exec; done
if [ "$kind" = get ]; then
  f=
  for w in "$@"; do
    case "$w" in
      nodes) f=nodes ;; ciliumnodes.cilium.io) f=ciliumnodes ;; app=evescn) f=testpods ;;
      k8s-app=cilium) f=ciliumpods ;; app.kubernetes.io/name=node-probe) f=probepods ;;
      k8s-app=kube-proxy|component=kube-proxy) f=kubeproxy ;; serversvc) f=service ;;
      cilium-config) f=ciliumconfig ;;
    esac
  done
  [ -z "$f" ] && f=client
  cat "$FAKE_DOCS/$f.json"
else
  # Every exec announces the readiness markers that gate traffic steps: tcpdump's (captures) and
  # cilium monitor's (checks/defs/pathTrace.ts TRACE_READY, the trace before redirect-neigh's ping),
  # so every planned exec runs, as in a real run.
  echo "listening on fake" >&2
  echo ${shellJoin([TRACE_READY])} >&2
  sleep 0.5
fi
echo "end $$ $(date +%s%N) $kind" >>"$FAKE_LOG"
`;

export interface Figures {
  nodes: number;
  mode: string;
  /** The `kubectl exec`s the dry run plans (the runner's-host step is not one). */
  plannedExecs?: number;
  /** `--node-device auto`: the plan's detection execs and the fallbacks they may add. */
  plannedDeviceExecs?: { execs: number; fallbackAtMost: number };
  /** The most `kubectl exec`s alive at once. */
  maxExecsAtOnce: number;
  execs: number;
  gets: number;
  maxKubectlAtOnce: number;
  runnerPeakRssMb: number;
  runSeconds: number;
  dryRunSeconds: number;
}

function maxAtOnce(log: string, only?: string): number {
  const ends = new Map(
    log
      .split("\n")
      .filter((l) => l.startsWith("end "))
      .map((l) => [l.split(" ")[1], l.split(" ")[3]] as const),
  );
  const events = log
    .split("\n")
    .filter((l) => l !== "")
    .filter((l) => only === undefined || ends.get(l.split(" ")[1]) === only)
    .map((l) => l.split(" "))
    .map(([what, , ns]) => [Number(BigInt(ns) / 1000n), what === "start" ? 1 : -1] as const)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let cur = 0;
  let max = 0;
  for (const [, d] of events) {
    cur += d;
    max = Math.max(max, cur);
  }
  return max;
}

/** Runs `node -r ts-node/register/transpile-only <tree>/cli/check.ts args` under /usr/bin/time. */
function runner(tree: string, args: string[], env: NodeJS.ProcessEnv, rssFile: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(
      "/usr/bin/time",
      [
        "-f",
        "%M",
        "-o",
        rssFile,
        process.execPath,
        "-r",
        "ts-node/register/transpile-only",
        "cli/check.ts",
        ...args,
      ],
      { cwd: tree, env, stdio: ["ignore", "ignore", "ignore"] },
    );
    child.on("close", (code) => resolve(code ?? 1));
  });
}

/** Extra flags of a run: `--node-device`, `--max-execs`. */
export interface MeasureFlags {
  readonly nodeDevice?: string;
  readonly maxExecs?: number;
}

export async function measure(
  tree: string,
  mode: string,
  n: number,
  flags: MeasureFlags = {},
): Promise<Figures> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "scale-"));
  try {
    const ctx = syntheticContext(n);
    const docs = path.join(dir, "docs");
    fs.mkdirSync(docs);
    for (const [k, v] of Object.entries(syntheticDocs(ctx)))
      fs.writeFileSync(path.join(docs, `${FILES[k as DocKey]}.json`), JSON.stringify(v, null, 2));
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, "kubectl"), FAKE_KUBECTL, { mode: 0o755 });
    writeOfflineCurl(bin);
    const log = path.join(dir, "kubectl.log");
    fs.writeFileSync(log, "");
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}`, FAKE_LOG: log, FAKE_DOCS: docs };
    const extra = [
      ...(flags.nodeDevice !== undefined ? ["--node-device", flags.nodeDevice] : []),
      ...(flags.maxExecs !== undefined ? ["--max-execs", String(flags.maxExecs)] : []),
    ];
    const base = ["--kubeconfig", "/dev/null", "--output", "json", ...extra];

    const started = Date.now();
    const names = mode === "per-check" ? ALL_CHECKS.map((d) => [d.name]) : [ALL_CHECKS.map((d) => d.name)];
    const rssFiles = names.map((_, i) => path.join(dir, `rss-${i}`));
    await Promise.all(
      names.map((only, i) => runner(tree, [...base, "--only", only.join(",")], env, rssFiles[i])),
    );
    const runSeconds = (Date.now() - started) / 1000;
    const rss = rssFiles.reduce(
      (a, f) => a + Number(fs.readFileSync(f, "utf8").trim().split("\n").pop()) / 1024,
      0,
    );
    const text = fs.readFileSync(log, "utf8");
    const ends = text.split("\n").filter((l) => l.startsWith("end "));

    const ctxFile = path.join(dir, "ctx.json");
    fs.writeFileSync(ctxFile, JSON.stringify(ctx));
    const dryStart = Date.now();
    const dry = spawnSync(
      process.execPath,
      [
        "-r",
        "ts-node/register/transpile-only",
        "cli/check.ts",
        "--dry-run",
        "--context-file",
        ctxFile,
        "--output",
        "json",
        ...extra,
      ],
      { cwd: tree, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 },
    );
    const dryRunSeconds = (Date.now() - dryStart) / 1000;
    let plannedExecs: number | undefined;
    let plannedDeviceExecs: Figures["plannedDeviceExecs"];
    try {
      const plan = JSON.parse(dry.stdout) as {
        counts: { totalExecs: number; deviceDetection?: Figures["plannedDeviceExecs"] };
        steps: { host?: boolean }[];
      };
      const counts = plan.counts;
      // kubectl execs only: the runner's-host step (nodeport-from-outside's curl) runs here.
      plannedExecs = counts.totalExecs - plan.steps.filter((s) => s.host === true).length;
      plannedDeviceExecs = counts.deviceDetection;
    } catch {
      plannedExecs = undefined;
    }
    return {
      nodes: n,
      mode,
      plannedExecs,
      ...(plannedDeviceExecs !== undefined ? { plannedDeviceExecs } : {}),
      execs: ends.filter((l) => l.endsWith(" exec")).length,
      gets: ends.filter((l) => l.endsWith(" get")).length,
      maxKubectlAtOnce: maxAtOnce(text),
      maxExecsAtOnce: maxAtOnce(text, "exec"),
      runnerPeakRssMb: Math.round(rss),
      runSeconds,
      dryRunSeconds,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function mainScript(): Promise<void> {
  const tree = path.resolve(arg("--tree", ROOT));
  const mode = arg("--mode", "one");
  const nodeDevice = arg("--node-device", "");
  const maxExecs = arg("--max-execs", "");
  const flags: MeasureFlags = {
    ...(nodeDevice !== "" ? { nodeDevice } : {}),
    ...(maxExecs !== "" ? { maxExecs: Number(maxExecs) } : {}),
  };
  for (const n of arg("--nodes", "3,10,50,200").split(",").map(Number)) {
    process.stdout.write(`${JSON.stringify(await measure(tree, mode, n, flags))}\n`);
  }
}

if (require.main === module) void mainScript();
