/**
 * What the figures were measured on: the Cilium settings that cost CPU per packet (the stack's
 * perfProfile), whether the published figures may be compared with them, and the methods in words.
 *
 * Cilium's tuning guide (docs.cilium.io/en/stable/operations/performance/tuning/, source
 * Documentation/operations/performance/tuning.rst, section "Hubble"): "The overhead of Hubble is
 * somewhere between 1-15% depending on your network traffic patterns and Hubble aggregation settings";
 * to cut the CPU the agent spends on monitored events it advises a longer aggregation interval, rate
 * limits, or disabling Hubble. `bpf.monitorAggregation` (chart values.yaml: "none, low, medium,
 * maximum", default medium) is that aggregation: `none` emits a monitor event per packet. Debug
 * datapath events come from the programs a packet crosses, and a pod path crosses more of them than
 * node-to-node, so the overhead is uneven: figures from the `lab` profile describe the debug datapath.
 */
import type { DatapathProfile, PerfDatapath, PerfSettings } from "./types";

/** The per-packet settings of each profile, as components/ciliumValues.ts writes them. */
export const PROFILE_SETTINGS: Readonly<Record<DatapathProfile, string>> = {
  lab: "debug.enabled=true, debug.verbose=datapath, bpf.monitorAggregation=none, hubble.enabled=true (chart default): the write-up's debug datapath",
  measurement: "debug.enabled=false, bpf.monitorAggregation=medium, hubble.enabled=false",
  unknown: "unknown: Cilium was not installed by the stack with a known profile (give --datapath-profile)",
};

const LITERATURE =
  "Published figures (Cilium's benchmark: single-stream TCP with BPF host routing close to node-to-node; the bpf_redirect_peer kernel commit: pod-to-remote-pod TCP_RR 122 µs → 44 µs) are netperf TCP_RR/TCP_STREAM on real NICs";

/** The datapath a run measured, and whether the literature may be set beside it. */
export function datapathOf(profile: DatapathProfile): PerfDatapath {
  if (profile === "measurement") {
    return {
      profile,
      settings: PROFILE_SETTINGS.measurement,
      literatureComparable: true,
      literature: `${LITERATURE}; these are ICMP request/response and iperf3 on one kind host: compare directions, not values.`,
    };
  }
  const why =
    profile === "lab"
      ? "the datapath ran with debug events and monitor aggregation off (and Hubble), which cost 1-15 % and more on the pod paths"
      : "the Cilium settings are unknown";
  return {
    profile,
    settings: PROFILE_SETTINGS[profile],
    literatureComparable: false,
    literature: `No comparison with published figures: ${why}. Use perfProfile=measurement (or --datapath-profile measurement on such a cluster).`,
  };
}

/** The methods, one line each, for the output and the report. */
export function methodLines(s: PerfSettings, pinned: boolean): string[] {
  return [
    `${s.repeats} rounds; every pair once per round in a random order (seed ${s.seed}), pod-to-pod-cross-node (A) and node-to-node (B) twice as one A-B-B-A block (each round's figure of A and of B is the mean of its two runs, so a drift over the block cancels in their ratio); within a pair: throughput, then busy, then idle latency.`,
    `Throughput: iperf3 -O ${s.omitSeconds} -t ${s.durationSeconds} -P ${s.streams} -J (warm-up omitted), what arrived (end.sum_received); median and min–max over the rounds.`,
    `Busy latency (primary): ping -i 0 -c ${s.rrSamples} per round, one request in flight (iputils): pooled nearest-rank p50/p90/p99, the spread of p50 being the per-round medians.`,
    `Idle latency (secondary): ping -i 0.2 -c ${s.pingSamples} per round: mostly the wake-up latency of idle CPUs.`,
    `NodePort: ${s.pingSamples} curl requests per round, split by the backend that answered (its body names the pod): on the client's node, on another.`,
    pinned
      ? "CPU: single-stream iperf3 runs pinned with -A to a CPU of the client pod's and one of the server pod's Cpus_allowed_list, never CPU 0 and never the same (host.pinning names them per pair); ping and the kernel's softirq work are not pinned; iperf3's CPU use is reported."
      : "CPU: nothing pinned (more than one stream, where -A would put every stream on one CPU, or no usable CPU besides 0); iperf3's CPU use is reported.",
    "Figures are printed with the digits their spread allows; a percentile needs 10 samples above it; a ratio is the median of the per-round ratios, given when its 90 % order-statistics interval is no wider than ±10 % of it (5 paired rounds at least).",
  ];
}
