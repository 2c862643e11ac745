/** What the measurement modules share: a pair's plan, and the per-round figures a judge reports. */
import type { Judgement, LabContext } from "../checks/types";
import type { PairPlan, PerfDefinition } from "./types";

/** The fact key a measurement's judge reports its figures under. */
export const MEASUREMENT_FACT = "measurement";

/** One iperf3 run's figures. */
export interface ThroughputFigures {
  readonly kind: "throughput";
  readonly throughputMbps?: number;
  readonly sentMbps?: number;
  readonly retransmits?: number;
  readonly streams?: number;
  /** iperf3 `end.cpu_utilization_percent.host_total` (the client, which sends). */
  readonly senderCpuPercent?: number;
  /** iperf3 `end.cpu_utilization_percent.remote_total` (the server, which receives). */
  readonly receiverCpuPercent?: number;
}

/** The latency methods: busy request/response, idle ping, TCP connect to the NodePort. */
export type LatencyKind = "rr" | "ping" | "nodeport";

/** One latency series' samples (milliseconds), as measured in one round. */
export interface LatencyFigures {
  readonly kind: "latency";
  readonly method: LatencyKind;
  /** Requests sent. */
  readonly sent: number;
  /** One round trip (ICMP) or TCP connect time per answered request. */
  readonly rttsMs: readonly number[];
  /** NodePort only: whole-request time per answered request, in the order of `rttsMs`. */
  readonly requestsMs?: readonly number[];
  /** NodePort only: where the answering backend runs, per answered request. */
  readonly backends?: readonly BackendLocality[];
}

/** Where a NodePort backend runs relative to the client: its node, another, or not named. */
export type BackendLocality = "local" | "remote" | "unknown";

/** The CPUs the client pod sees (`nproc`), and each pod's allowed CPUs (perf/cpus.ts), by pod name. */
export interface CpuFigures {
  readonly kind: "cpus";
  readonly cpus: number;
  readonly allowed: Readonly<Record<string, readonly number[]>>;
}

/** What one fortio load run measured. */
export interface FortioRun {
  readonly runType?: string;
  /** Requests answered with OK (tcp) or 200 (http). */
  readonly ok: number;
  /** Every other return code and its count (errors, refused connections). */
  readonly errors: Readonly<Record<string, number>>;
  readonly count?: number;
  readonly qps?: number;
  readonly avgMs?: number;
  readonly p50Ms?: number;
  readonly p90Ms?: number;
  readonly p99Ms?: number;
  /** Sockets opened (TCP_CRR: one per request). */
  readonly sockets?: number;
  /** Why the output could not be read. */
  readonly issue?: string;
}

/** What the measurement reports: TCP_RR percentiles and rate, TCP_CRR rate. */
export interface TcpRrFigures {
  readonly kind: "tcp-rr";
  readonly rr: FortioRun;
  readonly crr?: FortioRun;
}

export type MeasurementFigures = ThroughputFigures | LatencyFigures | CpuFigures | TcpRrFigures;

/** The pair's endpoints in this lab, or undefined when one is missing. */
export function planOf(def: PerfDefinition, ctx: LabContext): PairPlan | undefined {
  const plan = def.plan(ctx);
  return "missing" in plan ? undefined : plan;
}

/** Why the pair has no endpoints in this lab. */
export function missingOf(def: PerfDefinition, ctx: LabContext): string {
  const plan = def.plan(ctx);
  return "missing" in plan ? plan.missing : "the pair has no endpoints";
}

/** A judgement carrying its figures as the {@link MEASUREMENT_FACT} fact. */
export function withFigures(judgement: Judgement, measurement: MeasurementFigures): Judgement {
  return { ...judgement, facts: { [MEASUREMENT_FACT]: measurement } };
}

/** `0.045 ms`, or `?`. */
export function ms(n: number | undefined): string {
  return n === undefined ? "?" : `${n} ms`;
}
