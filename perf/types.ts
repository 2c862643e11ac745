/**
 * The shape of the `performance` figures: one entry per measured pair, the ratios that compare the
 * pod datapath with the node-to-node baseline, and the settings they were measured with.
 */
import type { LabContext, LabPod, Verdict } from "../checks/types";

/**
 * Inputs of a performance run (the stack's perf* config keys); the defaults and bounds are in
 * perf/settings.ts.
 */
export interface PerfSettings {
  /** Seconds of each iperf3 run that are measured (`iperf3 -t`). */
  readonly durationSeconds: number;
  /** Seconds of warm-up iperf3 runs first and leaves out of its figures (`iperf3 -O`). */
  readonly omitSeconds: number;
  /** Parallel TCP streams of each iperf3 run (`iperf3 -P`). */
  readonly streams: number;
  /** Rounds: every pair is measured once per round, in a seeded random order. */
  readonly repeats: number;
  /** Idle-latency samples per pair and round: ping echo requests 0.2 s apart, or NodePort requests. */
  readonly pingSamples: number;
  /** Busy request/response samples per pair and round (`ping -i 0`: the next request on the reply). */
  readonly rrSamples: number;
  /** TCP port of the transient iperf3 server. */
  readonly port: number;
  /** Milliseconds the iperf3 client waits for its server to start listening. */
  readonly serverStartDelayMs: number;
  /** Seed of the pair order (0 to 2^31 - 1); drawn at random when not given, and always recorded. */
  readonly seed: number;
}

/** How the Cilium datapath was configured while measuring (the stack's perfProfile). */
export type DatapathProfile = "lab" | "measurement" | "unknown";

/** How a pair's latency was measured. */
export type LatencyMethod = "icmp-echo" | "tcp-connect";

/** One command of a measurement and what it printed. */
export interface PerfEvidence {
  readonly command: string;
  readonly output: string;
}

/**
 * One figure of a pair: a median over the rounds with its spread, or a percentile over the pooled
 * samples; `withheld` says why a figure the method could give is not printed (perf/stats.ts rules).
 */
export interface PerfFigure {
  /** kebab-case, unique per pair: `throughput`, `rr-p50`, `connect-p50-local`... */
  readonly name: string;
  readonly unit: "Mbit/s" | "ms" | "%" | "count" | "1/s";
  /** How it was measured, in a few words (`iperf3 -J end.sum_received`). */
  readonly method: string;
  /** Samples behind it: rounds for per-run figures, pooled samples for percentiles. */
  readonly samples: number;
  /** The figure (a median, or a pooled percentile). */
  readonly value?: number;
  /** Per-round spread: min and max over the rounds (their medians, for latency). */
  readonly min?: number;
  readonly max?: number;
  /** The value with the digits the spread allows, and the range: `14000 (12000–16000)`. */
  readonly shown: string;
  readonly withheld?: string;
}

/** One measured pair. */
export interface PerfPair {
  /** kebab-case: `pod-to-pod-same-node`, `pod-to-pod-cross-node`, `pod-to-nodeport`, `node-to-node`. */
  readonly name: string;
  /** Where the client ran: `net 10.0.2.40 on <node>`. */
  readonly from: string;
  /** What it measured against: `evescn-jzms5 10.0.2.202 on <node>`, `NodePort 172.18.0.2:32000`. */
  readonly to: string;
  /** Every figure of the pair, with samples, spread and method. */
  readonly figures: readonly PerfFigure[];
  /** Median TCP throughput over the rounds (iperf3 end.sum_received), Mbit/s (10^6). */
  readonly throughputMbps?: number;
  /** Median sender retransmits per run (iperf3 end.sum_sent.retransmits). */
  readonly retransmits?: number;
  /** Busy request/response round trips (ping -i 0), pooled nearest-rank percentiles, ms; or, for the
   * NodePort, TCP connect times. A percentile the sample size cannot support is left out. */
  readonly rttP50Ms?: number;
  readonly rttP90Ms?: number;
  readonly rttP99Ms?: number;
  /** The method behind the rtt figures. */
  readonly latencyMethod?: LatencyMethod;
  /** NodePort only: whole-request time (connect + HTTP request + response) percentiles. */
  readonly requestP50Ms?: number;
  readonly requestP90Ms?: number;
  readonly requestP99Ms?: number;
  /** Latency samples behind the rtt figures (pooled over the rounds). */
  readonly samples: number;
  /** Rounds in which the pair was measured. */
  readonly rounds: number;
  /** `pass` when every round produced its figures, else why not. */
  readonly verdict: Verdict;
  readonly reason: string;
  /** What was not measured and why (e.g. no throughput through the NodePort). */
  readonly notes?: readonly string[];
  readonly evidence: readonly PerfEvidence[];
}

