/**
 * The shape of the `performance` figures: one entry per measured pair, the ratios that compare the
 * pod datapath with the node-to-node baseline, and the settings they were measured with.
 */
import type { LabContext, LabPod, Verdict } from "../checks/types";

/**
 * Inputs of a performance run (the stack's perfDurationSeconds, perfStreams, perfPingSamples); the
 * defaults are in perf/settings.ts.
 */
export interface PerfSettings {
  /** Seconds of each iperf3 run (`iperf3 -t`). */
  readonly durationSeconds: number;
  /** Parallel TCP streams of each iperf3 run (`iperf3 -P`). */
  readonly streams: number;
  /** Latency samples per pair: ping echo requests, or curl requests for the NodePort. */
  readonly pingSamples: number;
  /** TCP port of the transient iperf3 server. */
  readonly port: number;
  /** Milliseconds the iperf3 client waits for its server to start listening. */
  readonly serverStartDelayMs: number;
}

/** How a pair's latency was measured. */
export type LatencyMethod = "icmp-echo" | "tcp-connect";

/** One command of a measurement and what it printed. */
export interface PerfEvidence {
  readonly command: string;
  readonly output: string;
}

/** One measured pair. */
export interface PerfPair {
  /** kebab-case: `pod-to-pod-same-node`, `pod-to-pod-cross-node`, `pod-to-nodeport`, `node-to-node`. */
  readonly name: string;
  /** Where the client ran: `net 10.0.2.40 on <node>`. */
  readonly from: string;
  /** What it measured against: `evescn-jzms5 10.0.2.202 on <node>`, `NodePort 172.18.0.2:32000`. */
  readonly to: string;
  /** TCP throughput that arrived at the receiver (iperf3 end.sum_received), Mbit/s (10^6). */
  readonly throughputMbps?: number;
  /** TCP retransmits of the sender over the run (iperf3 end.sum_sent.retransmits). */
  readonly retransmits?: number;
  /** Round-trip time percentiles (nearest rank) over the samples, milliseconds. */
  readonly rttP50Ms?: number;
  readonly rttP90Ms?: number;
  readonly rttP99Ms?: number;
  /** The method behind the rtt figures. */
  readonly latencyMethod?: LatencyMethod;
  /** NodePort only: whole-request time (connect + HTTP request + response) percentiles. */
  readonly requestP50Ms?: number;
  readonly requestP90Ms?: number;
  readonly requestP99Ms?: number;
  /** Latency samples that came back (echo replies, answered requests). */
  readonly samples: number;
  /** `pass` when every measurement of the pair produced its figures, else why not. */
  readonly verdict: Verdict;
  readonly reason: string;
  /** What was not measured and why (e.g. no throughput through the NodePort). */
  readonly notes?: readonly string[];
  readonly evidence: readonly PerfEvidence[];
}

/**
 * Pod figures divided by the node-to-node figures measured in the same run. Throughput ratios near
 * 1 (or above) mean the pod datapath costs little over the node's own network; latency ratios near
 * 1 likewise. Undefined when either side is missing.
 */
export interface PerfRatios {
  /** pod-to-pod-cross-node throughput / node-to-node throughput. */
  readonly crossNodePodVsNode?: number;
  /** pod-to-pod-same-node throughput / node-to-node throughput. */
  readonly sameNodePodVsNode?: number;
  /** pod-to-pod-cross-node rtt p50 / node-to-node rtt p50. */
  readonly crossNodePodVsNodeRttP50?: number;
  /** pod-to-pod-same-node rtt p50 / node-to-node rtt p50. */
  readonly sameNodePodVsNodeRttP50?: number;
  /** pod-to-pod-cross-node rtt p99 / node-to-node rtt p99. */
  readonly crossNodePodVsNodeRttP99?: number;
}

/** The `performance` output. */
export interface Performance {
  /** `4/4 pairs measured` (`, N failed`, `, N inconclusive`). */
  readonly summary: string;
  readonly settings: PerfSettings;
  readonly pairs: readonly PerfPair[];
  readonly ratios: PerfRatios;
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
