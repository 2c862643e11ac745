/**
 * The latency measurements of a pair, one series per round:
 * - busy request/response (`rr`): `ping -n -i 0 -c N`. As root, iputils ping with interval 0 keeps one
 *   request in flight and sends the next as soon as the reply arrives (10 ms later if none comes):
 *   iputils/iputils ping/ping_common.c lines 335-339 ("Case of unlimited flood is special"); an
 *   interval under 2 ms needs root (lines 510-512). netshoot v0.13 runs as root (Dockerfile line 91).
 *   The CPUs stay busy, as in netperf TCP_RR, instead of waking from idle for every sample.
 * - idle (`ping`): `ping -n -c N -i 0.2`, the secondary figure: mostly CPU wake-up latency.
 * - NodePort: N curl requests one after another; connect time, whole request, and the backend pod that
 *   answered (its body names it).
 */
import { STEP_MARGIN_SECONDS, podTarget } from "../checks/defs/common";
import { PING_OK_EXIT_CODES, scriptLine, shCommand, withTimeout } from "../checks/probes";
import type { CheckDefinition, ExecResult, Judgement, LabContext, ProbeStep } from "../checks/types";
import { excerpt, fail, inconclusive, pass, usableStep } from "../checks/verdict";
import { missingOf, ms, planOf, withFigures, type BackendLocality, type LatencyFigures } from "./plan";
import { CURL_SAMPLE_FORMAT, parseCurlSamples, parsePingSamples, percentiles } from "./samples";
import type { PerfDefinition, PerfSettings } from "./types";

/** Seconds between idle echo requests (iputils allows 0.2 s without root). */
export const PING_INTERVAL_SECONDS = 0.2;
/** Seconds one curl request may take. */
export const CURL_MAX_TIME_SECONDS = 2;
/** The curl series stops after this many failed requests in a row (a NodePort that does not answer). */
export const CURL_MAX_FAILURES_IN_A_ROW = 5;
/**
 * Exit codes of a series cut by `timeout` whose printed samples still count: 124 from coreutils
 * `timeout`; 143 (128 + SIGTERM) from busybox `timeout` (netshoot's), which execs the command and has
 * a forked watcher kill it with SIGTERM, so there is no `timeout` process left to exit 124
 * (mirror/busybox coreutils/timeout.c lines 121-158 at 371fe9f7).
 */
export const TIMEOUT_EXIT_CODES: readonly number[] = [124, 143];

/** `ping -w` of the idle series: the samples at 0.2 s plus 5 s of slack. */
export function pingDeadlineSeconds(s: PerfSettings): number {
  return Math.ceil(s.pingSamples * PING_INTERVAL_SECONDS) + 5;
}

/** `ping -w` of the busy series: every request at iputils' 10 ms floor (all lost) plus 5 s. */
export function rrDeadlineSeconds(s: PerfSettings): number {
  return Math.ceil(s.rrSamples * 0.01) + 5;
}

/** `ping -n -c N -i 0.2 -w DEADLINE ADDRESS`: one reply line (with its time=) per sample. */
export function pingSamplesCommand(address: string, s: PerfSettings): string[] {
  const w = String(pingDeadlineSeconds(s));
  return ["ping", "-n", "-c", String(s.pingSamples), "-i", String(PING_INTERVAL_SECONDS), "-w", w, address];
}

/** `ping -n -c N -i 0 -w DEADLINE ADDRESS`: back-to-back requests, one in flight. */
export function rrSamplesCommand(address: string, s: PerfSettings): string[] {
  return ["ping", "-n", "-c", String(s.rrSamples), "-i", "0", "-w", String(rrDeadlineSeconds(s)), address];
}

function pingSteps(def: PerfDefinition, s: PerfSettings, ctx: LabContext, busy: boolean): ProbeStep[] {
  const plan = planOf(def, ctx);
  if (plan === undefined) return [];
  const argv = busy ? rrSamplesCommand(plan.address, s) : pingSamplesCommand(plan.address, s);
  const deadline = busy ? rrDeadlineSeconds(s) : pingDeadlineSeconds(s);
  return [{ id: "ping", target: podTarget(plan.from), argv, timeoutSeconds: deadline + STEP_MARGIN_SECONDS }];
}