/** A ratio of a pod pair over its like baseline, or why it is withheld (perf/stats.ts). */
export interface PerfRatio {
  /** `pod-to-pod-cross-node throughput / node-to-node throughput`. */
  readonly compares: string;
  readonly value?: number;
  readonly min?: number;
  readonly max?: number;
  readonly rounds: number;
  readonly shown: string;
  readonly withheld?: string;
}

/** Ratios by name: `crossNodePodVsNode`, `crossNodePodVsNodeRrP50`, `sameNodePodVsNode` (withheld). */
export type PerfRatios = Readonly<Record<string, PerfRatio>>;

/** The Cilium settings active while measuring, and whether the literature may be compared. */
export interface PerfDatapath {
  readonly profile: DatapathProfile;
  /** The settings that cost CPU per packet, as the stack installed them (`unknown` otherwise). */
  readonly settings: string;
  /** True only on the measurement profile; even then the method differs from the literature's. */
  readonly literatureComparable: boolean;
  readonly literature: string;
}

/** The CPUs the measurements ran on and how iperf3 was pinned. */
export interface PerfHost {
  /** `nproc` in the client pod: on kind the host's CPUs, shared by every node. */
  readonly cpus?: number;
  /** `client CPU 0, server CPU 1 (iperf3 -A 0,1)`, or why nothing was pinned. */
  readonly pinning: string;
}

/** The `performance` output. */
export interface Performance {
  /** `4/4 pairs measured` (`, N failed`, `, N inconclusive`). */
  readonly summary: string;
  readonly settings: PerfSettings;
  /** The methods, one line each (throughput, busy and idle latency, NodePort, CPU). */
  readonly method: readonly string[];
  readonly datapath: PerfDatapath;
  readonly host: PerfHost;
  /** The pair order of every round (a seeded shuffle; the seed is in settings). */
  readonly order: readonly (readonly string[])[];
  readonly pairs: readonly PerfPair[];
  readonly ratios: PerfRatios;
  /** Seconds the whole run took. */
  readonly wallSeconds?: number;
  /** Problems met while discovering the lab; empty when there were none. */
  readonly problems: readonly string[];
}

/** The pods and address of a pair in a given lab. */
export interface PairPlan {
  /** Where the client runs (iperf3 -c, ping, curl). */
  readonly from: LabPod;
  /** Where the transient iperf3 server runs; undefined when throughput is not measured. */
  readonly server?: LabPod;
  /** The address the client targets. */
  readonly address: string;
  /** The port for a TCP latency probe (the NodePort). */
  readonly port?: number;
  /** How `to` is shown. */
  readonly toLabel: string;
}

/**
 * A pair to measure: how to find its endpoints in the lab, and what to measure between them. The
 * measurements themselves are ordinary check definitions (perf/measurements.ts).
 */
export interface PerfDefinition {
  /** kebab-case, unique per run. */
  readonly name: string;
  /** One sentence: what the figures of this pair show. */
  readonly measures: string;
  /** The endpoints in this lab, or why the pair cannot be measured (a pod is missing). */
  plan(ctx: LabContext): PairPlan | { readonly missing: string };
  /** Measure TCP throughput with iperf3 (needs a `server`). */
  readonly throughput: boolean;
  readonly latency: LatencyMethod;
  /** Said in the pair's notes (e.g. why throughput is not measured). */
  readonly notes?: readonly string[];
}
