import { asText, isBlank, splitLines, toFloat, toInt } from "./text";

/**
 * What `ping` printed, for iputils (`ping -c 3 10.0.0.1`) and busybox (`busybox ping -c 1 ...`).
 * A value the output does not show is `undefined`, never a sentinel.
 */
export interface PingResult {
  /** The output exactly as given to the parser. */
  readonly raw: string;
  /** "N packets transmitted" from the statistics line. */
  readonly transmitted: number | undefined;
  /** "N received" (iputils) or "N packets received" (busybox). */
  readonly received: number | undefined;
  /** "N% packet loss", as printed (iputils may print a fraction, e.g. 33.3333). */
  readonly lossPercent: number | undefined;
  /** Round-trip minimum in milliseconds. */
  readonly rttMin: number | undefined;
  /** Round-trip average in milliseconds. */
  readonly rttAvg: number | undefined;
  /** Round-trip maximum in milliseconds. */
  readonly rttMax: number | undefined;
  /** The TTL of the first echo reply (64 local, one less per routed hop). */
  readonly ttl: number | undefined;
  /**
   * What a complete output would show but this one does not (statistics line; for a run with replies,
   * the round-trip line and a reply line with a TTL). Empty when nothing is missing. A run with 0
   * replies has no round-trip line and no TTL by nature: that is not listed.
   */
  readonly issues: readonly string[];
}

/** iputils: "3 packets transmitted, 3 received, 0% packet loss, time 2036ms" (may carry "+N errors"). */
const STATS_IPUTILS =
  /^(?<tx>\d+) packets transmitted, (?<rx>\d+) received,(?: \+\d+ (?:errors|duplicates|corrupted),)* (?<loss>\d+(?:\.\d+)?)% packet loss/;
/** busybox: "1 packets transmitted, 1 packets received, 0% packet loss". */
const STATS_BUSYBOX =
  /^(?<tx>\d+) packets transmitted, (?<rx>\d+) packets received,(?: \d+ duplicates,)? (?<loss>\d+(?:\.\d+)?)% packet loss/;
/** iputils "rtt min/avg/max/mdev = a/b/c/d ms", busybox "round-trip min/avg/max = a/b/c ms". */
const RTT =
  /^(?:rtt|round-trip) min\/avg\/max(?:\/(?:mdev|stddev))? = (?<min>\d+(?:\.\d+)?)\/(?<avg>\d+(?:\.\d+)?)\/(?<max>\d+(?:\.\d+)?)(?:\/\d+(?:\.\d+)?)? ms/;
/** "64 bytes from 10.0.2.202: seq=0 ttl=63 time=0.707 ms" (busybox) or "... icmp_seq=1 ttl=64 ..." (iputils). */
const REPLY = /^\d+ bytes from \S+ .*?\bttl=(?<ttl>\d+)\b/;

interface Stats {
  readonly transmitted: number | undefined;
  readonly received: number | undefined;
  readonly lossPercent: number | undefined;
}

interface Rtt {
  readonly rttMin: number | undefined;
  readonly rttAvg: number | undefined;
  readonly rttMax: number | undefined;
}

function readStats(lines: readonly string[]): Stats | undefined {
  for (const line of lines) {
    const m = STATS_IPUTILS.exec(line) ?? STATS_BUSYBOX.exec(line);
    if (m?.groups) {
      return {
        transmitted: toInt(m.groups.tx),
        received: toInt(m.groups.rx),
        lossPercent: toFloat(m.groups.loss),
      };
    }
  }
  return undefined;
}

function readRtt(lines: readonly string[]): Rtt | undefined {
  for (const line of lines) {
    const m = RTT.exec(line);
    if (m?.groups) {
      return { rttMin: toFloat(m.groups.min), rttAvg: toFloat(m.groups.avg), rttMax: toFloat(m.groups.max) };
    }
  }
  return undefined;
}

function readFirstTtl(lines: readonly string[]): number | undefined {
  for (const line of lines) {
    const m = REPLY.exec(line);
    if (m?.groups) return toInt(m.groups.ttl);
  }
  return undefined;
}

/** Parses iputils or busybox ping output. Never throws. */
export function parsePing(raw: string): PingResult {
  const text = asText(raw);
  const lines = splitLines(text).map((l) => l.trim());
  const stats = readStats(lines);
  const rtt = readRtt(lines);
  const ttl = readFirstTtl(lines);

  const issues: string[] = [];
  if (isBlank(text)) {
    issues.push("empty output");
  } else {
    if (!stats) issues.push('no statistics line ("N packets transmitted, N received, N% packet loss")');
    const mayHaveReplies = stats?.received === undefined || stats.received > 0;
    if (mayHaveReplies && !rtt) issues.push('no round-trip line ("min/avg/max = ...")');
    if (mayHaveReplies && ttl === undefined) issues.push('no reply line with a TTL ("bytes from ... ttl=N")');
  }

  return {
    raw: text,
    transmitted: stats?.transmitted,
    received: stats?.received,
    lossPercent: stats?.lossPercent,
    rttMin: rtt?.rttMin,
    rttAvg: rtt?.rttAvg,
    rttMax: rtt?.rttMax,
    ttl,
    issues,
  };
}
