/**
 * The measurements of a pair, as ordinary check definitions (steps + judge, checks/types.ts), so the
 * check runner executes them with its timeouts, delays and evidence, and tests judge recorded output.
 *
 * - throughput: a transient `iperf3 -s -1` in the destination pod (delay 0) and the client
 *   `iperf3 -c ... -J` in the source pod, started `serverStartDelayMs` later, in one step set, the
 *   way a capture runs beside its traffic.
 * - latency: `ping -c N -i 0.2` (per-packet RTTs), or for the NodePort a series of curl requests
 *   with a write-out of their connect and total times.
 *
 * A judge reports its figures as the fact `measurement`. Verdicts: `pass` when the figures came back;
 * `fail` when the pair exchanged no traffic at all (no echo reply, no answered request); otherwise
 * `inconclusive` (a tool missing, a timeout, iperf3's own error such as a refused connection).
 */
import { STEP_MARGIN_SECONDS, podTarget } from "../checks/defs/common";
import { parseIperf3 } from "../checks/parse/iperf3";
import { PING_OK_EXIT_CODES, scriptLine, shCommand, withTimeout } from "../checks/probes";
import type { CheckDefinition, ExecResult, Judgement, LabContext, ProbeStep } from "../checks/types";
import { excerpt, fail, inconclusive, pass, usableStep } from "../checks/verdict";
import { CURL_SAMPLE_FORMAT, parseCurlSamples, parsePingSamples, percentiles } from "./samples";
import type { PairPlan, PerfDefinition, PerfSettings } from "./types";

/** Seconds between echo requests (iputils allows 0.2 s without root). */
export const PING_INTERVAL_SECONDS = 0.2;
/** Attempts of the iperf3 client when the server is not listening yet (connection refused). */
export const IPERF3_CONNECT_ATTEMPTS = 5;
/** Seconds one curl request may take. */
export const CURL_MAX_TIME_SECONDS = 2;
/** The curl series stops after this many failed requests in a row (a NodePort that does not answer). */
export const CURL_MAX_FAILURES_IN_A_ROW = 5;

/** The fact key a measurement's judge reports its figures under. */
export const MEASUREMENT_FACT = "measurement";

/** Throughput figures reported by a throughput judge. */
export interface ThroughputFigures {
  readonly kind: "throughput";
  readonly throughputMbps?: number;
  readonly sentMbps?: number;
  readonly retransmits?: number;
  readonly streams?: number;
  /** The sender's mean TCP RTT over the run (first stream), ms: a latency seen under load. */
  readonly tcpMeanRttMs?: number;
}

/** Latency figures reported by a latency judge (milliseconds). */
export interface LatencyFigures {
  readonly kind: "latency";
  readonly method: "icmp-echo" | "tcp-connect";
  readonly samples: number;
  readonly sent?: number;
  readonly lossPercent?: number;
  readonly rttP50Ms?: number;
  readonly rttP90Ms?: number;
  readonly rttP99Ms?: number;
  readonly requestP50Ms?: number;
  readonly requestP90Ms?: number;
  readonly requestP99Ms?: number;
}

export type MeasurementFigures = ThroughputFigures | LatencyFigures;

function planOf(def: PerfDefinition, ctx: LabContext): PairPlan | undefined {
  const plan = def.plan(ctx);
  return "missing" in plan ? undefined : plan;
}

function missingOf(def: PerfDefinition, ctx: LabContext): string {
  const plan = def.plan(ctx);
  return "missing" in plan ? plan.missing : "the pair has no endpoints";
}

function figures(judgement: Judgement, measurement: MeasurementFigures): Judgement {
  return { ...judgement, facts: { [MEASUREMENT_FACT]: measurement } };
}

// ---- throughput -------------------------------------------------------------------------------

/** Seconds the iperf3 client may take: the run plus connection set-up and the final exchange. */
function clientSeconds(s: PerfSettings): number {
  return s.durationSeconds + 15;
}

/** Seconds the one-off server lives: long enough for the client's delay, retries and run. */
export function serverSeconds(s: PerfSettings): number {
  return Math.ceil(s.serverStartDelayMs / 1000) + IPERF3_CONNECT_ATTEMPTS + clientSeconds(s) + 10;
}

/** `timeout N iperf3 -s -1 -p PORT`: a one-off server that serves one test and exits. */
export function iperf3ServerCommand(s: PerfSettings): string[] {
  return withTimeout(serverSeconds(s), ["iperf3", "-s", "-1", "-p", String(s.port)]);
}

