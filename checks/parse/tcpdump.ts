import { asText, isBlank, splitLines, toInt, unrecognisedIssue } from "./text";

export type PacketKind = "echo request" | "echo reply" | "tcp" | "udp" | "other";

/** One packet line of `tcpdump -n` (with `-e`: link-layer addresses too). */
export interface Packet {
  /** The timestamp as printed ("09:19:00.081174"). */
  readonly time: string | undefined;
  /** Source IP; undefined for frames that are not IP (ARP...). */
  readonly srcIp: string | undefined;
  readonly dstIp: string | undefined;
  /** ICMP/ICMPv6 echo request or reply, TCP (has "Flags [...]"), UDP, or anything else. */
  readonly kind: PacketKind;
  /** Source MAC; only with `-e`. */
  readonly srcMac: string | undefined;
  /** Destination MAC; only with `-e`. */
  readonly dstMac: string | undefined;
  /** TCP/UDP source port. */
  readonly srcPort: number | undefined;
  readonly dstPort: number | undefined;
  /** TCP flags as printed between the brackets: "S", "S.", ".", "P.", "F.", "R"... */
  readonly tcpFlags: string | undefined;
}

export interface TcpdumpCapture {
  readonly raw: string;
  readonly packets: readonly Packet[];
  /** N of tcpdump's closing "N packets captured" (stderr); undefined when not in the output. */
  readonly capturedCount: number | undefined;
  /**
   * What could not be read: empty output, lines not recognised, a captured count that differs from the
   * packet lines read. A capture with no packets but a "0 packets captured" line is complete.
   */
  readonly issues: readonly string[];
}

const MAC = "[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}";
const TIME = "(?<time>\\d{1,2}:\\d{2}:\\d{2}\\.\\d+|\\d+\\.\\d+)";
/** `-i any` adds "ifname In|Out|M|B|P" before the rest of the line. */
const ANY_PREFIX = "(?:[^\\s]+\\s+(?:In|Out|M|B|P)\\s+)?";
/** With -e: "09:19:00.081174 ae:32:09:5a:08:5c > be:06:1e:82:86:b6, ethertype IPv4 (0x0800), length 98: <rest>". */
const LINE_WITH_LINK = new RegExp(
  `^${TIME}\\s+${ANY_PREFIX}(?<srcMac>${MAC}) > (?<dstMac>${MAC}), ethertype (?<ethertype>[^\\s,]+)[^:]*?, length \\d+: (?<rest>.*)$`,
);
/** `-i any` with -e prints only the source address: "eth0  Out 02:42:ac:12:00:02 ethertype IPv4 (0x0800), length 104: ...". */
const LINE_ANY_WITH_LINK = new RegExp(
  `^${TIME}\\s+${ANY_PREFIX}(?<srcMac>${MAC}) ethertype (?<ethertype>[^\\s,]+)[^:]*?, length \\d+: (?<rest>.*)$`,
);
/** Without -e: "14:49:20.406409 IP 192.0.2.40 > 192.0.2.34: ICMP echo request, ...". */
const LINE_NO_LINK = new RegExp(`^${TIME}\\s+${ANY_PREFIX}(?<proto>IP6?|ARP|RARP),? (?<rest>.*)$`);
/** "10.0.2.40.32794 > 10.0.2.202.80: Flags [S], ..." or "10.0.2.40 > 10.0.2.202: ICMP echo request, ...". */
const ADDRESSES = /^(?<src>[0-9A-Fa-f:.]+) > (?<dst>[0-9A-Fa-f:.]+): (?<payload>.*)$/;
const IPV4_WITH_PORT = /^(?<ip>\d{1,3}(?:\.\d{1,3}){3})(?:\.(?<port>\d{1,5}))?$/;
/** IPv6 has no dots, so a trailing ".N" is the port. */
const IPV6_WITH_PORT = /^(?<ip>[0-9A-Fa-f]*:[0-9A-Fa-f:]*)(?:\.(?<port>\d{1,5}))?$/;
const ECHO_REQUEST = /^ICMP6?,? echo request\b/;
const ECHO_REPLY = /^ICMP6?,? echo reply\b/;
const TCP_FLAGS = /^Flags \[(?<flags>[^\]]*)\]/;
const UDP = /^UDP\b/;
/** TCP and ICMP echo lines always carry ", length N"; without it the line was cut. */
const PAYLOAD_LENGTH = /,\s+length\s+\d+/;
/** "4 packets captured". */
const CAPTURED = /^(?<n>\d+) packets? captured$/;
/** tcpdump's banner and closing counters (stderr) and the newline it prints when stopped by a signal. */
const KNOWN_NOISE =
  /^(?:tcpdump: |\d+ packets? received by filter$|\d+ packets? dropped by (?:kernel|interface)$)/;
/** "listening on eth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes" (stderr, at start). */
const LISTENING = /^listening on /;

interface Endpoint {
  readonly ip: string | undefined;
  readonly port: number | undefined;
}

function readEndpoint(text: string): Endpoint {
  const m = IPV4_WITH_PORT.exec(text) ?? IPV6_WITH_PORT.exec(text);
  return { ip: m?.groups?.ip, port: toInt(m?.groups?.port) };
}

