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
import { withClusterDifferences } from "../runner/profileVerdicts";
import {
  createsProbe,
  explainMissingProbe,
  provideNodeProbe,
  withRunProbeSelector,
  withoutProbeWarnings,
  type ProbeSetup,
} from "../runner/nodeProbeSetup";
import { UsageError, guardRun, openLab, type LabAccessIO } from "../runner/labAccess";
import type { Discovery } from "../runner/discoveryTypes";
import { planChecks, type ExecPlan } from "../runner/plan";
import {
  readRecording,
  ReplayExecutor,
  toRecordedStep,
  writeRecording,
  type RecordedStep,
  type RecordingDocument,
} from "../runner/recording";
import { runChecks, selectChecks } from "../runner/runner";
import type { RunReport } from "../runner/results";
import type { CheckDefinition, CheckResult, Executor } from "../checks/types";
import { randomBytes } from "node:crypto";

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

/**
 * A compact table, columns in the order of `npm run report`'s (CHECK, VERDICT, then REASON last; the
 * run's TIME before it); evidence is shown for checks that did not pass.
 */
export function renderText(report: RunReport): string {
  const rows = report.results.map((r) => [
    r.name,
    r.verdict.toUpperCase(),
    formatDuration(r.durationMs),
    r.reason,
  ]);
  const width = (i: number): number =>
    Math.max(...rows.map((r) => r[i].length), ["CHECK", "VERDICT", "TIME"][i].length);
  const line = (cols: string[]): string =>
    [cols[0].padEnd(width(0)), cols[1].padEnd(width(1)), cols[2].padStart(width(2)), cols[3]]
      .join("  ")
      .trimEnd();
  const out: string[] = [];
  if (rows.length > 0) out.push(line(["CHECK", "VERDICT", "TIME", "REASON"]), ...rows.map(line));
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
  // Pasteable: comments start with `#`, every command is shell-quoted (a script stays one argv word).
  const out = [...plan.lines];
  for (const e of plan.errors)
    out.push(`# ! ${e.check}: could not build its probe: ${e.error.replace(/\n/g, " ")}`);
  out.push(
    "",
    `# ${plan.counts.totalExecs} execs in ${plan.counts.checks} checks on ${plan.nodes.probed.length} of ${plan.nodes.total} nodes`,
  );
  const dd = plan.counts.deviceDetection;
  if (dd !== undefined)
    out.push(
      `#   (${dd.execs} of them detect node devices; up to ${dd.fallbackAtMost} more if an agent shows none)`,
    );
  for (const [check, pods] of Object.entries(plan.counts.execsPerPodPerCheck)) {
    const parts = Object.entries(pods).map(([pod, n]) => `${pod}=${n}`);
    out.push(`#   ${check}: ${parts.join(" ") || "no execs"}`);
  }
  return `${out.join("\n")}\n`;
}

/** Exit status when no cluster was reached (or a dry run had no context). */
export const EXIT_NO_CLUSTER = 3;

