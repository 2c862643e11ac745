/**
 * Cilium's path traces: `cilium monitor --type trace` (1.13; `cilium-dbg monitor` from 1.15) and
 * `hubble observe -o compact`. Each line is one trace event: where Cilium's datapath saw the packet
 * (the observation point) and where it handed it on.
 *
 * Monitor, one line per event (pkg/monitor/datapath_trace.go `DumpInfo`, read in cilium/cilium
 * 1.13.0-rc5 and 1.18.x, see ../shared/reference.md "Path traces"):
 *
 *     <prefix> flow 0x<hash> [,] identity <src>-><dst> state <state> ifindex <ifname|0> [orig-ip <ip>]: <tuple>
 *
 * with prefixes `-> endpoint N`, `-> stack`, `-> network`, `-> overlay`, `-> host`, `-> proxy`,
 * `<- endpoint N`, `<- network`, `<- host`, `<- stack`, `<- overlay`... The comma before `identity`
 * appears in later releases (cilium/cilium#42110, #42595; not in #10873, #12895). The tuple is
 * `a:port -> b:port tcp ACK`, or for ICMP `a -> b EchoRequest` (1.13) / `a -> b icmp EchoRequest`
 * (1.16+). Lost ring-buffer records print `CPU 01: Lost N events` (pkg/monitor/format/format.go,
 * `MonitorFormatter.LostEvent`: `"CPU %02d: Lost %d events\n"`, two versions read in the code
 * index); the header `Listening for events on ...` and `Press Ctrl-C to quit` go to stderr
 * (cilium-dbg/cmd/monitor.go `runMonitor`).
 *
 * Hubble compact (microsoft/retina#584): `<time>: <src> -> <dst> <point> <VERDICT> (<summary>)`, the
 * point spelled `to-network`, `to-endpoint`, `to-stack`, `from-network`...
 */
import { asText, isBlank, splitLines } from "./text";

/** Observation points as Hubble spells them (`to-network`); monitor prefixes are mapped onto these. */
export type TracePoint = string;

export interface TraceEvent {
  readonly source: "monitor" | "hubble";
  /** `to-network`, `to-stack`, `to-endpoint`, `from-endpoint`, `to-overlay`, ... */
  readonly point: TracePoint;
  /** The endpoint id of `-> endpoint N` / `<- endpoint N`. */
  readonly endpoint: number | undefined;
  /** Connection state: new, established, reply, related (monitor). */
  readonly state: string | undefined;
  /** The interface the event names (`eth0`, `lxc...`, `cilium_vxlan`, `0` when none). */
  readonly ifname: string | undefined;
  /** Source and destination addresses without ports. */
  readonly src: string | undefined;
  readonly dst: string | undefined;
  /** What follows the addresses: `EchoRequest`, `icmp EchoReply`, `tcp SYN`, `(ICMPv4 EchoRequest)`. */
  readonly summary: string;
  /** The ICMP echo direction when the summary names one. */
  readonly icmp: "echo request" | "echo reply" | undefined;
  /** Hubble's verdict (FORWARDED, DROPPED); undefined for monitor lines. */
  readonly verdict: string | undefined;
  readonly line: string;
}

export interface TraceStream {
  readonly raw: string;
  readonly events: readonly TraceEvent[];
  /** Sum of `Lost N events` lines (the stream missed that many records); undefined when none. */
  readonly lost: number | undefined;
  /** Whether the monitor's `Listening for events` / `Press Ctrl-C to quit` header was seen. */
  readonly sawHeader: boolean;
  readonly issues: readonly string[];
}

const MONITOR_PREFIX: ReadonlyArray<readonly [RegExp, string]> = [
  [/^-> endpoint (\d+)$/, "to-endpoint"],
  [/^<- endpoint (\d+)$/, "from-endpoint"],
  [/^-> host(?: from)?$/, "to-host"],
  [/^<- host$/, "from-host"],
  [/^-> stack$/, "to-stack"],
  [/^<- stack$/, "from-stack"],
  [/^-> network$/, "to-network"],
  [/^<- network$/, "from-network"],
  [/^-> overlay$/, "to-overlay"],
  [/^<- overlay$/, "from-overlay"],
  [/^-> proxy$/, "to-proxy"],
  [/^<- proxy$/, "from-proxy"],
  [/^-> crypto$/, "to-crypto"],
  [/^<- crypto$/, "from-crypto"],
];

