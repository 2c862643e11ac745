/**
 * Measures what a check run costs in memory with the REAL kubectl (/usr/bin/kubectl) against the fake
 * Kubernetes API server (test/helpers/fakeApiServer.ts, 127.0.0.1 only): the runner
 * (`node cli/run.js check`) is started as a child, and its whole process tree (runner + every
 * kubectl) is sampled from /proc (scripts/procTree.ts) every 20 ms.
 *
 *   npx ts-node --transpile-only scripts/measure-memory.ts [--nodes 3,10,50,200] [--full 3,200]
 *     [--exec-ms 500] [--max-execs 8] [--all-nodes] [--tree DIR] [--no-bound-flags] [--no-dry-run]
 *
 * (`--no-bound-flags`, `--no-dry-run`: for a checkout from before `--max-execs` and `--dry-run`.)
 * Per N, one JSON line per measurement:
 * - `bytes`: what the tree's discovery gets make kubectl print (each get run once by the real
 *   kubectl), and what the API server sent for them (the same objects either way);
 * - `dry-run`: `check --dry-run` (discovery through kubectl, then the plan; no exec);
 * - `run` (N in --full): a full check run. Execs are answered with the recorded outputs of the seed
 *   lab (test/fixtures/recordings/seed-lab) where a step has one (N = 3 is the seed lab itself), else
 *   they fail with a message saying so; either way each exec is held `--exec-ms` before it ends,
 *   standing for a probe's run time.
 * N = 3 serves the seed lab's recorded documents; other N the synthetic labs of
 * test/helpers/syntheticLab.ts (items cloned from the seed's). `--tree` runs another checkout (its
 * cli/run.js and runner/discovery.ts), e.g. the code before the discovery projection.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { ALL_CHECKS } from "../checks/defs";
import { buildLabContext } from "../runner/contextBuilder";
import type { DocKey } from "../runner/discoveryTypes";
import { planChecks } from "../runner/plan";
import { readRecording } from "../runner/recording";
import { recordingAnswerer } from "../test/helpers/fakeApiExec";
import { objectsFromDocs } from "../test/helpers/fakeApiObjects";
import { REAL_KUBECTL, runRealKubectl, startFakeApiServer } from "../test/helpers/fakeApiServer";
import { writeOfflineCurl } from "../test/helpers/offlineCurl";
import { seedDocs } from "../test/helpers/fakes";
import { syntheticContext, syntheticDocs } from "../test/helpers/syntheticLab";
import { sampleTree, type TreePeaks } from "./procTree";

const ROOT = path.resolve(__dirname, "..");
const SEED_RECORDING = path.join(ROOT, "test", "fixtures", "recordings", "seed-lab");

export interface RunMeasurement extends TreePeaks {
  readonly exitCode: number | null;
  readonly wallSeconds: number;
  /** Execs the server saw, and the most it served at once. */
  readonly execs: number;
  readonly execsAtOnce: number;
  /** Execs answered with a recorded output. */
  readonly recordedAnswers: number;
  readonly verdicts: Record<string, number>;
  /** Each check's verdict and reason (what a failed assertion shows). */
  readonly results: readonly { name: string; verdict: string; reason: string }[];
  readonly plannedExecs?: number;
  readonly stderrTail: string;
}

export interface RunOptions {
  /** The checkout whose `cli/run.js check` runs (default: this one). */
  readonly tree?: string;
  readonly docs: Record<DocKey, unknown>;
  /** Runner flags after `--kubeconfig K --native-cidr 10.0.0.0/8 --output json`. */
  readonly args: readonly string[];
  /** Milliseconds each exec is held (default 500). */
  readonly execMs?: number;
  readonly intervalMs?: number;
  /** Every exec waits until this many run at once (or 5 s): see recordingAnswerer's holdUntilAtOnce. */
  readonly holdUntilAtOnce?: number;
}

/** The lab of N nodes: the seed's recorded documents for 3, synthetic ones otherwise. */
export function labDocs(n: number): Record<DocKey, unknown> {
  return n === 3 ? seedDocs() : (syntheticDocs(syntheticContext(n)) as Record<DocKey, unknown>);
}

