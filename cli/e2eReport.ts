/**
 * Helpers of scripts/e2e.sh (the end-to-end run on a machine with Docker, kind, kubectl and Pulumi):
 *
 *   e2eReport.ts checks FILE    reads `pulumi stack output --json`; prints every check that did not
 *                               pass with its reason and evidence; exit 1 unless all 14 passed.
 *   e2eReport.ts phases FILE --started S --up-ended E --preflight N --destroy N
 *                               reads `pulumi up --event-log FILE` and prints one table of how long
 *                               each phase took (preflight, cluster, Cilium ready, workload ready,
 *                               checks, destroy).
 *
 * The event log holds one JSON EngineEvent per line: `timestamp` (Unix seconds) and, when a resource
 * is done, `resOutputsEvent.metadata.urn` (pulumi/pulumi sdk/go/common/apitype/events.go lines
 * 226-227, 291-293 and 339-358).
 */
import * as fs from "fs";
import { runCliMain } from "./main";
import { ALL_CHECKS } from "../checks/defs";

interface Evidence {
  readonly command?: string;
  readonly output?: string;
}
interface Result {
  readonly name?: string;
  readonly verdict?: string;
  readonly reason?: string;
  readonly evidence?: readonly Evidence[];
}

/** The checks that did not pass (and the ones missing), each with its reason and evidence. */
export function failedChecks(stackOutput: unknown, expected: readonly string[]): string[] {
  const results = ((stackOutput as { checks?: { results?: Result[] } })?.checks?.results ?? []) as Result[];
  const lines: string[] = [];
  for (const name of expected) {
    const found = results.filter((r) => r.name === name);
    if (found.length === 0) lines.push(`${name}: missing from the checks output`);
    for (const r of found) {
      if (r.verdict === "pass") continue;
      lines.push(`${name}: ${r.verdict ?? "no verdict"}: ${r.reason ?? ""}`);
      for (const e of r.evidence ?? []) {
        lines.push(`  $ ${e.command ?? ""}`);
        for (const l of (e.output ?? "").split("\n").slice(0, 40)) lines.push(`    ${l}`);
      }
    }
  }
  return lines;
}

/** Milestones of `pulumi up`: the resource (URN suffix) whose completion ends each phase. */
export const MILESTONES: readonly { phase: string; urnSuffix: RegExp }[] = [
  { phase: "cluster", urnSuffix: /command:local:Command::lab-nodes$/ },
  { phase: "Cilium ready", urnSuffix: /kubernetes:helm\.sh\/v3:Release::cilium-release$/ },
  {
    phase: "workload ready",
    urnSuffix: /lab:index:LabWorkload::workload$|kubernetes:core\/v1:Pod::workload-client$/,
  },
  { phase: "checks", urnSuffix: /command:local:Command::checks-[a-z-]+$/ },
];

interface EngineEvent {
  readonly timestamp?: number;
  readonly resOutputsEvent?: { readonly metadata?: { readonly urn?: string } };
}

/** The Unix second each milestone completed (the last matching resource), from the event log. */
export function milestoneTimes(eventLog: string): Record<string, number | undefined> {
  const times: Record<string, number | undefined> = {};
  for (const line of eventLog.split("\n")) {
    if (line.trim() === "") continue;
    let ev: EngineEvent;
    try {
      ev = JSON.parse(line) as EngineEvent;
    } catch {
      continue;
    }
    const urn = ev.resOutputsEvent?.metadata?.urn;
    if (!urn || ev.timestamp === undefined) continue;
    for (const m of MILESTONES) {
      if (m.urnSuffix.test(urn)) times[m.phase] = Math.max(times[m.phase] ?? 0, ev.timestamp);
    }
  }
  return times;
}

/** The phase table: each phase's duration from the end of the previous one. */
export function phaseTable(
  times: Record<string, number | undefined>,
  opts: { started: number; upEnded: number; preflightSeconds: number; destroySeconds?: number },
): string {
  const rows: [string, string][] = [["preflight", `${opts.preflightSeconds}s`]];
  let previous = opts.started;
  for (const m of MILESTONES) {
    const t = times[m.phase];
    rows.push([m.phase, t === undefined ? "not reached" : `${t - previous}s`]);
    if (t !== undefined) previous = t;
  }
  rows.push(["(pulumi up total)", `${opts.upEnded - opts.started}s`]);
  rows.push(["destroy", opts.destroySeconds === undefined ? "not run" : `${opts.destroySeconds}s`]);
  const width = Math.max(...rows.map((r) => r[0].length));
  return (
    ["| phase | seconds |", "|---|---|", ...rows.map(([p, s]) => `| ${p.padEnd(width)} | ${s} |`)].join(
      "\n",
    ) + "\n"
  );
}

export async function main(
  argv: readonly string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): Promise<number> {
  const [mode, file, ...rest] = argv;
  if (mode === "checks" && file) {
    const doc = JSON.parse(fs.readFileSync(file, "utf8")) as unknown;
    const failed = failedChecks(
      doc,
      ALL_CHECKS.map((c) => c.name),
    );
    if (failed.length === 0) {
      io.stdout.write(`all ${ALL_CHECKS.length} checks passed\n`);
      return 0;
    }
    io.stdout.write(failed.join("\n") + "\n");
    return 1;
  }
  if (mode === "phases" && file) {
    const num = (flag: string) => {
      const i = rest.indexOf(flag);
      return i >= 0 && rest[i + 1] !== undefined && /^\d+$/.test(rest[i + 1])
        ? Number(rest[i + 1])
        : undefined;
    };
    const started = num("--started");
    const upEnded = num("--up-ended");
    const preflight = num("--preflight");
    if (started === undefined || upEnded === undefined || preflight === undefined) {
      io.stderr.write("e2eReport phases FILE --started S --up-ended E --preflight N [--destroy N]\n");
      return 2;
    }
    const log = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
    io.stdout.write(
      phaseTable(milestoneTimes(log), {
        started,
        upEnded,
        preflightSeconds: preflight,
        destroySeconds: num("--destroy"),
      }),
    );
    return 0;
  }
  io.stderr.write(
    "usage: e2eReport.ts checks FILE | phases FILE --started S --up-ended E --preflight N [--destroy N]\n",
  );
  return 2;
}

if (require.main === module) runCliMain(main, "e2eReport");
