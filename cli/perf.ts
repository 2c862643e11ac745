/**
 * The performance runner: `ts-node cli/perf.ts [flags]` (`npm run perf -- [flags]`).
 *
 * Discovers the lab like the check runner (same cluster and lab flags, parsed by cli/check.ts),
 * measures the pairs one after another with `kubectl exec`, and prints one JSON document
 * `{ "performance": {...} }` on stdout (or a table with `--output text`). Progress goes to stderr.
 */
import { randomBytes } from "node:crypto";

import { runCliMain } from "./main";
import { toRecordedStep, writeRecording, type RecordedStep } from "../runner/recording";
import { parseCliArgs } from "./checkArgs";
import { guardRun, openLab, UsageError } from "../runner/labAccess";
import {
  createsProbe,
  provideNodeProbe,
  withRunProbeSelector,
  withoutProbeWarnings,
} from "../runner/nodeProbeSetup";
import { renderPerformanceText } from "../perf/format";
import { PERF_PAIRS } from "../perf/pairs";
import { planPerformance, runPerformance } from "../perf/runner";
import { DEFAULT_PERF_SETTINGS, PERF_LIMITS, resolvePerfSettings } from "../perf/settings";
import type { Measured } from "../perf/figures";
import type { DatapathProfile, PerfSettings } from "../perf/types";

const D = DEFAULT_PERF_SETTINGS;

export const PERF_USAGE = `Usage: npm run perf -- [flags]

Measures the lab's datapath performance in rounds (every pair once per round, in a seeded random
order; pod-to-pod-cross-node and node-to-node as one A-B-B-A block), one measurement at a time: TCP
throughput (iperf3 -O -t -J, a transient server in the destination pod; a single-stream run pinned
with -A to CPUs of each pod's Cpus_allowed_list, never CPU 0), busy request/response latency (ping -i
0, one request in flight), idle latency (ping -i 0.2), and for the NodePort curl connect and request
times split by the backend that answered; for ${PERF_PAIRS.map((p) => p.name).join(", ")}.
Prints one JSON document { "performance": ... }: medians with their spread, ratios only where they
compare like with like and the rounds agree.

Cluster (as npm run check): --kubeconfig FILE | --kind-cluster NAME, --context NAME,
  --context-file FILE (a recorded lab context; with --dry-run no cluster is needed)
The lab (as npm run check): --namespace, --app-label, --client, --service, --node-device, --native-cidr
Node probe (as npm run check; node-to-node measures between node-probe pods): --node-probe
  present|run|off, --node-probe-image IMAGE, --node-probe-timeout S (run: created for this run on the
  sampled nodes, deleted when it ends)

Measurement:
  --repeats N              rounds (default ${D.repeats}; ${PERF_LIMITS.repeats.join("-")})
  --duration SECONDS       measured iperf3 run length (default ${D.durationSeconds}; ${PERF_LIMITS.durationSeconds.join("-")})
  --omit SECONDS           iperf3 warm-up left out, -O (default ${D.omitSeconds}; ${PERF_LIMITS.omitSeconds.join("-")})
  --streams N              parallel TCP streams, iperf3 -P (default ${D.streams}; ${PERF_LIMITS.streams.join("-")})
  --rr-samples N           busy request/response samples per pair and round (default ${D.rrSamples}; ${PERF_LIMITS.rrSamples.join("-")})
  --samples N              idle ping / NodePort samples per pair and round (default ${D.pingSamples}; ${PERF_LIMITS.pingSamples.join("-")})
  --port PORT              iperf3 server port (default ${D.port})
  --server-delay MS        wait between starting the iperf3 server and its client (default
                           ${D.serverStartDelayMs}; ${PERF_LIMITS.serverStartDelayMs.join("-")}); more on a cluster where exec is slow
  --seed N                 seed of the pair order (default: drawn at random; always recorded)
  --datapath-profile P     how Cilium is configured: lab (debug datapath), measurement, unknown
                           (default unknown; the stack passes its perfProfile). Only measurement
                           allows a comparison with published figures.
  --only NAME              measure only this pair; repeat or separate with commas

Run:
  --dry-run                print the exec plan; execute nothing
  --record DIR             also write DIR/recording.json (the lab context and every step's output, in
                           the check runner's format; no kubeconfig or secret)
  --fail-on-failure        exit 1 when a pair failed (no traffic at all; inconclusive does not count)
  --output json|text       json (default when stdout is not a terminal) or text (a table)
  -h, --help               print this help

Exit status: 0; 1 with --fail-on-failure and a failed pair; 3 when no cluster was reached (one line
on stderr says why) or a dry run has no context; 2 for a usage error.
`;