const MONITOR_LINE =
  /^(?<prefix>(?:->|<-) [a-z]+(?: \d+| from)?) flow 0x[0-9a-fA-F]+\s*,?\s*identity (?<ids>\S+) state (?<state>\S+) ifindex (?<ifname>\S+)(?: orig-ip \S+)?: (?<tuple>.+)$/;
const TUPLE = /^(?<src>\S+) -> (?<dst>\S+)(?:\s+(?<summary>.*))?$/;
const HUBBLE_LINE =
  /^(?<time>.+?): (?<left>\S+)(?: \([^)]*\))? (?<arrow>->|<-) (?<right>\S+)(?: \([^)]*\))? (?<point>(?:to|from)-[a-z]+) (?<verdict>[A-Z_]+)(?: (?<summary>.*))?$/;
const LOST = /Lost (\d+) events?/;
const HEADER = /^(Listening for events on|Press Ctrl-C to quit)/;

/** `10.0.0.72:80` → `10.0.0.72`; `[fd00::1]:80` → `fd00::1`; an address without a port as it is. */
function hostOf(endpoint: string): string {
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(endpoint);
  if (v6) return v6[1];
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3})(?::\d+)?$/.exec(endpoint);
  return v4 ? v4[1] : endpoint;
}

function icmpOf(summary: string): TraceEvent["icmp"] {
  if (/EchoRequest/.test(summary)) return "echo request";
  if (/EchoReply/.test(summary)) return "echo reply";
  return undefined;
}

function monitorEvent(line: string): TraceEvent | undefined {
  const m = MONITOR_LINE.exec(line);
  if (!m?.groups) return undefined;
  let point: string | undefined;
  let endpoint: number | undefined;
  for (const [re, name] of MONITOR_PREFIX) {
    const p = re.exec(m.groups.prefix);
    if (p) {
      point = name;
      endpoint = p[1] === undefined ? undefined : Number(p[1]);
      break;
    }
  }
  const t = TUPLE.exec(m.groups.tuple.trim());
  const summary = t?.groups?.summary?.trim() ?? "";
  return {
    source: "monitor",
    point: point ?? m.groups.prefix,
    endpoint,
    state: m.groups.state,
    ifname: m.groups.ifname,
    src: t?.groups ? hostOf(t.groups.src) : undefined,
    dst: t?.groups ? hostOf(t.groups.dst) : undefined,
    summary,
    icmp: icmpOf(summary),
    verdict: undefined,
    line,
  };
}

function hubbleEvent(line: string): TraceEvent | undefined {
  const m = HUBBLE_LINE.exec(line);
  if (!m?.groups) return undefined;
  const summary = m.groups.summary?.trim() ?? "";
  // `a <- b` is a packet from b to a (Hubble prints the connection's initiator first).
  const [src, dst] =
    m.groups.arrow === "<-" ? [m.groups.right, m.groups.left] : [m.groups.left, m.groups.right];
  return {
    source: "hubble",
    point: m.groups.point,
    endpoint: undefined,
    state: undefined,
    ifname: undefined,
    src: hostOf(src),
    dst: hostOf(dst),
    summary,
    icmp: icmpOf(summary),
    verdict: m.groups.verdict,
    line,
  };
}

/** Parses a trace stream (monitor text or hubble compact). Never throws. */
export function parseCiliumTrace(raw: string): TraceStream {
  const text = asText(raw);
  if (isBlank(text))
    return { raw: text, events: [], lost: undefined, sawHeader: false, issues: ["empty output"] };
  const events: TraceEvent[] = [];
  let lost: number | undefined;
  let sawHeader = false;
  let other = 0;
  for (const original of splitLines(text)) {
    const line = original.trim();
    if (line === "") continue;
    if (HEADER.test(line)) {
      sawHeader = true;
      continue;
    }
    const l = LOST.exec(line);
    if (l) {
      lost = (lost ?? 0) + Number(l[1]);
      continue;
    }
    const event = monitorEvent(line) ?? hubbleEvent(line);
    if (event) events.push(event);
    else other++; // debug lines, log lines, drop and policy events: not trace events
  }
  const issues: string[] = [];
  if (events.length === 0) issues.push(sawHeader ? "no trace event" : "no trace event and no monitor header");
  if (lost !== undefined) issues.push(`the stream lost ${lost} events`);
  if (other > 0 && events.length === 0) issues.push(`${other} lines that are not trace events`);
  return { raw: text, events, lost, sawHeader, issues };
}
