/**
 * TCP request/response latency and connection rate with fortio (the netperf TCP_RR / TCP_CRR shapes
 * that Cilium's own benchmark runs), from tools the test image has: netshoot ships fortio since v0.11
 * (nicolaka/netshoot at tag v0.13, `Dockerfile` line 88 copies it from the fetcher stage;
 * `build/fetch_binaries.sh` lines 66-78 take fortio's latest release when the image is built: for
 * v0.13, tagged 2024-05-15, that was most likely fortio 1.63.7, the version the fixtures were captured
 * with here; unverified in the image itself).
 *
 * One fortio server in the destination (`fortio server`: a TCP echo server on `tcp-port` and an HTTP
 * echo server on `http-port`, the UDP, gRPC and redirect servers disabled), bounded by `timeout`, then
 * from the source:
 * - TCP_RR: `fortio load -qps 0 -c 1 -t Ns -r 0.000001 -p 50,90,99 -json - tcp://IP:PORT`: one
 *   connection kept open, each request the 24-byte payload written and its echo read back before the
 *   next (fortio.org/fortio v1.63.7 `tcprunner/tcprunner.go` Fetch, lines 151-221: the socket is
 *   reused on success, line 219). `-qps 0` is no pacing, `-c 1` one request in flight; `-r 0.000001`
 *   makes the histogram's lowest buckets 1 µs wide (the default, 1 ms, interpolates every sub-ms
 *   latency inside one bucket: on loopback it printed a p50 of 0.509 ms for a 35 µs average).
 * - TCP_CRR: the same against the HTTP echo server with `-connection-reuse 1:1`: every request on a
 *   new connection (captured here: 12516 sockets for 12515 requests), so requests per second is the
 *   rate of connect + request + response + close, one at a time.
 *
 * fortio exits 0 even when every request failed (a refused connection is counted per "request", the
 * reason as a RetCodes key: captured `tcp-rr-refused.json`): only `OK` (tcp) and `200` (http) count,
 * and a run with any other code is inconclusive, naming it. Percentiles are fortio's, interpolated
 * within its histogram buckets (1 µs wide at the low end with `-r 0.000001`, wider above).
 */
import { STEP_MARGIN_SECONDS, podTarget } from "../checks/defs/common";
import { withTimeout } from "../checks/probes";
import type { CheckDefinition, ExecResult, Judgement, LabContext, ProbeStep } from "../checks/types";
import { excerpt, inconclusive, pass, usableStep } from "../checks/verdict";
import { missingOf, planOf, withFigures, type FortioRun } from "./plan";
import type { PerfDefinition, PerfSettings } from "./types";

/** Most seconds of each fortio client run (TCP_RR, then TCP_CRR). */
export const TCP_RR_SECONDS = 5;

/** Seconds of each fortio client run: {@link TCP_RR_SECONDS}, or the iperf3 run length when shorter. */
export function tcpRrSeconds(s: PerfSettings): number {
  return Math.min(TCP_RR_SECONDS, s.durationSeconds);
}

/**
 * Seconds the fortio server lives. Unlike `iperf3 -s -1` it does not exit after its clients, and the
 * measurement ends when its last step does: so its `timeout` is the clients' time (the client's delay,
 * both runs) plus 4 s for kubectl to start each client, and it is cut there (exit 124, or 143 with
 * busybox's timeout), which the judge does not read. A client that starts later than that finds no
 * server: inconclusive, fortio's refused connections named.
 */
export function fortioServerSeconds(s: PerfSettings): number {
  return Math.ceil(s.serverStartDelayMs / 1000) + 2 * tcpRrSeconds(s) + 4;
}

/** Ports of the fortio server: iperf3's port + 1 (TCP echo) and + 2 (HTTP echo). */
export function fortioPorts(s: PerfSettings): { tcp: number; http: number } {
  return { tcp: s.port + 1, http: s.port + 2 };
}

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/** Reads `fortio load -json -` output (the JSON document on stdout). */
export function parseFortioJson(raw: string): FortioRun {
  let doc: Record<string, unknown>;
  try {
    const v: unknown = JSON.parse(raw);
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("not an object");
    doc = v as Record<string, unknown>;
  } catch (err) {
    return {
      ok: 0,
      errors: {},
      issue: `not fortio's JSON (${err instanceof Error ? err.message : String(err)})`,
    };
  }
  const codes = (doc.RetCodes ?? {}) as Record<string, unknown>;
  let ok = 0;
  const errors: Record<string, number> = {};
  for (const [k, v] of Object.entries(codes)) {
    const n = num(v) ?? 0;
    if (k === "OK" || k === "200") ok += n;
    else errors[k] = n;
  }
  const h = (doc.DurationHistogram ?? {}) as Record<string, unknown>;
  const pct = (p: number): number | undefined => {
    const list = Array.isArray(h.Percentiles) ? (h.Percentiles as Record<string, unknown>[]) : [];
    const v = num(list.find((x) => x.Percentile === p)?.Value);
    return v === undefined ? undefined : v * 1000;
  };
  const avg = num(h.Avg);
  return {
    ...(typeof doc.RunType === "string" ? { runType: doc.RunType } : {}),
    ok,
    errors,
    ...(num(h.Count) !== undefined ? { count: num(h.Count) } : {}),
    ...(num(doc.ActualQPS) !== undefined ? { qps: num(doc.ActualQPS) } : {}),
    ...(avg !== undefined ? { avgMs: avg * 1000 } : {}),
    ...(pct(50) !== undefined ? { p50Ms: pct(50) } : {}),
    ...(pct(90) !== undefined ? { p90Ms: pct(90) } : {}),
    ...(pct(99) !== undefined ? { p99Ms: pct(99) } : {}),
    ...(num(doc.SocketCount) !== undefined ? { sockets: num(doc.SocketCount) } : {}),
  };
}