/** What the CLI talks to; tests pass their own. */
export interface PerfCliIO {
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly stderr: { write(text: string): unknown };
  /** Variables merged over process.env for kind and kubectl (PATH included). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Handle SIGINT/SIGTERM (end child process groups, clean up, exit). Defaults to true. */
  readonly handleSignals?: boolean;
}

class PerfUsageError extends Error {}

/** The measurement flags this CLI adds to the check runner's, by flag name. */
const OWN_FLAGS: Readonly<Record<string, keyof PerfSettings>> = {
  "--duration": "durationSeconds",
  "--omit": "omitSeconds",
  "--streams": "streams",
  "--repeats": "repeats",
  "--samples": "pingSamples",
  "--rr-samples": "rrSamples",
  "--port": "port",
  "--server-delay": "serverStartDelayMs",
  "--seed": "seed",
};

const PROFILES: readonly DatapathProfile[] = ["lab", "measurement", "unknown"];

/**
 * Takes the measurement flags (`--duration 5`, `--duration=5`) out of the arguments; the rest is
 * parsed by the check runner's parser.
 */
export function splitPerfArgs(args: readonly string[]): {
  settings: Partial<PerfSettings>;
  profile: DatapathProfile;
  rest: string[];
} {
  const settings: Record<string, number> = {};
  const rest: string[] = [];
  let profile: DatapathProfile = "unknown";
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const [flag, inline] =
      arg.startsWith("--") && arg.includes("=") ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    if (flag === "--datapath-profile") {
      const value = inline ?? args[++i];
      if (!PROFILES.includes(value as DatapathProfile)) {
        throw new PerfUsageError(
          `--datapath-profile must be one of ${PROFILES.join(", ")} (got ${JSON.stringify(value ?? "")})`,
        );
      }
      profile = value as DatapathProfile;
      continue;
    }
    const key = OWN_FLAGS[flag];
    if (key === undefined) {
      rest.push(arg);
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined || value.trim() === "") throw new PerfUsageError(`${flag} needs a value`);
    if (!/^\d+$/.test(value.trim())) {
      throw new PerfUsageError(`${flag} must be a whole number (got ${JSON.stringify(value)})`);
    }
    settings[key] = Number(value);
  }
  return { settings: settings as Partial<PerfSettings>, profile, rest };
}

/** A settings error in the words of the command line: `--duration`, not `durationSeconds`. */
export function flagNames(message: string): string {
  let out = message;
  for (const [flag, key] of Object.entries(OWN_FLAGS))
    out = out.replace(new RegExp(`\\b${key}\\b`, "g"), flag);
  return out;
}

function roundLine(round: number, pair: string, measured: readonly Measured[]): string {
  const parts = measured.map(
    (m) => `${m.result.name.slice(pair.length + 1)} ${m.result.verdict}: ${m.result.reason}`,
  );
  return `perf: round ${round} ${pair}: ${parts.join("; ")}`;
}