/** Runs the CLI; resolves to the exit status. Never calls process.exit (except on a signal). */
export async function main(args: readonly string[], io: CliIO): Promise<number> {
  const log = (text: string): void => void io.stderr.write(`${text}\n`);
  let opts: CliOptions;
  let defs: readonly CheckDefinition[] = [];
  let recording: RecordingDocument | undefined;
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
    if (opts.replay !== undefined) {
      try {
        recording = readRecording(opts.replay);
      } catch (err) {
        throw new UsageError(`--replay ${opts.replay}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
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
  let setup: ProbeSetup | undefined;
  // Set before the run's probe is created (--node-probe run), so every way out deletes it.
  let removeProbe: ((quick?: boolean) => Promise<string | undefined>) | undefined;
  try {
    let executor: Executor;
    let discovery: Discovery;
    let devices: NodeDeviceDetection | undefined;
    let detectInPlan = false;
    const forbidden: string[] = [];
    if (recording !== undefined) {
      executor = new ReplayExecutor(recording.steps);
      discovery = { context: recording.context, problems: [], evidence: [] };
      log(`check: replaying ${opts.replay} (${recording.steps.length} recorded steps)`);
    } else {
      // --node-probe run: discovery reads only this run's probe pods (none yet: the run creates them).
      const runId = randomBytes(3).toString("hex");
      const lab = await openLab(withRunProbeSelector(opts, runId), io, log, "check");
      guard.hold(lab.temp);
      executor = lab.executor;
      discovery = lab.discovery;
      for (const v of [opts.kubeconfig, lab.temp?.file, lab.temp?.dir]) {
        if (v !== undefined) forbidden.push(v);
      }
      if (discovery.noCluster !== undefined) {
        // One line, once: no check ran, so none is reported.
        log(
          `check: ${discovery.noCluster} (check --kubeconfig/--kind-cluster/--context and that the API server is up)`,
        );
        return EXIT_NO_CLUSTER;
      }
      if (createsProbe(opts)) discovery = withoutProbeWarnings(discovery);
      for (const p of discovery.problems) log(`check: ${p.fatal ? "error" : "warning"}: ${p.message}`);

      ({ discovery, setup } = await provideNodeProbe(discovery, lab.executor, opts, {
        runId,
        tag: "check",
        log,
        onStop: guard.onStop,
        stopping: guard.stopping,
        setRemove: (remove) => (removeProbe = remove),
      }));

      // `--node-device auto`: each node's own agent says which device it routes on (runner/nodeDevices.ts).
      if (discovery.context !== undefined && discovery.context.nodeDevice === "auto") {
        if (opts.dryRun) {
          log("check: dry run: node devices not detected (their execs are planned), eth0 shown");
          detectInPlan = true;
          discovery = { ...discovery, context: { ...discovery.context, nodeDevice: "eth0" } };
        } else {
          // Only on the nodes the checks probe, under --max-execs (runner/nodeDevices.ts).
          devices = await detectNodeDevices(discovery.context, executor, {
            allNodes: opts.allNodes,
            maxConcurrentExecs: opts.maxExecs,
          });
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
    }

    // installCilium false: the checks judge against the cluster's own cilium-config where it differs.
    if (discovery.context !== undefined && opts.profileDifferences !== undefined) {
      discovery = {
        ...discovery,
        context: withClusterDifferences(discovery.context, opts.profileDifferences),
      };
    }

    if (opts.dryRun) {
      if (discovery.context === undefined) {
        log("check: no lab context, so no plan: reach a cluster or give --context-file FILE");
        for (const e of discovery.evidence) log(`  $ ${e.command}\n${e.output.replace(/^/gm, "    ")}`);
        return EXIT_NO_CLUSTER;
      }
      const plan = planChecks(defs, discovery.context, opts.only, {
        stepTimeoutCap: opts.timeout,
        allNodes: opts.allNodes,
        detectDevices: detectInPlan,
      });
      io.stdout.write(opts.output === "json" ? `${JSON.stringify(plan, null, 2)}\n` : renderPlanText(plan));
      return 0;
    }

    const selected = selectChecks(defs, opts.only);
    log(`check: running ${selected.length} checks`);
    const steps: RecordedStep[] = [];
    const ran = await runChecks(defs, discovery, executor, {
      only: opts.only,
      stepTimeoutCap: opts.timeout,
      allNodes: opts.allNodes,
      maxConcurrentExecs: opts.maxExecs,
      onStep:
        opts.record === undefined ? undefined : (r) => steps.push(toRecordedStep(r.check, r.step, r.result)),
      onResult: (r: CheckResult) =>
        log(`check: ${r.verdict.padEnd(12)} ${r.name} (${formatDuration(r.durationMs)})`),
    });
    // The run's probe goes as soon as the checks are done, before the report is written.
    const removal = await removeProbe?.();
    const withDevices = devices !== undefined ? withNodeDevices(ran, devices) : ran;
    const report = explainMissingProbe(withDevices, setup?.why, [
      ...(setup?.problems ?? []),
      ...(removal !== undefined ? [removal] : []),
    ]);
    log(`check: ${report.summary}`);
    if (opts.record !== undefined) {
      if (discovery.context === undefined) {
        log("check: nothing recorded: the lab could not be discovered");
      } else {
        const file = writeRecording(opts.record, discovery.context, steps, forbidden);
        log(`check: recorded ${steps.length} steps in ${file}`);
      }
    }
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
    // On failure too; a second call after the one above does nothing.
    await removeProbe?.();
    guard.release();
  }
}

if (require.main === module) runCliMain(main, "check");
