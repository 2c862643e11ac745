/**
 * Latency samples: per-packet round-trip times from `ping` output and per-request timings from the
 * curl write-out of the NodePort probe, and the percentiles of a sample set.
 *
 * Pure functions; like the parsers in checks/parse they keep `raw`, never throw, never invent a
 * number (undefined, not -1 or NaN) and list what a complete output would show in `issues`.
 */
import { parsePing } from "../checks/parse";
import { asText, isBlank, splitLines } from "../checks/parse/text";

/**
 * The nearest-rank percentile: the smallest sample such that at least p% of the samples are less
 * than or equal to it (`sorted[ceil(p/100 * n) - 1]`). Always one of the samples, never an
 * interpolation; undefined for an empty set or a p outside (0, 100].
 */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0 || !(p > 0 && p <= 100)) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** p50/p90/p99 (nearest rank), min and max of a sample set, in the samples' unit. */
export interface Percentiles {
  readonly count: number;
  readonly p50: number | undefined;
  readonly p90: number | undefined;
  readonly p99: number | undefined;
  readonly min: number | undefined;
  readonly max: number | undefined;
}

export function percentiles(values: readonly number[]): Percentiles {
  return {
    count: values.length,
    p50: percentile(values, 50),
    p90: percentile(values, 90),
    p99: percentile(values, 99),
    min: values.length === 0 ? undefined : Math.min(...values),
    max: values.length === 0 ? undefined : Math.max(...values),
  };
}

/** The per-packet round-trip times of a ping run, with its statistics line. */
export interface PingSamples {
  readonly raw: string;
  /** One RTT per echo reply in milliseconds, in arrival order; duplicates (DUP!) left out. */
  readonly rttsMs: readonly number[];
  /** Replies marked `(DUP!)`, not counted as samples. */
  readonly duplicates: number;
  readonly transmitted: number | undefined;
  readonly received: number | undefined;
  readonly lossPercent: number | undefined;
  readonly issues: readonly string[];
}

/**
 * iputils `64 bytes from 10.0.0.72: icmp_seq=1 ttl=62 time=0.045 ms` and busybox
 * `64 bytes from 10.0.2.202: seq=0 ttl=63 time=0.707 ms`.
 */
const REPLY_TIME = /^\d+ bytes from \S+ .*?\btime[=<](?<ms>\d+(?:\.\d+)?) ?ms(?<dup>.*\(DUP!\))?/;

/** Reads every reply's RTT from iputils or busybox ping output. Never throws. */
export function parsePingSamples(raw: string): PingSamples {
  const text = asText(raw);
  const stats = parsePing(text);
  const rtts: number[] = [];
  let duplicates = 0;
  for (const line of splitLines(text)) {
    const m = REPLY_TIME.exec(line.trim());
    if (m?.groups === undefined) continue;
    if (m.groups.dup !== undefined) {
      duplicates += 1;
      continue;
    }
    const ms = Number(m.groups.ms);
    if (Number.isFinite(ms)) rtts.push(ms);
  }
  const issues: string[] = [];
  if (isBlank(text)) issues.push("empty output");
  else {
    if (stats.transmitted === undefined) issues.push("no statistics line");
    if (stats.received !== undefined && stats.received > 0 && rtts.length === 0) {
      issues.push("replies were counted but no reply line with a time= was found");
    } else if (stats.received !== undefined && rtts.length !== stats.received) {
      issues.push(`${rtts.length} reply lines for ${stats.received} replies counted`);
    }
  }
  return {
    raw: text,
    rttsMs: rtts,
    duplicates,
    transmitted: stats.transmitted,
    received: stats.received,
    lossPercent: stats.lossPercent,
    issues,
  };
}

/**
 * curl's write-out of one request of the NodePort latency probe, after the body (which the test pods
 * fill with `PodName: <pod> | PodIP: ...`, as in the seed); the leading newline ends a body that has none.
 */
export const CURL_SAMPLE_FORMAT = "\\nsample %{http_code} %{time_connect} %{time_total}\\n";

/** The test pods' answer, as the seed shows it: `PodName: evescn-jzms5 | PodIP: eth0 10.0.2.202/32`. */
const BACKEND_LINE = /^PodName: (?<name>\S+) \| PodIP: (?:\S+ )?(?<ip>\d+\.\d+\.\d+\.\d+)/;

/** `sample 200 0.000225 0.004252`: HTTP code, seconds to the TCP connect, seconds in total. */
const SAMPLE_LINE = /^sample (?<code>\d{3}) (?<connect>\d+(?:\.\d+)?) (?<total>\d+(?:\.\d+)?)$/;

/** The timings of a series of curl requests (`CURL_SAMPLE_FORMAT` lines). */
export interface CurlSamples {
  readonly raw: string;
  /** Requests that printed a sample line. */
  readonly requests: number;
  /** Requests answered with a 2xx/3xx status: only those give samples. */
  readonly answered: number;
  /** TCP connect time (one SYN / SYN-ACK round trip) per answered request, milliseconds. */
  readonly connectMs: readonly number[];
  /** Whole-request time (connect, request, response) per answered request, milliseconds. */
  readonly totalMs: readonly number[];
  /** Requests per HTTP code as printed (`000` when no response came back). */
  readonly codes: Readonly<Record<string, number>>;
  /** The backend pod that answered each answered request (`PodName:` in its body), in sample order. */
  readonly backends: readonly ({ readonly name: string; readonly ip: string } | undefined)[];
  /** curl's own error lines (`curl: (7) Failed to connect ...`), first five. */
  readonly errors: readonly string[];
  readonly issues: readonly string[];
}

function ms(seconds: string): number {
  return Math.round(Number(seconds) * 1e6) / 1e3;
}

/** Reads the sample lines of the NodePort latency probe. Never throws. */
export function parseCurlSamples(raw: string): CurlSamples {
  const text = asText(raw);
  const connect: number[] = [];
  const total: number[] = [];
  const codes: Record<string, number> = {};
  const errors: string[] = [];
  const backends: ({ name: string; ip: string } | undefined)[] = [];
  let backend: { name: string; ip: string } | undefined;
  let requests = 0;
  for (const line of splitLines(text).map((l) => l.trim())) {
    const b = BACKEND_LINE.exec(line);
    if (b?.groups !== undefined) {
      backend = { name: b.groups.name, ip: b.groups.ip };
      continue;
    }
    if (/^curl: \(\d+\)/.test(line)) {
      if (errors.length < 5) errors.push(line);
      continue;
    }
    const m = SAMPLE_LINE.exec(line);
    if (m?.groups === undefined) continue;
    requests += 1;
    const code = m.groups.code;
    codes[code] = (codes[code] ?? 0) + 1;
    if (/^[23]\d\d$/.test(code)) {
      connect.push(ms(m.groups.connect));
      total.push(ms(m.groups.total));
      backends.push(backend);
    }
    backend = undefined;
  }
  const issues: string[] = [];
  if (isBlank(text)) issues.push("empty output");
  else if (requests === 0) issues.push('no sample line ("sample <code> <connect> <total>")');
  return {
    raw: text,
    requests,
    answered: connect.length,
    connectMs: connect,
    totalMs: total,
    backends,
    codes,
    errors,
    issues,
  };
}
