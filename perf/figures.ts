/**
 * From the per-round results of a pair to its printed figures: medians with their spread for the
 * per-run figures (throughput, retransmits, CPU), pooled percentiles with the spread of the per-round
 * medians for latency, the NodePort split by backend locality. The rules are perf/stats.ts's.
 */
import type { CheckResult } from "../checks/types";
import type {
  BackendLocality,
  LatencyFigures,
  MeasurementFigures,
  TcpRrFigures,
  ThroughputFigures,
} from "./plan";
import { percentile } from "./samples";
import { roundTo, decimalsFor, samplesFor, spreadOf, supportedPercentile } from "./stats";
import type { PerfFigure } from "./types";

/** One measurement's result and figures. */
export interface Measured {
  readonly result: CheckResult;
  readonly figures?: MeasurementFigures;
}

/** Everything measured for a pair in one round. */
export type PairRound = readonly Measured[];

/**
 * The round's throughput: one run's figures, or with two runs in the round (A-B-B-A, perf/abba.ts)
 * the mean of each figure over the runs that have it.
 */
function throughputOf(round: PairRound): ThroughputFigures | undefined {
  const runs = round
    .map((m) => m.figures)
    .filter((f): f is ThroughputFigures => f?.kind === "throughput" && f.throughputMbps !== undefined);
  if (runs.length <= 1) return runs[0];
  const mean = (pick: (f: ThroughputFigures) => number | undefined): number | undefined => {
    const v = runs.map(pick).filter((x): x is number => x !== undefined);
    return v.length === 0 ? undefined : v.reduce((a, b) => a + b, 0) / v.length;
  };
  return {
    kind: "throughput",
    throughputMbps: mean((f) => f.throughputMbps),
    sentMbps: mean((f) => f.sentMbps),
    retransmits: mean((f) => f.retransmits),
    streams: runs[0].streams,
    senderCpuPercent: mean((f) => f.senderCpuPercent),
    receiverCpuPercent: mean((f) => f.receiverCpuPercent),
  };
}

/** The round's samples of a latency method, pooled over its runs (two with A-B-B-A). */
function latencyOf(round: PairRound, method: LatencyFigures["method"]): LatencyFigures | undefined {
  const runs = round
    .map((m) => m.figures)
    .filter((f): f is LatencyFigures => f?.kind === "latency" && f.method === method);
  if (runs.length <= 1) return runs[0];
  const pooled = <T>(pick: (f: LatencyFigures) => readonly T[] | undefined): T[] | undefined =>
    runs.every((f) => pick(f) !== undefined) ? runs.flatMap((f) => [...pick(f)!]) : undefined;
  const requestsMs = pooled((f) => f.requestsMs);
  const backends = pooled((f) => f.backends);
  return {
    kind: "latency",
    method,
    sent: runs.reduce((a, f) => a + f.sent, 0),
    rttsMs: runs.flatMap((f) => [...f.rttsMs]),
    ...(requestsMs !== undefined ? { requestsMs } : {}),
    ...(backends !== undefined ? { backends } : {}),
  };
}

/** One value per round (undefined where that round did not measure it). */
export function throughputSeries(
  rounds: readonly PairRound[],
  pick: (f: ThroughputFigures) => number | undefined,
) {
  return rounds.map((r) => {
    const f = throughputOf(r);
    return f === undefined ? undefined : pick(f);
  });
}

/** Each round's p50 (nearest rank, like the pooled one) of a latency method; undefined where none came back. */
export function latencyMedians(rounds: readonly PairRound[], method: LatencyFigures["method"]) {
  return rounds.map((r) => percentile(latencyOf(r, method)?.rttsMs ?? [], 50));
}

function figureOf(
  name: string,
  unit: PerfFigure["unit"],
  method: string,
  values: readonly (number | undefined)[],
): PerfFigure {
  const s = spreadOf(values.filter((v): v is number => v !== undefined));
  if ("withheld" in s)
    return {
      name,
      unit,
      method,
      samples: values.filter((v) => v !== undefined).length,
      shown: "withheld",
      withheld: s.withheld,
    };
  return { name, unit, method, samples: s.rounds, value: s.median, min: s.min, max: s.max, shown: s.shown };
}

