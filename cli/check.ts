/**
 * The standalone check runner: `npm run check -- [flags]`.
 *
 * Discovers the lab with `kubectl get`, runs the checks with `kubectl exec`, and prints one JSON
 * document (a RunReport) on stdout, or a text table on a terminal. Logs and progress go to stderr.
 * The same program runs inside the stack's Command resources and by hand against any cluster.
 */
import { runCliMain } from "./main";
import { parseCliArgs, USAGE, type CliOptions } from "./checkArgs";
import {
  type NodeDeviceDetection,
  commonDevice,
  detectNodeDevices,
  withNodeDevices,
} from "../runner/nodeDevices";
import { applyProfileDifferences } from "../runner/profileVerdicts";
import { UsageError, guardRun, openLab, type LabAccessIO } from "../runner/labAccess";
import { planChecks, runChecks, selectChecks, type ExecPlan } from "../runner/runner";
import type { RunReport } from "../runner/results";
import type { CheckDefinition, CheckResult } from "../checks/types";

/** What the CLI talks to; tests pass their own. */
export interface CliIO extends LabAccessIO {
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly stderr: { write(text: string): unknown };
  /** The check definitions. Defaults to `ALL_CHECKS` of checks/defs. */
  readonly loadDefinitions?: () => readonly CheckDefinition[];
}

