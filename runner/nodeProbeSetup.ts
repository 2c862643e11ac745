/**
 * Where a check run's node-level checks get their probe pods (`--node-probe`): the pods already there
 * (`present`, the stack's kept probe), none (`off`), or a DaemonSet the run creates for itself and
 * deletes when it ends (`run`, runner/runNodeProbe.ts). And the words an inconclusive check gets
 * when the reason is the probe's absence.
 */
import { RUN_PROBE_LABEL } from "../lib/nodeProbeSpec";
import type { LabContext } from "../checks/types";
import type { Discovery } from "./discoveryTypes";
import type { LabAccessOptions } from "./labAccess";
import type { RunReport } from "./results";
import { type ProbeKubectl, type RunProbe, startRunProbe } from "./runNodeProbe";
import { sampleNodeNames } from "./sample";

export type NodeProbeFlag = "present" | "run" | "off";

/** The label selector of the run's own probe pods (discovery's `probeSelector` in run mode). */
export function runProbeSelector(runId: string): string {
  return `${RUN_PROBE_LABEL}=${runId}`;
}

/**
 * Run mode: discovery ran before the probe existed, so its warnings about missing probe pods are
 * about nothing; they are dropped (fatal problems stay).
 */
export function withoutProbeWarnings(discovery: Discovery): Discovery {
  return { ...discovery, problems: discovery.problems.filter((p) => p.fatal || p.source !== "probePods") };
}

/** What {@link setUpNodeProbe} gives: the context with its probe pods, the run's probe, and why some are missing. */
export interface ProbeSetup {
  readonly context: LabContext;
  readonly probe?: RunProbe;
  /** Problems to add to the report (the run's own probe). */
  readonly problems: readonly string[];
  /** Why a check that found no probe pod is inconclusive, when the mode or the run's probe says. */
  readonly why?: string;
}

/** Options of {@link setUpNodeProbe}. */
export interface ProbeSetupOptions {
  readonly mode: NodeProbeFlag;
  readonly namespace: string;
  readonly image: string;
  readonly readyTimeoutSeconds: number;
  readonly allNodes: boolean;
  readonly runId: string;
  readonly log: (text: string) => void;
  /** Prefix of the log lines (the program's name). */
  readonly tag?: string;
  /** Receives the probe's `remove` before it is created (the signal handler's hook). */
  readonly onCreating?: (remove: (quick?: boolean) => Promise<string | undefined>) => void;
  /** True once a signal arrived: the probe is then not created. */
  readonly stopping?: () => boolean;
  readonly pollMs?: number;
}

/** Sets up the probe pods of a run as the mode says (see the file comment). */
export async function setUpNodeProbe(
  ctx: LabContext,
  k: ProbeKubectl,
  opts: ProbeSetupOptions,
): Promise<ProbeSetup> {
  if (opts.mode === "present") return { context: ctx, problems: [] };
  if (opts.mode === "off") {
    return {
      context: { ...ctx, probePods: [] },
      problems: [],
      why: "node probe off (nodeProbe off, --node-probe off): nothing runs on the nodes themselves; use nodeProbe run or keep for node-level evidence",
    };
  }
  // The nodes the checks will probe: the sample (runner/sample.ts), or every node with --all-nodes.
  const nodes = opts.allNodes ? ctx.nodes.map((n) => n.name) : sampleNodeNames(ctx);
  const probe = await startRunProbe(k, {
    namespace: opts.namespace,
    image: opts.image,
    nodes,
    limitToNodes: !opts.allNodes,
    readyTimeoutSeconds: opts.readyTimeoutSeconds,
    runId: opts.runId,
    log: opts.log,
    tag: opts.tag,
    onCreating: opts.onCreating,
    stopping: opts.stopping,
    pollMs: opts.pollMs,
  });
  return {
    context: { ...ctx, probePods: probe.pods },
    probe,
    problems: probe.problems,
    why: probe.problems.length > 0 ? `the run's node probe: ${probe.problems.join("; ")}` : undefined,
  };
}

/**
 * Adds `why` to the reason of every inconclusive check that found no node-probe pod (their reasons
 * say "no node-probe pod on ..."), and `problems` to the report's problems.
 */
export function explainMissingProbe(
  report: RunReport,
  why: string | undefined,
  problems: readonly string[],
): RunReport {
  const results =
    why === undefined
      ? report.results
      : report.results.map((r) =>
          r.verdict === "inconclusive" && /no node-probe pod/.test(r.reason)
            ? { ...r, reason: `${r.reason} (${why})` }
            : r,
        );
  const extra = problems.filter((p) => !report.problems.includes(p));
  return { ...report, results, problems: [...report.problems, ...extra] };
}

/** The node-probe flags of a runner CLI (cli/checkArgs.ts). */
export interface NodeProbeFlags extends LabAccessOptions {
  readonly nodeProbe: NodeProbeFlag;
  readonly nodeProbeImage: string;
  readonly nodeProbeTimeout: number;
  readonly allNodes: boolean;
}

/** Whether this run creates its own probe (`--node-probe run`, not a dry run: that executes nothing). */
export function createsProbe(flags: NodeProbeFlags): boolean {
  return flags.nodeProbe === "run" && !flags.dryRun;
}

/** The lab flags of a run that creates its own probe: discovery reads only that run's probe pods. */
export function withRunProbeSelector<T extends NodeProbeFlags>(flags: T, runId: string): T {
  if (!createsProbe(flags)) return flags;
  return { ...flags, contextOptions: { ...flags.contextOptions, probeSelector: runProbeSelector(runId) } };
}

/**
 * After discovery, for a runner CLI (check and perf): sets up the probe pods as `--node-probe` says
 * and logs its problems. `remove` (set before a run probe is created) deletes the run's probe: the
 * caller calls it when the run ends and in `finally`; `onStop` registers it with the signal guard.
 */
export async function provideNodeProbe(
  discovery: Discovery,
  k: ProbeKubectl,
  flags: NodeProbeFlags,
  ctl: {
    readonly runId: string;
    readonly tag: string;
    readonly log: (text: string) => void;
    readonly onStop: (hook: () => Promise<unknown>) => void;
    readonly stopping?: () => boolean;
    readonly setRemove: (remove: (quick?: boolean) => Promise<string | undefined>) => void;
  },
): Promise<{ discovery: Discovery; setup?: ProbeSetup }> {
  if (discovery.context === undefined) return { discovery };
  if (flags.dryRun) {
    if (flags.nodeProbe === "run") {
      ctl.log(`${ctl.tag}: dry run: the run's node probe is not created, so no node-probe step is planned`);
    }
    return { discovery };
  }
  const setup = await setUpNodeProbe(discovery.context, k, {
    mode: flags.nodeProbe,
    namespace: flags.contextOptions.namespace ?? "default",
    image: flags.nodeProbeImage,
    readyTimeoutSeconds: flags.nodeProbeTimeout,
    allNodes: flags.allNodes,
    runId: ctl.runId,
    log: ctl.log,
    tag: ctl.tag,
    stopping: ctl.stopping,
    // A signal from here on deletes the probe too (quick: SIGKILL follows SIGTERM within 10 s).
    onCreating: (remove) => {
      ctl.setRemove(remove);
      ctl.onStop(() => remove(true));
    },
  });
  for (const p of setup.problems) ctl.log(`${ctl.tag}: warning: ${p}`);
  return { discovery: { ...discovery, context: setup.context }, setup };
}