/** `iperf3 -c ADDRESS -p PORT -t D -P S -i 0 -J`: one JSON document, no per-second intervals. */
export function iperf3ClientArgv(address: string, s: PerfSettings): string[] {
  return [
    "iperf3",
    "-c",
    address,
    "-p",
    String(s.port),
    "-t",
    String(s.durationSeconds),
    "-P",
    String(s.streams),
    "-i",
    "0",
    "-J",
  ];
}

/**
 * The client as a script: retries while the server is not listening yet (a refused connection),
 * then prints the last attempt's JSON on stdout. Notes about retries go to stderr.
 */
export function iperf3ClientScript(address: string, s: PerfSettings): string {
  const client = scriptLine(withTimeout(clientSeconds(s), iperf3ClientArgv(address, s)));
  return [
    "n=0",
    "while :; do",
    "  n=$((n+1))",
    `  out=$(${client}); rc=$?`,
    '  case "$out" in',
    `    *"Connection refused"*) if [ "$n" -lt ${IPERF3_CONNECT_ATTEMPTS} ]; then echo "attempt $n: connection refused, retrying in 1 s" >&2; sleep 1; continue; fi ;;`,
    "  esac",
    "  break",
    "done",
    'printf "%s\\n" "$out"',
    'exit "$rc"',
  ].join("\n");
}

function throughputSteps(def: PerfDefinition, s: PerfSettings, ctx: LabContext): ProbeStep[] {
  const plan = planOf(def, ctx);
  if (plan?.server === undefined) return [];
  return [
    {
      id: "server",
      target: podTarget(plan.server),
      argv: iperf3ServerCommand(s),
      timeoutSeconds: serverSeconds(s) + STEP_MARGIN_SECONDS,
    },
    {
      id: "client",
      target: podTarget(plan.from),
      argv: shCommand(iperf3ClientScript(plan.address, s)),
      timeoutSeconds: IPERF3_CONNECT_ATTEMPTS + clientSeconds(s) + STEP_MARGIN_SECONDS,
      delayMs: s.serverStartDelayMs,
    },
  ];
}

/** What the server printed, for a reason when the client could not measure. */
function serverNote(results: ReadonlyMap<string, ExecResult>): string {
  const r = results.get("server");
  if (r === undefined) return "";
  const out = excerpt(`${r.stdout}\n${r.stderr}`, 160);
  const end = r.timedOut ? "timed out" : `exit ${r.exitCode ?? "none"}`;
  return ` (server: ${end}${out === "" ? "" : `: ${out}`})`;
}

function judgeThroughput(
  def: PerfDefinition,
  s: PerfSettings,
  ctx: LabContext,
  results: ReadonlyMap<string, ExecResult>,
): Judgement {
  const plan = planOf(def, ctx);
  const client = throughputSteps(def, s, ctx).find((st) => st.id === "client");
  if (plan === undefined || client === undefined) return inconclusive(missingOf(def, ctx));
  // iperf3 -J reports its errors in the JSON (3.12 exits 0 then, later versions 1).
  const out = usableStep(client, results, { okExitCodes: [0, 1] });
  if (!out.ok) return { ...out.judgement, reason: `${out.judgement.reason}${serverNote(results)}` };
  const r = parseIperf3(out.output);
  if (r.error !== undefined) {
    return inconclusive(`iperf3 to ${plan.address}:${s.port} reported: ${r.error}${serverNote(results)}`);
  }
  if (r.receivedMbps === undefined) {
    return inconclusive(`no throughput in iperf3's output: ${r.issues.join("; ") || excerpt(out.output)}`);
  }
  const measured: ThroughputFigures = {
    kind: "throughput",
    throughputMbps: r.receivedMbps,
    sentMbps: r.sentMbps,
    retransmits: r.retransmits,
    streams: r.streams,
    tcpMeanRttMs: r.perStream[0]?.meanRttMs,
  };
  const retrans =
    r.retransmits === undefined ? "" : `, ${r.retransmits} retransmit${r.retransmits === 1 ? "" : "s"}`;
  const streams = `${r.streams ?? s.streams} stream${(r.streams ?? s.streams) === 1 ? "" : "s"}`;
  const secs = r.seconds === undefined ? "" : ` over ${r.seconds.toFixed(1)} s`;
  return figures(pass(`${formatMbps(r.receivedMbps)} received${secs} (${streams}${retrans})`), measured);
}