/** ALL_CHECKS from checks/defs, loaded when needed so that --help and usage errors work without it. */
function defaultDefinitions(): readonly CheckDefinition[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require("../checks/defs") as { ALL_CHECKS?: unknown };
  if (!Array.isArray(mod.ALL_CHECKS)) throw new Error("checks/defs does not export ALL_CHECKS");
  return mod.ALL_CHECKS as readonly CheckDefinition[];
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(1)}s`;
}

/** A compact table; evidence is shown for checks that did not pass. */
export function renderText(report: RunReport): string {
  const rows = report.results.map((r) => [
    r.verdict.toUpperCase(),
    r.name,
    formatDuration(r.durationMs),
    r.reason,
  ]);
  const width = (i: number): number =>
    Math.max(...rows.map((r) => r[i].length), ["VERDICT", "CHECK", "TIME"][i].length);
  const line = (cols: string[]): string =>
    [cols[0].padEnd(width(0)), cols[1].padEnd(width(1)), cols[2].padStart(width(2)), cols[3]]
      .join("  ")
      .trimEnd();
  const out: string[] = [];
  if (rows.length > 0) out.push(line(["VERDICT", "CHECK", "TIME", "REASON"]), ...rows.map(line));
  for (const p of report.problems) out.push(`! ${p}`);
  const shown = report.results.filter((r) => r.verdict !== "pass");
  for (const r of shown) {
    out.push("", `--- ${r.name} (${r.verdict}) evidence`);
    if (r.evidence.length === 0) out.push("  (no commands ran)");
    for (const e of r.evidence) {
      const status = e.timedOut === true ? "timed out" : `exit ${e.exitCode ?? "none"}`;
      out.push(`  $ ${e.command}   [${status}]`);
      const lines = e.output.replace(/\n$/, "").split("\n");
      const kept = lines.slice(0, 20);
      out.push(...kept.map((l) => `    ${l}`));
      if (lines.length > kept.length) out.push(`    ... ${lines.length - kept.length} more lines`);
    }
  }
  out.push("", report.summary);
  return `${out.join("\n")}\n`;
}

function renderPlanText(plan: ExecPlan): string {
  const out = [...plan.lines];
  for (const e of plan.errors) out.push(`! ${e.check}: could not build its probe: ${e.error}`);
  out.push("", `${plan.counts.totalExecs} execs in ${plan.counts.checks} checks`);
  for (const [check, pods] of Object.entries(plan.counts.execsPerPodPerCheck)) {
    const parts = Object.entries(pods).map(([pod, n]) => `${pod}=${n}`);
    out.push(`  ${check}: ${parts.join(" ") || "no execs"}`);
  }
  return `${out.join("\n")}\n`;
}

/** Runs the CLI; resolves to the exit status. Never calls process.exit (except on a signal). */
export async function main(args: readonly string[], io: CliIO): Promise<number> {
  const log = (text: string): void => void io.stderr.write(`${text}\n`);
  let opts: CliOptions;
  let defs: readonly CheckDefinition[] = [];
  try {
    opts = parseCliArgs(args, io.stdout.isTTY === true);
    if (opts.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    defs = (io.loadDefinitions ?? defaultDefinitions)();
    if (opts.only !== undefined) {
      const known = new Set(defs.map((d) => d.name));
      const unknown = opts.only.filter((n) => !known.has(n));
      if (unknown.length > 0) {
        throw new UsageError(
          `--only: unknown check ${unknown.join(", ")}; allowed values: ${[...known].join(", ")}`,
        );
      }
    }
    selectChecks(defs, opts.only); // duplicate names are a bug in the definitions: fail before running
  } catch (err) {
    if (err instanceof UsageError) {
      log(`check: ${err.message}`);
      log("Run with --help for the flags.");
      return 2;
    }
    log(`check: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }

  const guard = guardRun(io, log, "check");
  try {
    const lab = await openLab(opts, io, log, "check");
    guard.hold(lab.temp);
    const executor = lab.executor;
    let discovery = lab.discovery;
    for (const p of discovery.problems) log(`check: ${p.fatal ? "error" : "warning"}: ${p.message}`);

    // `--node-device auto`: each node's own agent says which device it routes on (runner/nodeDevices.ts).
    let devices: NodeDeviceDetection | undefined;
    if (discovery.context !== undefined && discovery.context.nodeDevice === "auto") {
      if (opts.dryRun) {
        log("check: dry run: node devices not detected, eth0 shown");
        discovery = { ...discovery, context: { ...discovery.context, nodeDevice: "eth0" } };
      } else {
        devices = await detectNodeDevices(discovery.context, executor);
        for (const p of devices.problems) log(`check: warning: ${p}`);
        discovery = {
          ...discovery,
          context: {
            ...discovery.context,
            nodeDevice: commonDevice(devices.devices),
            nodeDevices: devices.devices,
          },
        };
        log(
          `check: node devices ${Object.entries(devices.devices)
            .map(([n, d]) => `${n}=${d}`)
            .join(", ")}`,
        );
      }
    }

    if (opts.dryRun) {
      if (discovery.context === undefined) {
        log("check: no lab context, so no plan: reach a cluster or give --context-file FILE");
        for (const e of discovery.evidence) log(`  $ ${e.command}\n${e.output.replace(/^/gm, "    ")}`);
        return 1;
      }
      const plan = planChecks(defs, discovery.context, opts.only, { stepTimeoutCap: opts.timeout });
      io.stdout.write(opts.output === "json" ? `${JSON.stringify(plan, null, 2)}\n` : renderPlanText(plan));
      return 0;
    }

    const selected = selectChecks(defs, opts.only);
    log(`check: running ${selected.length} checks`);
    const ran = await runChecks(defs, discovery, executor, {
      only: opts.only,
      stepTimeoutCap: opts.timeout,
      onResult: (r: CheckResult) =>
        log(`check: ${r.verdict.padEnd(12)} ${r.name} (${formatDuration(r.durationMs)})`),
    });
    const withDevices = devices !== undefined ? withNodeDevices(ran, devices) : ran;
    const report =
      opts.profileDifferences !== undefined
        ? applyProfileDifferences(withDevices, opts.profileDifferences)
        : withDevices;
    log(`check: ${report.summary}`);
    io.stdout.write(opts.output === "json" ? `${JSON.stringify(report, null, 2)}\n` : renderText(report));
    return opts.failOnFailure && report.results.some((r) => r.verdict === "fail") ? 1 : 0;
  } catch (err) {
    if (err instanceof UsageError) {
      log(`check: ${err.message}`);
      return 2;
    }
    log(`check: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  } finally {
    guard.release();
  }
}

if (require.main === module) runCliMain(main, "check");
