/**
 * The standalone check runner: `npm run check -- [flags]`.
 *
 * Discovers the lab with `kubectl get`, runs the checks with `kubectl exec`, and prints one JSON
 * document (a RunReport) on stdout, or a text table on a terminal. Logs and progress go to stderr.
 * The same program runs inside the stack's Command resources and by hand against any cluster.
 */
import { runCliMain } from "./main";
import { formatDuration, renderPlanText, renderText } from "./checkOutput";
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
import { planChecks } from "../runner/plan";
import {
  readRecording,
  ReplayExecutor,
  toRecordedStep,
  writeRecording,
  type RecordedStep,
  type RecordingDocument,
} from "../runner/recording";
import { runChecks, selectChecks } from "../runner/runner";
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

/** Exit status when no cluster was reached (or a dry run had no context). */
export const EXIT_NO_CLUSTER = 3;

type Log = (text: string) => void;

/** The first phase's outcome: the flags, the definitions and, with --replay, the recording. */
interface Prepared {
  readonly opts: CliOptions;
  readonly defs: readonly CheckDefinition[];
  readonly recording?: RecordingDocument;
}

/** The lab a run judges: how to exec into it, what discovery (or the recording) found. */
interface OpenedRun {
  readonly executor: Executor;
  readonly discovery: Discovery;
  /** `--node-device auto`: each node's device and where it came from. */
  readonly devices?: NodeDeviceDetection;
  /** A dry run with `--node-device auto`: the detection's execs are planned, not run. */
  readonly detectDevicesInPlan?: boolean;
  /** The node probe of the run (`--node-probe`). */
  readonly setup?: ProbeSetup;
  /** Values a recording must never hold: the kubeconfig's path, the private kubeconfig's file and dir. */
  readonly forbidden: readonly string[];
}

/** The run's own node probe (--node-probe run): its remover, set before the probe is created. */
interface ProbeRemoval {
  remove?: (quick?: boolean) => Promise<string | undefined>;
}

type Guard = ReturnType<typeof guardRun>;

/**
 * Runs the CLI; resolves to the exit status. Never calls process.exit (except on a signal). The
 * phases, in order: flags, definitions and recording ({@link prepare}); the lab, from the recording
 * or the cluster (discovery, node probe, node devices: {@link openRun}); the cluster's own
 * configuration where it differs; then the plan (--dry-run) or the run, its report and recording.
 */
