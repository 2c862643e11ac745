/**
 * From the rounds of the run to the published pairs and ratios: a pair's figures, verdict, reason and
 * trimmed evidence, and the cross-node ratios paired by round (perf/stats.ts rules).
 */
import type { LabContext, Verdict } from "../checks/types";
import {
  flatFigures,
  latencyMedians,
  latencySampleCount,
  pairFigures,
  tcpRrSeries,
  throughputSeries,
  type PairRound,
} from "./figures";
import { iputilsResolutionMs, pairedRatio } from "./stats";
import type { PerfDefinition, PerfEvidence, PerfPair, PerfRatios } from "./types";

/** Why same-node pod traffic has no ratio: the lab measures no like baseline for it. */
export const SAME_NODE_WITHHELD =
  "unlike paths: same-node pod traffic never leaves the node (bpf_redirect_peer from one pod into the other), while node-to-node crosses both nodes' eth0 veths and the bridge; no same-node baseline is measured";

/**
 * Pod figures over the node-to-node figures of the same round (perf/stats.ts pairedRatio): cross-node
 * throughput and busy p50 latency. Same-node pods are reported, not divided (see SAME_NODE_WITHHELD).
 */
export function computeRatios(rounds: ReadonlyMap<string, readonly PairRound[]>): PerfRatios {
  const cross = rounds.get("pod-to-pod-cross-node");
  const node = rounds.get("node-to-node");
  const out: Record<string, PerfRatios[string]> = {};
  if (cross !== undefined && node !== undefined) {
    out.crossNodePodVsNode = {
      compares: "pod-to-pod-cross-node throughput / node-to-node throughput",
      ...pairedRatio(
        throughputSeries(cross, (f) => f.throughputMbps),
        throughputSeries(node, (f) => f.throughputMbps),
      ),
    };
    out.crossNodePodVsNodeTcpRrP50 = {
      compares: "pod-to-pod-cross-node TCP_RR p50 / node-to-node TCP_RR p50 (fortio, per-round values)",
      ...pairedRatio(
        tcpRrSeries(cross, (f) => f.rr.p50Ms),
        tcpRrSeries(node, (f) => f.rr.p50Ms),
      ),
    };
    out.crossNodePodVsNodeRrP50 = {
      compares: "pod-to-pod-cross-node busy rtt p50 / node-to-node busy rtt p50 (per-round medians)",
      ...pairedRatio(latencyMedians(cross, "rr"), latencyMedians(node, "rr"), iputilsResolutionMs),
    };
  }
  if (rounds.has("pod-to-pod-same-node")) {
    out.sameNodePodVsNode = {
      compares: "pod-to-pod-same-node / node-to-node",
      rounds: 0,
      shown: "withheld",
      withheld: SAME_NODE_WITHHELD,
    };
  }
  return out;
}

// `differs` is never given to a performance pair; ranked like inconclusive for completeness.
const RANK: Readonly<Record<Verdict, number>> = { pass: 0, inconclusive: 1, differs: 1, fail: 2 };

/**
 * Evidence outputs over 200 lines keep their first and last lines: a 1000-sample ping stays readable,
 * an iperf3 -J document (about 125 lines with -i 0) is kept whole.
 */
export function trimOutput(output: string, head = 20, tail = 5, limit = 200): string {
  const lines = output.split("\n");
  if (lines.length <= limit) return output;
  return [
    ...lines.slice(0, head),
    `… ${lines.length - head - tail} lines left out …`,
    ...lines.slice(-tail),
  ].join("\n");
}

/** A pair's result from its plan (or why it has none) and the results of its rounds. */
export function assemblePair(def: PerfDefinition, ctx: LabContext, rounds: readonly PairRound[]): PerfPair {
  const plan = def.plan(ctx);
  const base = {
    name: def.name,
    from: "missing" in plan ? "n/a" : `${plan.from.name} ${plan.from.ip} on ${plan.from.node}`,
    to: "missing" in plan ? "n/a" : plan.toLabel,
  };
  const evidence: PerfEvidence[] = rounds.flatMap((round, i) =>
    round.flatMap((m) =>
      m.result.evidence.map((e) => ({
        command: `[round ${i + 1}] ${e.command}`,
        output: trimOutput(e.output),
      })),
    ),
  );
  const notes = def.notes === undefined ? {} : { notes: [...def.notes] };
  if ("missing" in plan) {
    return {
      ...base,
      figures: [],
      samples: 0,
      rounds: 0,
      verdict: "inconclusive",
      reason: plan.missing,
      ...notes,
      evidence,
    };
  }
  const nodePort = def.latency === "tcp-connect";
  const figures = pairFigures(rounds, def.throughput, nodePort);
  const all = rounds.flat();
  const worst = all.reduce<Verdict>(
    (v, m) => (RANK[m.result.verdict] > RANK[v] ? m.result.verdict : v),
    "pass",
  );
  const problems = [
    ...new Set(
      rounds.flatMap((round, i) =>
        round
          .filter((m) => m.result.verdict !== "pass")
          .map((m) => `round ${i + 1} ${m.result.name.slice(def.name.length + 1)}: ${m.result.reason}`),
      ),
    ),
  ];
  const shown = figures
    .filter(
      (f) => f.withheld === undefined && /^(throughput|rr-p50|connect-(local|remote)-p50)$/.test(f.name),
    )
    .map((f) => `${f.name} ${f.shown} ${f.unit}`);
  const reason =
    all.length === 0
      ? "nothing was measured"
      : worst === "pass"
        ? `${rounds.length} rounds: ${shown.join("; ") || "no figure the sample size supports"}`
        : problems.slice(0, 3).join("; ") + (problems.length > 3 ? `; and ${problems.length - 3} more` : "");
  return {
    ...base,
    figures,
    ...flatFigures(figures, nodePort),
    latencyMethod: nodePort ? "tcp-connect" : "icmp-echo",
    samples: latencySampleCount(rounds, nodePort),
    rounds: rounds.length,
    verdict: all.length === 0 ? "inconclusive" : worst,
    reason,
    ...notes,
    evidence,
  };
}