function readKind(payload: string, hasPorts: boolean): { kind: PacketKind; tcpFlags: string | undefined } {
  if (ECHO_REQUEST.test(payload)) return { kind: "echo request", tcpFlags: undefined };
  if (ECHO_REPLY.test(payload)) return { kind: "echo reply", tcpFlags: undefined };
  const flags = TCP_FLAGS.exec(payload);
  if (flags?.groups) return { kind: "tcp", tcpFlags: flags.groups.flags };
  // tcpdump prints "UDP, length N" only for ports it does not decode; a decoded datagram
  // ("domain [...]", "NTPv4 ...") still carries ports, and TCP always prints Flags.
  if (UDP.test(payload) || hasPorts) return { kind: "udp", tcpFlags: undefined };
  return { kind: "other", tcpFlags: undefined };
}

/** The network part after the link layer: addresses, ports, kind. Non-IP frames become "other". */
interface Read {
  readonly packet: Packet;
  /** Whether a TCP or echo line still carries its ", length N" (it always does unless cut). */
  readonly complete: boolean;
}

const NOT_IP: Omit<Packet, "time" | "srcMac" | "dstMac"> = {
  srcIp: undefined,
  dstIp: undefined,
  kind: "other",
  srcPort: undefined,
  dstPort: undefined,
  tcpFlags: undefined,
};

/** The network part after the link layer: addresses, ports, kind; undefined when no address pair. */
function readNetwork(
  rest: string,
): { network: Omit<Packet, "time" | "srcMac" | "dstMac">; complete: boolean } | undefined {
  const m = ADDRESSES.exec(rest.replace(/^IP6? /, ""));
  if (!m?.groups) return undefined;
  const src = readEndpoint(m.groups.src);
  const dst = readEndpoint(m.groups.dst);
  const hasPorts = src.port !== undefined && dst.port !== undefined;
  const { kind, tcpFlags } = readKind(m.groups.payload, hasPorts);
  const needsLength = kind === "tcp" || kind === "echo request" || kind === "echo reply";
  return {
    network: { srcIp: src.ip, dstIp: dst.ip, kind, srcPort: src.port, dstPort: dst.port, tcpFlags },
    complete: !needsLength || PAYLOAD_LENGTH.test(m.groups.payload),
  };
}

/** IP frames must show an address pair; anything else (ARP, LLDP...) is kept as "other". */
function isIpEthertype(ethertype: string): boolean {
  return ethertype === "IPv4" || ethertype === "IPv6";
}

function readPacket(line: string): Read | undefined {
  const linked = LINE_WITH_LINK.exec(line) ?? LINE_ANY_WITH_LINK.exec(line);
  if (linked?.groups) {
    const read = readNetwork(linked.groups.rest);
    if (read === undefined && isIpEthertype(linked.groups.ethertype)) return undefined;
    const link = { time: linked.groups.time, srcMac: linked.groups.srcMac, dstMac: linked.groups.dstMac };
    return { packet: { ...link, ...(read?.network ?? NOT_IP) }, complete: read?.complete ?? true };
  }
  const plain = LINE_NO_LINK.exec(line);
  if (plain?.groups) {
    const isIp = plain.groups.proto === "IP" || plain.groups.proto === "IP6";
    const read = isIp ? readNetwork(plain.groups.rest) : undefined; // ARP: no IP pair to report
    if (isIp && read === undefined) return undefined;
    const link = { time: plain.groups.time, srcMac: undefined, dstMac: undefined };
    return { packet: { ...link, ...(read?.network ?? NOT_IP) }, complete: read?.complete ?? true };
  }
  return undefined;
}

/** Parses tcpdump's text output (`-n`, with or without `-e`), stdout and stderr together. Never throws. */
export function parseTcpdump(raw: string): TcpdumpCapture {
  const text = asText(raw);
  if (isBlank(text)) return { raw: text, packets: [], capturedCount: undefined, issues: ["empty output"] };
  const packets: Packet[] = [];
  const unrecognised: string[] = [];
  let capturedCount: number | undefined;
  let listening = false;
  const cut: string[] = [];
  for (const original of splitLines(text)) {
    const line = original.trim();
    if (line === "" || KNOWN_NOISE.test(line)) continue;
    if (LISTENING.test(line)) {
      listening = true;
      continue;
    }
    const captured = CAPTURED.exec(line);
    if (captured?.groups) {
      capturedCount ??= toInt(captured.groups.n);
      continue;
    }
    const read = readPacket(line);
    if (read) packets.push(read.packet);
    else unrecognised.push(original);
    if (read && !read.complete) cut.push(line);
  }
  const issues: string[] = [];
  for (const line of cut) issues.push(`packet line ends before its length (cut?): "${line.slice(0, 60)}..."`);
  if (packets.length === 0 && capturedCount === undefined) {
    issues.push('no packet lines and no "N packets captured" line');
  }
  if (listening && capturedCount === undefined) {
    issues.push('tcpdump started listening but printed no "N packets captured" summary (killed or cut?)');
  }
  if (capturedCount !== undefined && capturedCount !== packets.length) {
    issues.push(
      `tcpdump reports ${capturedCount} packets captured but ${packets.length} packet lines were read`,
    );
  }
  issues.push(...unrecognisedIssue(unrecognised));
  return { raw: text, packets, capturedCount, issues };
}