export async function main(args: readonly string[], io: CliIO): Promise<number> {
  const log: Log = (text) => void io.stderr.write(`${text}\n`);
  const prepared = prepare(args, io, log);
  if (typeof prepared === "number") return prepared;
  const { opts } = prepared;

  const guard = guardRun(io, log, "check");
  const probe: ProbeRemoval = {};
  try {
    const opened = await openRun(prepared, io, log, guard, probe);
    if (typeof opened === "number") return opened;
    const discovery = judgedAgainstCluster(opened.discovery, opts);
    if (opts.dryRun) return printPlan(prepared, discovery, opened.detectDevicesInPlan === true, io, log);
    return await runAndReport(prepared, { ...opened, discovery }, io, log, probe);
  } catch (err) {
    if (err instanceof UsageError) {
      log(`check: ${err.message}`);
      return 2;
    }
    log(`check: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  } finally {
    // On failure too; a second call after the run's own does nothing.
    await probe.remove?.();
    guard.release();
  }
}

/** Phase 1: the flags, the check definitions (--only checked against them), the recording to replay. */
function prepare(args: readonly string[], io: CliIO, log: Log): Prepared | number {
  try {
    const opts = parseCliArgs(args, io.stdout.isTTY === true);
    if (opts.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    const defs = (io.loadDefinitions ?? defaultDefinitions)();
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
    const recording = readReplay(opts);
    // A replay plans what the recorded run planned (its --all-nodes; the flag is refused with --replay).
    const replayed = recording === undefined ? opts : { ...opts, allNodes: recording.run?.allNodes ?? false };
    return { opts: replayed, defs, recording };
  } catch (err) {
    if (err instanceof UsageError) {
      log(`check: ${err.message}`);
      log("Run with --help for the flags.");
      return 2;
    }
    log(`check: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

/** The recording of --replay, read and validated (a usage error naming the flag when unusable). */
function readReplay(opts: CliOptions): RecordingDocument | undefined {
  if (opts.replay === undefined) return undefined;
  try {
    return readRecording(opts.replay);
  } catch (err) {
    throw new UsageError(`--replay ${opts.replay}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Phase 2: the lab, from the recording (--replay) or from the cluster; an exit status when none. */
async function openRun(
  prepared: Prepared,
  io: CliIO,
  log: Log,
  guard: Guard,
  probe: ProbeRemoval,
): Promise<OpenedRun | number> {
  const { opts, recording } = prepared;
  if (recording !== undefined) {
    log(`check: replaying ${opts.replay} (${recording.steps.length} recorded steps)`);
    return {
      executor: new ReplayExecutor(recording.steps),
      discovery: { context: recording.context, problems: [], evidence: [] },
      forbidden: [],
    };
  }
  return openCluster(opts, io, log, guard, probe);
}

/**
 * The cluster, in order: its kubeconfig and discovery (runner/labAccess.ts), the node probe
 * (runner/nodeProbeSetup.ts), then each node's device (runner/nodeDevices.ts).
 */
async function openCluster(
  opts: CliOptions,
  io: CliIO,
  log: Log,
  guard: Guard,
  probe: ProbeRemoval,
): Promise<OpenedRun | number> {
  // --node-probe run: discovery reads only this run's probe pods (none yet: the run creates them).
  const runId = randomBytes(3).toString("hex");
  const lab = await openLab(withRunProbeSelector(opts, runId), io, log, "check");
  guard.hold(lab.temp);
  const forbidden = [opts.kubeconfig, lab.temp?.file, lab.temp?.dir].filter(
    (v): v is string => v !== undefined,
  );
  let discovery = lab.discovery;
  if (discovery.noCluster !== undefined) {
    // One line, once: no check ran, so none is reported.
    log(
      `check: ${discovery.noCluster} (check --kubeconfig/--kind-cluster/--context and that the API server is up)`,
    );
    return EXIT_NO_CLUSTER;
  }
  if (createsProbe(opts)) discovery = withoutProbeWarnings(discovery);
  for (const p of discovery.problems) log(`check: ${p.fatal ? "error" : "warning"}: ${p.message}`);

  const probed = await provideNodeProbe(discovery, lab.executor, opts, {
    runId,
    tag: "check",
    log,
    onStop: guard.onStop,
    stopping: guard.stopping,
    setRemove: (remove) => (probe.remove = remove),
  });

  const found = await withNodeDevicesDetected(probed.discovery, lab.executor, opts, log);
  return {
    executor: lab.executor,
    discovery: found.discovery,
    devices: found.devices,
    detectDevicesInPlan: found.detectInPlan,
    setup: probed.setup,
    forbidden,
  };
}

/** `--node-device auto`: each node's own agent says which device it routes on (runner/nodeDevices.ts). */
async function withNodeDevicesDetected(
  discovery: Discovery,
  executor: Executor,
  opts: CliOptions,
  log: Log,
): Promise<{ discovery: Discovery; devices?: NodeDeviceDetection; detectInPlan?: boolean }> {
  if (discovery.context === undefined || discovery.context.nodeDevice !== "auto") return { discovery };
  if (opts.dryRun) {
    log("check: dry run: node devices not detected (their execs are planned), eth0 shown");
    return {
      discovery: { ...discovery, context: { ...discovery.context, nodeDevice: "eth0" } },
      detectInPlan: true,
    };
  }
  // Only on the nodes the checks probe, under --max-execs (runner/nodeDevices.ts).
  const devices = await detectNodeDevices(discovery.context, executor, {
    allNodes: opts.allNodes,
    maxConcurrentExecs: opts.maxExecs,
  });
  for (const p of devices.problems) log(`check: warning: ${p}`);
  log(
    `check: node devices ${Object.entries(devices.devices)
      .map(([n, d]) => `${n}=${d}`)
      .join(", ")}`,
  );
  return {
    devices,
    discovery: {
      ...discovery,
      context: {
        ...discovery.context,
        nodeDevice: commonDevice(devices.devices),
        nodeDevices: devices.devices,
      },
    },
  };
}

/** Phase 3: installCilium false: the checks judge against the cluster's own cilium-config where it differs. */
function judgedAgainstCluster(discovery: Discovery, opts: CliOptions): Discovery {
  if (discovery.context === undefined || opts.profileDifferences === undefined) return discovery;
  return { ...discovery, context: withClusterDifferences(discovery.context, opts.profileDifferences) };
}

/** Phase 4 of a dry run: the plan, printed; no context is exit 3. */
function printPlan(
  prepared: Prepared,
  discovery: Discovery,
  detectDevices: boolean,
  io: CliIO,
  log: Log,
): number {
  const { opts, defs } = prepared;
  if (discovery.context === undefined) {
    log("check: no lab context, so no plan: reach a cluster or give --context-file FILE");
    for (const e of discovery.evidence) log(`  $ ${e.command}\n${e.output.replace(/^/gm, "    ")}`);
    return EXIT_NO_CLUSTER;
  }
  const plan = planChecks(defs, discovery.context, opts.only, {
    stepTimeoutCap: opts.timeout,
    allNodes: opts.allNodes,
    detectDevices,
  });
  io.stdout.write(opts.output === "json" ? `${JSON.stringify(plan, null, 2)}\n` : renderPlanText(plan));
  return 0;
}

/** Phase 4: the checks run; the run's probe goes; the report is printed and the recording written. */
async function runAndReport(
  prepared: Prepared,
  opened: OpenedRun,
  io: CliIO,
  log: Log,
  probe: ProbeRemoval,
): Promise<number> {
  const { opts, defs } = prepared;
  const { discovery, executor, devices, setup } = opened;
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
  const removal = await probe.remove?.();
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
      const file = writeRecording(opts.record, discovery.context, steps, opened.forbidden, {
        allNodes: opts.allNodes,
      });
      log(`check: recorded ${steps.length} steps in ${file}`);
    }
  }
  io.stdout.write(opts.output === "json" ? `${JSON.stringify(report, null, 2)}\n` : renderText(report));
  return opts.failOnFailure && report.results.some((r) => r.verdict === "fail") ? 1 : 0;
}

if (require.main === module) runCliMain(main, "check");