function judgePing(
  def: PerfDefinition,
  s: PerfSettings,
  ctx: LabContext,
  results: ReadonlyMap<string, ExecResult>,
  busy: boolean,
): Judgement {
  const plan = planOf(def, ctx);
  const step = pingSteps(def, s, ctx, busy)[0];
  if (plan === undefined || step === undefined) return inconclusive(missingOf(def, ctx));
  const out = usableStep(step, results, { okExitCodes: PING_OK_EXIT_CODES });
  if (!out.ok) return out.judgement;
  const ping = parsePingSamples(out.output);
  if (ping.transmitted === undefined) {
    return inconclusive(`no ping statistics in the output: ${excerpt(out.output)}`);
  }
  if (busy && ping.rttsMs.length > 0 && !/\bicmp_seq=/.test(out.output)) {
    return inconclusive(
      "a ping other than iputils answered (no icmp_seq= in its replies): the busy request/response test relies on iputils' -i 0 pacing; use an image whose ping is iputils",
    );
  }
  const measured: LatencyFigures = {
    kind: "latency",
    method: busy ? "rr" : "ping",
    sent: ping.transmitted,
    rttsMs: ping.rttsMs,
  };
  if (ping.rttsMs.length === 0) {
    return withFigures(fail(`no echo reply from ${plan.address} (${ping.transmitted} sent)`), measured);
  }
  const p = percentiles(ping.rttsMs);
  const loss = (ping.lossPercent ?? 0) > 0 ? `, ${ping.lossPercent}% loss` : "";
  return withFigures(
    pass(`rtt p50 ${ms(p.p50)}, max ${ms(p.max)} over ${p.count} echo replies${loss}`),
    measured,
  );
}

/** Seconds the whole curl series may take. */
export function curlSeriesSeconds(s: PerfSettings): number {
  return 10 + s.pingSamples * CURL_MAX_TIME_SECONDS;
}

/**
 * N curl requests one after another, each printing the body (which names the backend pod) and then
 * {@link CURL_SAMPLE_FORMAT}; the series stops after {@link CURL_MAX_FAILURES_IN_A_ROW} failures in a row.
 */
export function curlSeriesScript(url: string, s: PerfSettings): string {
  const curl = scriptLine([
    "curl",
    "-sS",
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

/** Where the named backend runs relative to the client: its node, another node, or not known. */
export function localityOf(
  ctx: LabContext,
  backend: { readonly name: string; readonly ip: string } | undefined,
): BackendLocality {
  if (backend === undefined) return "unknown";
  const pod =
    ctx.testPods.find((p) => p.name === backend.name) ?? ctx.testPods.find((p) => p.ip === backend.ip);
  if (pod === undefined) return "unknown";
  return pod.node === ctx.client.node ? "local" : "remote";
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
  const out = usableStep(step, results, { okExitCodes: [0, ...TIMEOUT_EXIT_CODES], allowEmpty: true });
  if (!out.ok) return out.judgement;
  const curl = parseCurlSamples(`${out.output}\n${results.get(step.id)?.stderr ?? ""}`);
  if (curl.requests === 0) {
    return inconclusive(`no curl sample line in the output: ${excerpt(out.output) || "empty"}`);
  }
  const backends = curl.backends.map((b) => localityOf(ctx, b));
  const measured: LatencyFigures = {
    kind: "latency",
    method: "nodeport",
    sent: curl.requests,
    rttsMs: curl.connectMs,
    requestsMs: curl.totalMs,
    backends,
  };
  const codes = Object.entries(curl.codes)
    .map(([code, n]) => `${n}× ${code}`)
    .join(", ");
  if (curl.answered === 0) {
    const why = curl.errors[0] === undefined ? "" : `: ${curl.errors[0]}`;
    return withFigures(
      fail(`no request to ${plan.address}:${plan.port} was answered (${codes})${why}`),
      measured,
    );
  }
  const count = (l: BackendLocality): number => backends.filter((b) => b === l).length;
  const failed = curl.answered < curl.requests ? ` (${codes})` : "";
  return withFigures(
    pass(
      `${curl.answered}/${curl.requests} answered${failed}: ${count("local")} by a backend on the client's node, ${count("remote")} on another, ${count("unknown")} unnamed`,
    ),
    measured,
  );
}

/** The latency measurements of a pair: busy and idle ping, or the NodePort curl series. */
export function latencyMeasurements(def: PerfDefinition, s: PerfSettings): CheckDefinition[] {
  if (def.latency === "tcp-connect") {
    return [
      {
        name: `${def.name}-latency`,
        proves: `curl measured the TCP connect and request times of ${def.name} over ${s.pingSamples} requests, by backend.`,
        restsOn: [],
        steps: (ctx) => curlSteps(def, s, ctx),
        judge: (ctx, results) => judgeCurl(def, s, ctx, results),
      },
    ];
  }
  return [
    {
      name: `${def.name}-rr`,
      proves: `ping -i 0 measured ${s.rrSamples} back-to-back request/response round trips of ${def.name}.`,
      restsOn: [],
      steps: (ctx) => pingSteps(def, s, ctx, true),
      judge: (ctx, results) => judgePing(def, s, ctx, results, true),
    },
    {
      name: `${def.name}-ping`,
      proves: `ping measured the idle round-trip times of ${def.name} over ${s.pingSamples} echo requests ${PING_INTERVAL_SECONDS} s apart.`,
      restsOn: [],
      steps: (ctx) => pingSteps(def, s, ctx, false),
      judge: (ctx, results) => judgePing(def, s, ctx, results, false),
    },
  ];
}