/** `fortio load ... -json - URL`: one connection, no pacing, 1 µs histogram buckets. */
export function fortioLoadArgv(url: string, crr: boolean, seconds: number = TCP_RR_SECONDS): string[] {
  return [
    "fortio",
    "load",
    "-qps",
    "0",
    "-c",
    "1",
    "-t",
    `${seconds}s`,
    "-r",
    "0.000001",
    "-p",
    "50,90,99",
    ...(crr ? ["-connection-reuse", "1:1"] : []),
    "-json",
    "-",
    url,
  ];
}

function tcpRrSteps(def: PerfDefinition, s: PerfSettings, ctx: LabContext): ProbeStep[] {
  const plan = planOf(def, ctx);
  if (plan?.server === undefined) return [];
  const ports = fortioPorts(s);
  const client = (id: string, crr: boolean): ProbeStep => ({
    id,
    target: podTarget(plan.from),
    argv: withTimeout(
      tcpRrSeconds(s) + 10,
      fortioLoadArgv(
        crr ? `http://${plan.address}:${ports.http}/` : `tcp://${plan.address}:${ports.tcp}`,
        crr,
        tcpRrSeconds(s),
      ),
    ),
    timeoutSeconds: tcpRrSeconds(s) + 10 + STEP_MARGIN_SECONDS,
    ...(crr ? { startAfter: [{ step: "rr", when: "done" as const }] } : { delayMs: s.serverStartDelayMs }),
  });
  return [
    {
      id: "server",
      target: podTarget(plan.server),
      argv: withTimeout(fortioServerSeconds(s), [
        "fortio",
        "server",
        "-http-port",
        String(ports.http),
        "-tcp-port",
        String(ports.tcp),
        "-udp-port",
        "disabled",
        "-grpc-port",
        "disabled",
        "-redirect-port",
        "disabled",
      ]),
      timeoutSeconds: fortioServerSeconds(s) + STEP_MARGIN_SECONDS,
    },
    client("rr", false),
    client("crr", true),
  ];
}

/** One client's run read, or why it cannot be used. */
function readRun(step: ProbeStep, results: ReadonlyMap<string, ExecResult>): FortioRun | Judgement {
  const out = usableStep(step, results);
  if (!out.ok) return out.judgement;
  const run = parseFortioJson(out.output);
  if (run.issue !== undefined) return inconclusive(`${step.id}: ${run.issue}: ${excerpt(out.output)}`);
  const bad = Object.entries(run.errors);
  if (bad.length > 0) {
    return inconclusive(
      `${step.id}: fortio counted ${bad.map(([k, n]) => `${n} × ${k}`).join(", ")} beside ${run.ok} answered`,
    );
  }
  if (run.ok === 0 || run.p50Ms === undefined || run.qps === undefined) {
    return inconclusive(`${step.id}: no answered request in fortio's output`);
  }
  return run;
}

function judgeTcpRr(
  def: PerfDefinition,
  s: PerfSettings,
  ctx: LabContext,
  results: ReadonlyMap<string, ExecResult>,
): Judgement {
  const steps = tcpRrSteps(def, s, ctx);
  if (steps.length === 0) return inconclusive(missingOf(def, ctx));
  const rr = readRun(steps[1], results);
  if (!("ok" in rr)) return rr;
  const crr = readRun(steps[2], results);
  const f = (v: number | undefined): string => (v === undefined ? "?" : v.toFixed(3));
  const rate =
    "ok" in crr ? `; TCP_CRR ${Math.round(crr.qps ?? 0)} connections/s` : `; TCP_CRR: ${crr.reason}`;
  return withFigures(
    pass(`TCP_RR p50 ${f(rr.p50Ms)} ms, p99 ${f(rr.p99Ms)} ms, ${Math.round(rr.qps!)} transactions/s${rate}`),
    { kind: "tcp-rr", rr, ...("ok" in crr ? { crr } : {}) },
  );
}

/** The TCP request/response measurement of a pair with a server (pod pairs, node-to-node). */
export function tcpRrMeasurement(def: PerfDefinition, s: PerfSettings): CheckDefinition {
  return {
    name: `${def.name}-tcp-rr`,
    proves: `fortio measured TCP request/response latency and the connection rate of ${def.name} (${tcpRrSeconds(s)} s each, one request in flight).`,
    restsOn: [],
    steps: (ctx) => tcpRrSteps(def, s, ctx),
    judge: (ctx, results) => judgeTcpRr(def, s, ctx, results),
  };
}