/** Runs the CLI; resolves to the exit status. Never calls process.exit (except on a signal). */
export async function main(args: readonly string[], io: PerfCliIO): Promise<number> {
  const log = (text: string): void => void io.stderr.write(`${text}\n`);
  let opts: ReturnType<typeof parseCliArgs>;
  let settings: PerfSettings;
  let profile: DatapathProfile;
  try {
    const split = splitPerfArgs(args);
    profile = split.profile;
    try {
      opts = parseCliArgs(split.rest, io.stdout.isTTY === true);
    } catch (err) {
      throw new PerfUsageError(err instanceof Error ? err.message : String(err));
    }
    if (opts.help) {
      io.stdout.write(PERF_USAGE);
      return 0;
    }
    if (opts.timeout !== undefined) {
      throw new PerfUsageError(
        "--timeout does not apply to the performance run: its timeouts follow --duration and --samples",
      );
    }
    const unsupported = (
      [
        ["--replay", opts.replay],
        ["--all-nodes", opts.allNodes ? true : undefined],
        ["--max-execs", opts.maxExecs],
      ] as const
    ).filter(([, v]) => v !== undefined);
    if (unsupported.length > 0) {
      throw new PerfUsageError(
        `${unsupported.map(([f]) => f).join(", ")} apply to npm run check only: the performance run measures one pair at a time`,
      );
    }
    try {
      settings = resolvePerfSettings(split.settings);
    } catch (err) {
      throw new PerfUsageError(flagNames(err instanceof Error ? err.message : String(err)));
    }
    const known = PERF_PAIRS.map((p) => p.name);
    const unknown = (opts.only ?? []).filter((n) => !known.includes(n));
    if (unknown.length > 0) {
      throw new PerfUsageError(
        `--only: unknown pair ${unknown.join(", ")}; allowed values: ${known.join(", ")}`,
      );
    }
  } catch (err) {
    log(`perf: ${err instanceof Error ? err.message : String(err)}`);
    log("Run with --help for the flags.");
    return 2;
  }

  const guard = guardRun(io, log, "perf");
  // Set before the run's probe is created (--node-probe run), so every way out deletes it.
  let removeProbe: ((quick?: boolean) => Promise<string | undefined>) | undefined;
  try {
    const runId = randomBytes(3).toString("hex");
    const lab = await openLab(withRunProbeSelector(opts, runId), io, log, "perf");
    guard.hold(lab.temp);
    const executor = lab.executor;
    let discovery = lab.discovery;
    if (discovery.noCluster !== undefined) {
      log(
        `perf: ${discovery.noCluster} (check --kubeconfig/--kind-cluster/--context and that the API server is up)`,
      );
      return 3;
    }
    if (createsProbe(opts)) discovery = withoutProbeWarnings(discovery);
    for (const p of discovery.problems) log(`perf: ${p.fatal ? "error" : "warning"}: ${p.message}`);
    // The node-to-node pair measures between node-probe pods: --node-probe run creates them for this run.
    ({ discovery } = await provideNodeProbe(discovery, executor, opts, {
      runId,
      tag: "perf",
      log,
      onStop: guard.onStop,
      stopping: guard.stopping,
      setRemove: (remove) => (removeProbe = remove),
    }));

    if (opts.dryRun) {
      if (discovery.context === undefined) {
        log("perf: no lab context, so no plan: reach a cluster or give --context-file FILE");
        return 3;
      }
      const plan = planPerformance(discovery.context, { ...settings, only: opts.only });
      const text = [
        ...plan.lines,
        ...plan.errors.map((e) => `! ${e.check}: could not build its probe: ${e.error}`),
        "",
        `${plan.counts.totalExecs} execs in ${plan.counts.checks} measurements, run one measurement at a time`,
      ].join("\n");
      io.stdout.write(opts.output === "json" ? `${JSON.stringify(plan, null, 2)}\n` : `${text}\n`);
      return 0;
    }

    log(
      `perf: measuring ${opts.only?.length ?? PERF_PAIRS.length} pairs in ${settings.repeats} rounds ` +
        `(seed ${settings.seed}; iperf3 ${settings.omitSeconds}+${settings.durationSeconds} s x ${settings.streams} stream(s), ` +
        `${settings.rrSamples} busy and ${settings.pingSamples} idle samples; datapath profile ${profile})`,
    );
    const steps: RecordedStep[] = [];
    const performance = await runPerformance(discovery, executor, {
      ...settings,
      only: opts.only,
      datapathProfile: profile,
      onRound: (round, pair, measured) => log(roundLine(round, pair, measured)),
      onStep:
        opts.record === undefined ? undefined : (r) => steps.push(toRecordedStep(r.check, r.step, r.result)),
    });
    log(`perf: ${performance.summary}`);
    await removeProbe?.();
    if (opts.record !== undefined && discovery.context !== undefined) {
      const forbidden = [opts.kubeconfig, lab.temp?.file, lab.temp?.dir].filter(
        (v): v is string => v !== undefined,
      );
      const file = writeRecording(opts.record, discovery.context, steps, forbidden);
      log(`perf: recorded ${steps.length} steps in ${file}`);
    }
    io.stdout.write(
      opts.output === "json"
        ? `${JSON.stringify({ performance }, null, 2)}\n`
        : renderPerformanceText(performance),
    );
    return opts.failOnFailure && performance.pairs.some((p) => p.verdict === "fail") ? 1 : 0;
  } catch (err) {
    if (err instanceof PerfUsageError || err instanceof UsageError) {
      log(`perf: ${err.message}`);
      return 2;
    }
    log(`perf: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  } finally {
    // On failure too; after the call above it does nothing.
    await removeProbe?.();
    guard.release();
  }
}

if (require.main === module) runCliMain(main, "perf");