/** `9615.7 Mbit/s` (one decimal). */
export function formatMbps(mbps: number): string {
  return `${mbps.toFixed(1)} Mbit/s`;
}

/** The throughput measurement of a pair. */
export function throughputMeasurement(def: PerfDefinition, s: PerfSettings): CheckDefinition {
  return {
    name: `${def.name}-throughput`,
    proves: `iperf3 measured the TCP throughput of ${def.name} (${s.durationSeconds} s, ${s.streams} stream${s.streams === 1 ? "" : "s"}).`,
    steps: (ctx) => throughputSteps(def, s, ctx),
    judge: (ctx, results) => judgeThroughput(def, s, ctx, results),
  };
}

// ---- latency: ping ----------------------------------------------------------------------------

/** `ping -w`: the samples at 0.2 s plus 5 s of slack. */
export function pingDeadlineSeconds(s: PerfSettings): number {
  return Math.ceil(s.pingSamples * PING_INTERVAL_SECONDS) + 5;
}

/** `ping -n -c N -i 0.2 -w DEADLINE ADDRESS`: one reply line (with its time=) per sample. */
export function pingSamplesCommand(address: string, s: PerfSettings): string[] {
  return [
    "ping",
    "-n",
    "-c",
    String(s.pingSamples),
    "-i",
    String(PING_INTERVAL_SECONDS),
    "-w",
    String(pingDeadlineSeconds(s)),
    address,
  ];
}

function pingSteps(def: PerfDefinition, s: PerfSettings, ctx: LabContext): ProbeStep[] {
  const plan = planOf(def, ctx);
  if (plan === undefined) return [];
  return [
    {
      id: "ping",
      target: podTarget(plan.from),
      argv: pingSamplesCommand(plan.address, s),
      timeoutSeconds: pingDeadlineSeconds(s) + STEP_MARGIN_SECONDS,
    },
  ];
}

function ms(n: number | undefined): string {
  return n === undefined ? "?" : `${n} ms`;
}

function judgePing(
  def: PerfDefinition,
  s: PerfSettings,
  ctx: LabContext,
  results: ReadonlyMap<string, ExecResult>,
): Judgement {
  const plan = planOf(def, ctx);
  const step = pingSteps(def, s, ctx)[0];
  if (plan === undefined || step === undefined) return inconclusive(missingOf(def, ctx));
  const out = usableStep(step, results, { okExitCodes: PING_OK_EXIT_CODES });
  if (!out.ok) return out.judgement;
  const ping = parsePingSamples(out.output);
  if (ping.transmitted === undefined) {
    return inconclusive(`no ping statistics in the output: ${excerpt(out.output)}`);
  }
  const p = percentiles(ping.rttsMs);
  const measured: LatencyFigures = {
    kind: "latency",
    method: "icmp-echo",
    samples: p.count,
    sent: ping.transmitted,
    lossPercent: ping.lossPercent,
    rttP50Ms: p.p50,
    rttP90Ms: p.p90,
    rttP99Ms: p.p99,
  };
  if (p.count === 0) {
    return figures(fail(`no echo reply from ${plan.address} (${ping.transmitted} sent)`), measured);
  }
  const loss = (ping.lossPercent ?? 0) > 0 ? `, ${ping.lossPercent}% loss` : "";
  return figures(
    pass(`rtt p50 ${ms(p.p50)}, p90 ${ms(p.p90)}, p99 ${ms(p.p99)} over ${p.count} echo replies${loss}`),
    measured,
  );
}

// ---- latency: curl to the NodePort ------------------------------------------------------------

/** Seconds the whole curl series may take. */
export function curlSeriesSeconds(s: PerfSettings): number {
  return 10 + s.pingSamples;
}

/**
 * N curl requests one after another, each printing {@link CURL_SAMPLE_FORMAT}; the series stops after
 * {@link CURL_MAX_FAILURES_IN_A_ROW} failures in a row.
 */
export function curlSeriesScript(url: string, s: PerfSettings): string {
  const curl = scriptLine([
    "curl",
    "-sS",
    "-o",
    "/dev/null",
    "--max-time",
    String(CURL_MAX_TIME_SECONDS),
    "-w",
    CURL_SAMPLE_FORMAT,
    url,
  ]);
  return [
    "i=0; f=0",
    `while [ "$i" -lt ${s.pingSamples} ]; do`,
    "  i=$((i+1))",
    `  if ${curl}; then f=0; else f=$((f+1)); fi`,
    `  if [ "$f" -ge ${CURL_MAX_FAILURES_IN_A_ROW} ]; then echo "stopped after $f failed requests in a row" >&2; break; fi`,
    "done",
    "exit 0",
  ].join("\n");
}