/**
 * Latency figures of a series pooled over the rounds: p50 (with the min–max of the per-round p50s as
 * its spread), then p90 and p99 where the pooled sample count supports them.
 */
export function latencySeriesFigures(
  prefix: string,
  method: string,
  perRound: readonly (readonly number[])[],
): PerfFigure[] {
  const pooled = perRound.flat();
  const medians = perRound.filter((r) => r.length > 0).map((r) => percentile(r, 50)!);
  const out: PerfFigure[] = [];
  for (const p of [50, 90, 99]) {
    const name = `${prefix}-p${p}`;
    const value = supportedPercentile(pooled, p);
    if (value === undefined) {
      out.push({
        name,
        unit: "ms",
        method,
        samples: pooled.length,
        shown: "withheld",
        withheld: `${pooled.length} samples; p${p} needs ${samplesFor(p)} (10 above it)`,
      });
      continue;
    }
    if (p !== 50) {
      out.push({ name, unit: "ms", method, samples: pooled.length, value, shown: roundTo(value, 3) });
      continue;
    }
    const spread = spreadOf(medians);
    if ("withheld" in spread) {
      out.push({
        name,
        unit: "ms",
        method,
        samples: pooled.length,
        value,
        shown: roundTo(value, 3),
        withheld: `no spread: ${spread.withheld}`,
      });
      continue;
    }
    const d = Math.max(decimalsFor((spread.max - spread.min) / 2), 0);
    out.push({
      name,
      unit: "ms",
      method,
      samples: pooled.length,
      value,
      min: spread.min,
      max: spread.max,
      shown: `${roundTo(value, d)} (${roundTo(spread.min, d)}–${roundTo(spread.max, d)})`,
    });
  }
  return out;
}

/** The NodePort samples of one locality, per round. */
function nodePortSeries(rounds: readonly PairRound[], locality: BackendLocality, total: boolean): number[][] {
  return rounds.map((r) => {
    const f = latencyOf(r, "nodeport");
    if (f === undefined) return [];
    const values = total ? (f.requestsMs ?? []) : f.rttsMs;
    return values.filter((_, i) => (f.backends?.[i] ?? "unknown") === locality);
  });
}

export const METHODS = {
  throughput: "iperf3 -J end.sum_received, median of the rounds",
  retransmits: "iperf3 -J end.sum_sent.retransmits per run, median of the rounds",
  cpuSender: "iperf3 -J cpu_utilization_percent.host_total (client, sending)",
  cpuReceiver: "iperf3 -J cpu_utilization_percent.remote_total (server, receiving)",
  rr: "ping -i 0: back-to-back ICMP echo, one in flight (busy request/response)",
  ping: "ping -i 0.2: ICMP echo 0.2 s apart (idle CPUs)",
  connect: "curl time_connect to the NodePort: one SYN / SYN-ACK",
  request: "curl time_total: connect, HTTP request and response",
} as const;

/**
 * The round's fortio runs (perf/tcpRr.ts), one or two (A-B-B-A): each figure the mean of the runs
 * that have it. fortio gives percentiles, not samples, so two runs' p50s are averaged, not pooled.
 */
function tcpRrOf(round: PairRound): TcpRrFigures[] {
  return round.map((m) => m.figures).filter((f): f is TcpRrFigures => f?.kind === "tcp-rr");
}

/** One value per round (the mean over the round's runs), undefined where none was measured. */
export function tcpRrSeries(rounds: readonly PairRound[], pick: (f: TcpRrFigures) => number | undefined) {
  return rounds.map((r) => {
    const v = tcpRrOf(r)
      .map(pick)
      .filter((x): x is number => x !== undefined);
    return v.length === 0 ? undefined : v.reduce((a, b) => a + b, 0) / v.length;
  });
}

/** A figure's name, unit, method, and the value a run's figures give. */
type FigureRow<T> = readonly [string, PerfFigure["unit"], string, (f: T) => number | undefined];

