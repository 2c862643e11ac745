import { asNonEmptyString, asRecord, asText, isBlank, tryParseJson } from "./text";

/**
 * What `iperf3 -c HOST -J` printed (TCP). iperf3's JSON is its structured source: throughput comes
 * from `end.sum_sent` / `end.sum_received`, retransmits from `end.sum_sent.retransmits` (Linux only),
 * the connections from `start.connected`, and a failure from the top-level `error` field, which
 * iperf3 prints instead of (or beside) results, e.g. `{"error": "unable to connect to server:
 * Connection refused"}`. iperf3 3.12 exits 0 in that case, so the field, not the exit code, tells.
 *
 * A value the output does not show is `undefined`, never a sentinel.
 */
export interface Iperf3Result {
  /** The output exactly as given to the parser. */
  readonly raw: string;
  /** `start.version`, e.g. "iperf 3.12". */
  readonly version: string | undefined;
  /**
   * iperf3's own error message: the JSON `error` field, or the text of an `iperf3: error - ...`
   * line when the output is not JSON (a run without -J).
   */
  readonly error: string | undefined;
  /** `start.connected`: one entry per stream; empty when iperf3 never connected. */
  readonly connected: readonly Iperf3Connection[] | undefined;
  /** `start.test_start.protocol`, "TCP" for the lab's runs. */
  readonly protocol: string | undefined;
  /** `start.test_start.num_streams` (iperf3 -P). */
  readonly streams: number | undefined;
  /** `start.test_start.duration` in seconds (iperf3 -t). */
  readonly durationSeconds: number | undefined;
  /** `start.test_start.reverse` (iperf3 -R: the server sends). */
  readonly reverse: boolean | undefined;
  /** Sender-side throughput, `end.sum_sent.bits_per_second` / 1e6 (3 decimals). */
  readonly sentMbps: number | undefined;
  /** Receiver-side throughput, `end.sum_received.bits_per_second` / 1e6: what actually arrived. */
  readonly receivedMbps: number | undefined;
  readonly sentBytes: number | undefined;
  readonly receivedBytes: number | undefined;
  /** `end.sum_received.seconds`: the measured time. */
  readonly seconds: number | undefined;
  /** `end.sum_sent.retransmits` (TCP, Linux senders only). */
  readonly retransmits: number | undefined;
  /** `end.cpu_utilization_percent.host_total` (the client's CPU). */
  readonly senderCpuPercent: number | undefined;
  /** `end.cpu_utilization_percent.remote_total` (the server's CPU). */
  readonly receiverCpuPercent: number | undefined;
  /** `end.streams[]`, one per stream, in order. */
  readonly perStream: readonly Iperf3Stream[];
  /**
   * What a complete result would show but this one does not (a JSON document, the sums, a
   * connection). Empty when nothing is missing. An error is reported in `error`, and what it leaves
   * missing is listed here too.
   */
  readonly issues: readonly string[];
}

/** One `start.connected` entry. */
export interface Iperf3Connection {
  readonly localHost: string | undefined;
  readonly localPort: number | undefined;
  readonly remoteHost: string | undefined;
  readonly remotePort: number | undefined;
}

/** One `end.streams[]` entry: the sender's and receiver's view of one TCP stream. */
export interface Iperf3Stream {
  readonly senderMbps: number | undefined;
  readonly receiverMbps: number | undefined;
  readonly retransmits: number | undefined;
  /** The sender's smoothed TCP RTT over the run (`sender.mean_rtt`, microseconds → ms). */
  readonly meanRttMs: number | undefined;
  readonly minRttMs: number | undefined;
  readonly maxRttMs: number | undefined;
}

/** `iperf3: error - unable to connect to server: Connection refused` (text mode). */
const TEXT_ERROR = /^iperf3: error - (?<message>.+)$/m;