function curlSteps(def: PerfDefinition, s: PerfSettings, ctx: LabContext): ProbeStep[] {
  const plan = planOf(def, ctx);
  if (plan === undefined || plan.port === undefined) return [];
  const url = `http://${plan.address}:${plan.port}/`;
  return [
    {
      id: "curl",
      target: podTarget(plan.from),
      argv: withTimeout(curlSeriesSeconds(s), shCommand(curlSeriesScript(url, s))),
      timeoutSeconds: curlSeriesSeconds(s) + STEP_MARGIN_SECONDS,
    },
  ];
}

function judgeCurl(
  def: PerfDefinition,
  s: PerfSettings,
  ctx: LabContext,
  results: ReadonlyMap<string, ExecResult>,
): Judgement {
  const plan = planOf(def, ctx);
  const step = curlSteps(def, s, ctx)[0];
  if (plan === undefined || step === undefined) return inconclusive(missingOf(def, ctx));
  // 124: `timeout` ended a slow series; the samples it printed still count.
  const out = usableStep(step, results, { okExitCodes: [0, 124], allowEmpty: true });
  if (!out.ok) return out.judgement;
  const curl = parseCurlSamples(`${out.output}\n${results.get(step.id)?.stderr ?? ""}`);
  if (curl.requests === 0) {
    return inconclusive(`no curl sample line in the output: ${excerpt(out.output) || "empty"}`);
  }
  const connect = percentiles(curl.connectMs);
  const total = percentiles(curl.totalMs);
  const measured: LatencyFigures = {
    kind: "latency",
    method: "tcp-connect",
    samples: curl.answered,
    sent: curl.requests,
    lossPercent: Math.round((1000 * (curl.requests - curl.answered)) / curl.requests) / 10,
    rttP50Ms: connect.p50,
    rttP90Ms: connect.p90,
    rttP99Ms: connect.p99,
    requestP50Ms: total.p50,
    requestP90Ms: total.p90,
    requestP99Ms: total.p99,
  };
  const codes = Object.entries(curl.codes)
    .map(([code, n]) => `${n}× ${code}`)
    .join(", ");
  if (curl.answered === 0) {
    const why = curl.errors[0] === undefined ? "" : `: ${curl.errors[0]}`;
    return figures(
      fail(`no request to ${plan.address}:${plan.port} was answered (${codes})${why}`),
      measured,
    );
  }
  const failed = curl.answered < curl.requests ? ` (${codes})` : "";
  return figures(
    pass(
      `connect p50 ${ms(connect.p50)}, p90 ${ms(connect.p90)}, p99 ${ms(connect.p99)}; request p50 ${ms(total.p50)}, p99 ${ms(total.p99)} over ${curl.answered}/${curl.requests} answered requests${failed}`,
    ),
    measured,
  );
}

/** The latency measurement of a pair (ping or the curl series). */
export function latencyMeasurement(def: PerfDefinition, s: PerfSettings): CheckDefinition {
  if (def.latency === "tcp-connect") {
    return {
      name: `${def.name}-latency`,
      proves: `curl measured the TCP connect and request times of ${def.name} over ${s.pingSamples} requests.`,
      steps: (ctx) => curlSteps(def, s, ctx),
      judge: (ctx, results) => judgeCurl(def, s, ctx, results),
    };
  }
  return {
    name: `${def.name}-latency`,
    proves: `ping measured the round-trip times of ${def.name} over ${s.pingSamples} echo requests ${PING_INTERVAL_SECONDS} s apart.`,
    steps: (ctx) => pingSteps(def, s, ctx),
    judge: (ctx, results) => judgePing(def, s, ctx, results),
  };
}

/**
 * The measurements of a pair in the order they run, one after another: throughput first (when the
 * pair has it), then latency, so the ping never shares the path with a saturating TCP run.
 */
export function measurementsOf(def: PerfDefinition, s: PerfSettings): CheckDefinition[] {
  return [...(def.throughput ? [throughputMeasurement(def, s)] : []), latencyMeasurement(def, s)];
}