/** Starts the fake server, runs the runner against it with the tree sampled; returns the figures. */
export async function measureRun(opts: RunOptions): Promise<RunMeasurement> {
  const tree = opts.tree ?? ROOT;
  const recording = readRecording(SEED_RECORDING);
  const built = buildLabContext(opts.docs);
  if (built.context === undefined)
    throw new Error(`the served lab has no context: ${JSON.stringify(built.problems)}`);
  const only = opts.args.includes("--only")
    ? opts.args[opts.args.indexOf("--only") + 1].split(",")
    : undefined;
  const plan = planChecks(ALL_CHECKS, built.context, only, { allNodes: opts.args.includes("--all-nodes") });
  const execMs = opts.execMs ?? 500;
  // The seed's recorded outputs answer only the seed lab (a synthetic lab reuses pod names like `net`).
  const sameLab = JSON.stringify(built.context) === JSON.stringify(recording.context);
  const answers = recordingAnswerer(plan.steps, sameLab ? recording.steps : [], {
    unrecordedDelayMs: execMs,
    recordedDelayMs: execMs,
    holdUntilAtOnce: opts.holdUntilAtOnce,
  });
  const server = await startFakeApiServer({
    objects: objectsFromDocs(Object.values(opts.docs)),
    exec: answers,
  });
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "measure-home-"));
  fs.mkdirSync(path.join(home, "bin"));
  writeOfflineCurl(path.join(home, "bin"));
  try {
    const started = Date.now();
    // A checkout from before cli/run.js (8eab6a1 and older) ran its TypeScript through ts-node.
    const entry = fs.existsSync(path.join(tree, "cli", "run.js"))
      ? [path.join(tree, "cli", "run.js"), "check"]
      : ["-r", "ts-node/register/transpile-only", path.join(tree, "cli", "check.ts")];
    const child = spawn(
      process.execPath,
      // --native-cidr as the stack passes it (components/checkCommands.ts): discovery then makes the
      // stack's gets (without it the runner also reads cilium-config for the CIDR).
      [
        ...entry,
        "--kubeconfig",
        server.kubeconfig,
        "--native-cidr",
        "10.0.0.0/8",
        "--output",
        "json",
        ...opts.args,
      ],
      {
        cwd: tree,
        // The real kubectl first on PATH; nothing else of the caller's environment (no KUBECONFIG).
        // The tests' offline curl first: the runner's-host step must not contact the fake nodes' addresses.
        env: { PATH: `${home}/bin:${path.dirname(REAL_KUBECTL)}:/bin`, HOME: home, ...server.env },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const sampler = sampleTree(child.pid!, opts.intervalMs ?? 20);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exitCode = await new Promise<number | null>((resolve) =>
      child.on("close", (code) => resolve(code)),
    );
    const peaks = sampler.stop();
    const verdicts: Record<string, number> = {};
    let results: { name: string; verdict: string; reason: string }[] = [];
    let plannedExecs: number | undefined;
    try {
      const doc = JSON.parse(stdout) as {
        results?: { name: string; verdict: string; reason: string }[];
        counts?: { totalExecs: number };
      };
      results = (doc.results ?? []).map(({ name, verdict, reason }) => ({ name, verdict, reason }));
      for (const r of results) verdicts[r.verdict] = (verdicts[r.verdict] ?? 0) + 1;
      plannedExecs = doc.counts?.totalExecs;
    } catch {
      verdicts.unreadable = 1;
    }
    return {
      ...peaks,
      exitCode,
      wallSeconds: (Date.now() - started) / 1000,
      execs: server.requests().filter((r) => r.path.endsWith("/exec")).length,
      execsAtOnce: server.maxExecsAtOnce(),
      recordedAnswers: answers.answered(),
      verdicts,
      results,
      plannedExecs,
      stderrTail: stderr
        .split("\n")
        .filter((l) => l !== "")
        .slice(-3)
        .join(" | "),
    };
  } finally {
    await server.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

/** Bytes the tree's discovery gets make the real kubectl print, and the API bytes behind them. */
export async function discoveryBytes(
  tree: string,
  docs: Record<DocKey, unknown>,
): Promise<{ printedBytes: number; apiBytes: number }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { discoveryQueries } = require(path.join(tree, "runner", "discovery")) as {
    discoveryQueries: () => Record<string, string[]>;
  };
  const server = await startFakeApiServer({ objects: objectsFromDocs(Object.values(docs)) });
  try {
    const queries = discoveryQueries();
    let printedBytes = 0;
    // The tree's own queries (an older tree reads other documents).
    for (const [key, args] of Object.entries(queries)) {
      const r = await runRealKubectl(server, args);
      if (r.exitCode !== 0) throw new Error(`${key}: ${r.stderr}`);
      printedBytes += Buffer.byteLength(r.stdout);
    }
    const apiBytes = server
      .requests()
      .filter((r) => /\/(nodes|pods|services|ciliumnodes)(\/[^/]+)?$/.test(r.path))
      .reduce((a, r) => a + r.bytes, 0);
    return { printedBytes, apiBytes };
  } finally {
    await server.close();
  }
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

async function mainScript(): Promise<void> {
  if (!fs.existsSync(REAL_KUBECTL))
    throw new Error(`${REAL_KUBECTL} is absent: this measurement drives the real kubectl`);
  const tree = path.resolve(arg("--tree", ROOT));
  const full = new Set(
    arg("--full", "3,200")
      .split(",")
      .filter((x) => x !== "")
      .map(Number),
  );
  const execMs = Number(arg("--exec-ms", "500"));
  const runArgs = [
    ...(process.argv.includes("--no-bound-flags") ? [] : ["--max-execs", arg("--max-execs", "8")]),
    ...(process.argv.includes("--all-nodes") ? ["--all-nodes"] : []),
  ];
  const dry = !process.argv.includes("--no-dry-run");
  const print = (o: object): boolean => process.stdout.write(`${JSON.stringify(o)}\n`);
  for (const n of arg("--nodes", "3,10,50,200").split(",").map(Number)) {
    const docs = labDocs(n);
    print({ nodes: n, tree, what: "bytes", ...(await discoveryBytes(tree, docs)) });
    if (dry)
      print({
        nodes: n,
        tree,
        what: "dry-run",
        ...(await measureRun({ tree, docs, args: ["--dry-run"], execMs })),
      });
    if (full.has(n))
      print({
        nodes: n,
        tree,
        what: "run",
        args: runArgs,
        execMs,
        ...(await measureRun({ tree, docs, args: runArgs, execMs })),
      });
  }
}

if (require.main === module) {
  mainScript().catch((err: unknown) => {
    process.stderr.write(`measure-memory: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