/** The fortio figures: TCP_RR latency percentiles and rate, TCP_CRR connection rate. */
const TCP_RR_FIGURES: readonly FigureRow<TcpRrFigures>[] = [
  [
    "tcp-rr-p50",
    "ms",
    "fortio load tcp:// -c 1 -qps 0: p50 of one run (TCP request/response, one in flight), median of the rounds",
    (f) => f.rr.p50Ms,
  ],
  ["tcp-rr-p90", "ms", "fortio TCP_RR p90 of one run, median of the rounds", (f) => f.rr.p90Ms],
  ["tcp-rr-p99", "ms", "fortio TCP_RR p99 of one run, median of the rounds", (f) => f.rr.p99Ms],
  ["tcp-rr-rate", "1/s", "fortio TCP_RR transactions per second (ActualQPS)", (f) => f.rr.qps],
  [
    "tcp-crr-rate",
    "1/s",
    "fortio http:// -connection-reuse 1:1: new connections per second (connect, request, response, close)",
    (f) => f.crr?.qps,
  ],
];

/** The iperf3 figures of a pair: name, unit, method, and the value each round gives. */
const THROUGHPUT_FIGURES: readonly FigureRow<ThroughputFigures>[] = [
  ["throughput", "Mbit/s", METHODS.throughput, (f) => f.throughputMbps],
  ["retransmits", "count", METHODS.retransmits, (f) => f.retransmits],
  ["cpu-sender", "%", METHODS.cpuSender, (f) => f.senderCpuPercent],
  ["cpu-receiver", "%", METHODS.cpuReceiver, (f) => f.receiverCpuPercent],
];

/** Every figure of a pair from its rounds. */
export function pairFigures(
  rounds: readonly PairRound[],
  throughput: boolean,
  nodePort: boolean,
): PerfFigure[] {
  const out: PerfFigure[] = [];
  if (throughput) {
    for (const [name, unit, method, pick] of THROUGHPUT_FIGURES) {
      out.push(figureOf(name, unit, method, throughputSeries(rounds, pick)));
    }
  }
  if (nodePort) {
    for (const locality of ["local", "remote", "unknown"] as const) {
      const connect = nodePortSeries(rounds, locality, false);
      if (connect.flat().length === 0 && locality === "unknown") continue;
      out.push(
        ...latencySeriesFigures(`connect-${locality}`, `${METHODS.connect}, backend ${locality}`, connect),
        ...latencySeriesFigures(
          `request-${locality}`,
          `${METHODS.request}, backend ${locality}`,
          nodePortSeries(rounds, locality, true),
        ),
      );
    }
    return out;
  }
  if (rounds.some((r) => tcpRrOf(r) !== undefined)) {
    for (const [name, unit, method, pick] of TCP_RR_FIGURES) {
      out.push(figureOf(name, unit, method, tcpRrSeries(rounds, pick)));
    }
  }
  const series = (m: "rr" | "ping") => rounds.map((r) => latencyOf(r, m)?.rttsMs ?? []);
  out.push(
    ...latencySeriesFigures("rr", METHODS.rr, series("rr")),
    ...latencySeriesFigures("ping", METHODS.ping, series("ping")),
  );
  return out;
}

/** The flat figures kept for the report's tables: medians and supported percentiles. */
export function flatFigures(figures: readonly PerfFigure[], nodePort: boolean): Record<string, number> {
  const v = (name: string): number | undefined =>
    figures.find((f) => f.name === name && f.withheld === undefined)?.value ??
    figures.find((f) => f.name === name)?.value;
  const pick = nodePort ? "connect-local" : "rr";
  const entries: [string, number | undefined][] = [
    ["throughputMbps", v("throughput")],
    ["retransmits", v("retransmits")],
    ["rttP50Ms", v(`${pick}-p50`)],
    ["rttP90Ms", v(`${pick}-p90`)],
    ["rttP99Ms", v(`${pick}-p99`)],
    ...(nodePort
      ? ([
          ["requestP50Ms", v("request-local-p50")],
          ["requestP90Ms", v("request-local-p90")],
          ["requestP99Ms", v("request-local-p99")],
        ] as [string, number | undefined][])
      : []),
  ];
  return Object.fromEntries(entries.filter((e): e is [string, number] => e[1] !== undefined));
}

/** Pooled samples of the pair's main latency series (rr, or the NodePort's connects). */
export function latencySampleCount(rounds: readonly PairRound[], nodePort: boolean): number {
  return rounds.reduce((n, r) => n + (latencyOf(r, nodePort ? "nodeport" : "rr")?.rttsMs.length ?? 0), 0);
}