function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function count(value: unknown): number | undefined {
  const n = num(value);
  return n !== undefined && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** bits per second → megabits per second (10^6, as iperf3's own "Mbits/sec"). */
function mbps(value: unknown): number | undefined {
  const bps = num(value);
  return bps === undefined || bps < 0 ? undefined : round3(bps / 1e6);
}

function percent(value: unknown): number | undefined {
  const n = num(value);
  return n === undefined ? undefined : round3(n);
}

/** microseconds → milliseconds. */
function usToMs(value: unknown): number | undefined {
  const us = num(value);
  return us === undefined || us < 0 ? undefined : round3(us / 1000);
}

/**
 * The JSON document in the output: the whole text, or (when something was printed around it) the
 * span from the first `{` to the last `}`.
 */
function readDocument(text: string): { doc?: Record<string, unknown>; trimmed: boolean } {
  const whole = asRecord(tryParseJson(text));
  if (whole !== undefined) return { doc: whole, trimmed: false };
  const first = text.indexOf("{");
  const last = text.lastIndexOf("}");
  if (first < 0 || last <= first) return { trimmed: false };
  const inner = asRecord(tryParseJson(text.slice(first, last + 1)));
  return inner === undefined ? { trimmed: false } : { doc: inner, trimmed: true };
}

function readConnected(start: Record<string, unknown> | undefined): Iperf3Connection[] | undefined {
  const list = start?.connected;
  if (!Array.isArray(list)) return undefined;
  return list.map((entry) => {
    const c = asRecord(entry) ?? {};
    return {
      localHost: asNonEmptyString(c.local_host),
      localPort: count(c.local_port),
      remoteHost: asNonEmptyString(c.remote_host),
      remotePort: count(c.remote_port),
    };
  });
}

function readStreams(end: Record<string, unknown> | undefined): Iperf3Stream[] {
  const list = end?.streams;
  if (!Array.isArray(list)) return [];
  return list.map((entry) => {
    const s = asRecord(entry) ?? {};
    const sender = asRecord(s.sender);
    const receiver = asRecord(s.receiver);
    return {
      senderMbps: mbps(sender?.bits_per_second),
      receiverMbps: mbps(receiver?.bits_per_second),
      retransmits: count(sender?.retransmits),
      meanRttMs: usToMs(sender?.mean_rtt),
      minRttMs: usToMs(sender?.min_rtt),
      maxRttMs: usToMs(sender?.max_rtt),
    };
  });
}

function emptyResult(raw: string, error: string | undefined, issues: string[]): Iperf3Result {
  return {
    raw,
    version: undefined,
    error,
    connected: undefined,
    protocol: undefined,
    streams: undefined,
    durationSeconds: undefined,
    reverse: undefined,
    sentMbps: undefined,
    receivedMbps: undefined,
    sentBytes: undefined,
    receivedBytes: undefined,
    seconds: undefined,
    retransmits: undefined,
    senderCpuPercent: undefined,
    receiverCpuPercent: undefined,
    perStream: [],
    issues,
  };
}

/** Parses the output of `iperf3 -c ... -J` (TCP). Never throws. */
export function parseIperf3(raw: string): Iperf3Result {
  const text = asText(raw);
  if (isBlank(text)) return emptyResult(text, undefined, ["empty output"]);

  const { doc, trimmed } = readDocument(text);
  if (doc === undefined) {
    const message = TEXT_ERROR.exec(text)?.groups?.message.trim();
    const issue = text.trimStart().startsWith("{")
      ? "an incomplete or malformed JSON document (cut short?)"
      : "not a JSON document (iperf3 -J prints one)";
    return emptyResult(text, message, [issue]);
  }

  const start = asRecord(doc.start);
  const testStart = asRecord(start?.test_start);
  const end = asRecord(doc.end);
  const sumSent = asRecord(end?.sum_sent);
  const sumReceived = asRecord(end?.sum_received);
  const cpu = asRecord(end?.cpu_utilization_percent);
  const connected = readConnected(start);
  const reverse = num(testStart?.reverse);

  const issues: string[] = [];
  if (trimmed) issues.push("text around the JSON document was ignored");
  if (start === undefined) issues.push('no "start" section');
  else if (connected === undefined) issues.push('no "start.connected" list');
  else if (connected.length === 0) issues.push("no connection in start.connected");
  if (sumSent === undefined) issues.push('no "end.sum_sent" (the test did not complete)');
  else if (mbps(sumSent.bits_per_second) === undefined) issues.push("no end.sum_sent.bits_per_second");
  if (sumReceived === undefined) issues.push('no "end.sum_received" (the test did not complete)');
  else if (mbps(sumReceived.bits_per_second) === undefined) {
    issues.push("no end.sum_received.bits_per_second");
  }

  return {
    raw: text,
    version: asNonEmptyString(start?.version),
    error: asNonEmptyString(doc.error),
    connected,
    protocol: asNonEmptyString(testStart?.protocol),
    streams: count(testStart?.num_streams),
    durationSeconds: num(testStart?.duration),
    reverse: reverse === undefined ? undefined : reverse !== 0,
    sentMbps: mbps(sumSent?.bits_per_second),
    receivedMbps: mbps(sumReceived?.bits_per_second),
    sentBytes: count(sumSent?.bytes),
    receivedBytes: count(sumReceived?.bytes),
    seconds: num(sumReceived?.seconds),
    retransmits: count(sumSent?.retransmits),
    senderCpuPercent: percent(cpu?.host_total),
    receiverCpuPercent: percent(cpu?.remote_total),
    perStream: readStreams(end),
    issues,
  };
}
