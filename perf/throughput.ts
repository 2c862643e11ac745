/**
 * The throughput measurement of a pair: a transient `iperf3 -s -1` in the destination pod (delay 0)
 * and the client `iperf3 -c ... -O W -t D [-A C,S] -J` in the source pod, started `serverStartDelayMs`
 * later, in one step set, the way a capture runs beside its traffic.
 *
 * iperf3 facts this relies on (esnet/iperf at c9b74229, also in tag 3.12):
 * - `-O n` runs n seconds first and leaves them out of the figures ("to skip past the TCP slow-start
 *   period", src/iperf3.1 line 481; parsed in src/iperf_api.c line 1574, at most MAX_OMIT_TIME 600 s).
 * - `-A n,m` on the client pins the client to CPU n and the server to CPU m for that one test
 *   (src/iperf3.1 line 138; src/iperf_api.c lines 1654-1668).
 * - `-J` reports `end.cpu_utilization_percent` with `host_total` (this side) and `remote_total` (the
 *   server) (src/iperf_api.c line 4719).
 */
import { STEP_MARGIN_SECONDS, podTarget } from "../checks/defs/common";
import { parseIperf3 } from "../checks/parse/iperf3";
import { scriptLine, shCommand, withTimeout } from "../checks/probes";
import type { CheckDefinition, ExecResult, Judgement, LabContext, ProbeStep } from "../checks/types";
import { excerpt, inconclusive, pass, usableStep } from "../checks/verdict";
import { missingOf, planOf, withFigures, type ThroughputFigures } from "./plan";
import type { PerfDefinition, PerfSettings } from "./types";

/** Attempts of the iperf3 client when the server is not listening yet (connection refused). */
export const IPERF3_CONNECT_ATTEMPTS = 5;
/** The CPUs of a pinned run (`-A client,server`): perf/cpus.ts chooses them, single-stream runs only. */
export interface Pin {
  readonly client: number;
  readonly server: number;
}

/** Seconds the iperf3 client may take: warm-up, the run, connection set-up and the final exchange. */
function clientSeconds(s: PerfSettings): number {
  return s.omitSeconds + s.durationSeconds + 15;
}

/** Seconds the one-off server lives: long enough for the client's delay, retries and run. */
export function serverSeconds(s: PerfSettings): number {
  return Math.ceil(s.serverStartDelayMs / 1000) + IPERF3_CONNECT_ATTEMPTS + clientSeconds(s) + 10;
}

/** `timeout N iperf3 -s -1 -p PORT`: a one-off server that serves one test and exits. */
export function iperf3ServerCommand(s: PerfSettings): string[] {
  return withTimeout(serverSeconds(s), ["iperf3", "-s", "-1", "-p", String(s.port)]);
}

/**
 * `iperf3 -c ADDRESS -p PORT -O W -t D -P S [-A C,S] -i 0 -J`: one JSON document, no per-second
 * intervals; pinned when `pin` is given (client on CPU C, server on CPU S).
 */
export function iperf3ClientArgv(address: string, s: PerfSettings, pin?: Pin): string[] {
  return [
    "iperf3",
    "-c",
    address,
    "-p",
    String(s.port),
    "-O",
    String(s.omitSeconds),
    "-t",
    String(s.durationSeconds),
    "-P",
    String(s.streams),
    ...(pin !== undefined ? ["-A", `${pin.client},${pin.server}`] : []),
    "-i",
    "0",
    "-J",
  ];
}

/**
 * The client as a script: retries while the server is not listening yet (a refused connection),
 * then prints the last attempt's JSON on stdout. Notes about retries go to stderr.
 */
export function iperf3ClientScript(address: string, s: PerfSettings, pin?: Pin): string {
  const client = scriptLine(withTimeout(clientSeconds(s), iperf3ClientArgv(address, s, pin)));
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

function throughputSteps(def: PerfDefinition, s: PerfSettings, ctx: LabContext, pin?: Pin): ProbeStep[] {
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
      argv: shCommand(iperf3ClientScript(plan.address, s, pin)),
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

/** `9615.7 Mbit/s` (one decimal). */
export function formatMbps(mbps: number): string {
  return `${mbps.toFixed(1)} Mbit/s`;
}

function judgeThroughput(
  def: PerfDefinition,
  s: PerfSettings,
  ctx: LabContext,
  results: ReadonlyMap<string, ExecResult>,
  pin: Pin | undefined,
): Judgement {
  const plan = planOf(def, ctx);
  const client = throughputSteps(def, s, ctx, pin).find((st) => st.id === "client");
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
    senderCpuPercent: r.senderCpuPercent,
    receiverCpuPercent: r.receiverCpuPercent,
  };
  const retrans =
    r.retransmits === undefined ? "" : `, ${r.retransmits} retransmit${r.retransmits === 1 ? "" : "s"}`;
  const cpu =
    r.senderCpuPercent === undefined
      ? ""
      : `, CPU sender ${r.senderCpuPercent.toFixed(0)}% receiver ${r.receiverCpuPercent?.toFixed(0) ?? "?"}%`;
  const secs = r.seconds === undefined ? "" : ` over ${r.seconds.toFixed(1)} s`;
  return withFigures(pass(`${formatMbps(r.receivedMbps)} received${secs}${retrans}${cpu}`), measured);
}

/** The throughput measurement of a pair; `pin` adds `-A client,server`. */
export function throughputMeasurement(def: PerfDefinition, s: PerfSettings, pin?: Pin): CheckDefinition {
  return {
    name: `${def.name}-throughput`,
    proves: `iperf3 measured the TCP throughput of ${def.name} (${s.omitSeconds} s omitted, ${s.durationSeconds} s, ${s.streams} stream${s.streams === 1 ? "" : "s"}).`,
    restsOn: [],
    steps: (ctx) => throughputSteps(def, s, ctx, pin),
    judge: (ctx, results) => judgeThroughput(def, s, ctx, results, pin),
  };
}
