import { asText, isBlank, splitLines, toInt, unrecognisedIssue } from "./text";

/** One interface of `ip a l` / `ip addr show` / `ip -o -4 addr show`. */
export interface IpInterface {
  /** The interface index ("8" of "8: eth0@if9"). */
  readonly ifindex: number;
  /** "eth0", "lxcbf5cb1e7ceb0", "cilium_host"... (without the "@peer" part). */
  readonly name: string;
  /** The veth peer's ifindex in the other namespace ("9" of "eth0@if9"); undefined otherwise. */
  readonly peerIfindex: number | undefined;
  /** The peer given by name ("cilium_host" of "cilium_net@cilium_host"); undefined otherwise. */
  readonly peerName: string | undefined;
  /** The link-layer address of "link/ether ..." or "link/loopback ..."; undefined when not shown. */
  readonly mac: string | undefined;
  /** IPv4 addresses with prefix length, as printed ("10.0.2.40/32"). */
  readonly ipv4: readonly string[];
  /** IPv6 addresses with prefix length, as printed. */
  readonly ipv6: readonly string[];
}

export interface IpAddrList {
  readonly raw: string;
  readonly interfaces: readonly IpInterface[];
  /** What could not be read (empty output, no interface lines, lines not recognised). */
  readonly issues: readonly string[];
}

/** "8: eth0@if9: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 ..." (the header of an interface). */
const HEADER = /^(?<index>\d+):\s+(?<name>[^\s:@]+)(?:@(?<peer>[^\s:]+))?:\s+<[^>]*>(?<rest>.*)$/;
/** `ip -o` prints one address per line: "2: eth0    inet 10.0.2.40/32 scope global eth0\ ...". */
const ONELINE =
  /^(?<index>\d+):\s+(?<name>[^\s:@]+)(?:@(?<peer>[^\s:]+))?\s+(?<family>inet6?)\s+(?<cidr>\S+)/;
/** "link/ether ae:32:09:5a:08:5c brd ff:ff:ff:ff:ff:ff ..." (also inside an `ip -o link` line). */
const LINK = /(?:^|\s)link\/(?<kind>[a-z0-9_]+)(?:\s+(?<mac>[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}))?/;
const INET = /^inet\s+(?<cidr>\d{1,3}(?:\.\d{1,3}){3}(?:\/\d{1,2})?)(?:\s|$)/;
const INET6 = /^inet6\s+(?<cidr>[0-9A-Fa-f:.]+(?:\/\d{1,3})?)(?:\s|$)/;
/** Address detail lines that carry nothing this parser reads. */
const KNOWN_DETAIL = /^(?:valid_lft|altname|vf\s|prog\/|alias\s)/;

interface Iface {
  ifindex: number;
  name: string;
  peerIfindex: number | undefined;
  peerName: string | undefined;
  mac: string | undefined;
  ipv4: string[];
  ipv6: string[];
}

function newIface(index: string, name: string, peer: string | undefined): Iface | undefined {
  const ifindex = toInt(index);
  if (ifindex === undefined) return undefined;
  const peerIndex = peer !== undefined ? /^if(?<n>\d+)$/.exec(peer)?.groups?.n : undefined;
  return {
    ifindex,
    name,
    peerIfindex: toInt(peerIndex),
    peerName: peer !== undefined && peerIndex === undefined ? peer : undefined,
    mac: undefined,
    ipv4: [],
    ipv6: [],
  };
}

/** The interface with this index, created on first sight (one-line output repeats headers). */
function ifaceFor(all: Iface[], index: string, name: string, peer: string | undefined): Iface | undefined {
  const existing = all.find((i) => String(i.ifindex) === index && i.name === name);
  if (existing) return existing;
  const created = newIface(index, name, peer);
  if (created) all.push(created);
  return created;
}

function addAddress(iface: Iface, family: string, cidr: string): void {
  const list = family === "inet6" ? iface.ipv6 : iface.ipv4;
  if (!list.includes(cidr)) list.push(cidr);
}

/** Reads one line into the interface list; false when the line is not understood. */
function readLine(line: string, all: Iface[]): boolean {
  const oneline = ONELINE.exec(line);
  if (oneline?.groups) {
    const { index, name, peer, family, cidr } = oneline.groups;
    const iface = ifaceFor(all, index, name, peer);
    if (iface) addAddress(iface, family, cidr);
    return iface !== undefined;
  }
  const header = HEADER.exec(line);
  if (header?.groups) {
    const iface = ifaceFor(all, header.groups.index, header.groups.name, header.groups.peer);
    const link = LINK.exec(header.groups.rest);
    if (iface && link?.groups?.mac) iface.mac = link.groups.mac;
    return iface !== undefined;
  }
  const current = all[all.length - 1];
  const link = LINK.exec(line);
  if (current && link?.groups && line.startsWith("link/")) {
    if (link.groups.mac) current.mac = link.groups.mac;
    return true;
  }
  const inet = INET.exec(line) ?? INET6.exec(line);
  if (current && inet?.groups) {
    addAddress(current, line.startsWith("inet6") ? "inet6" : "inet", inet.groups.cidr);
    return true;
  }
  return KNOWN_DETAIL.test(line);
}

/** Parses `ip a l`, `ip addr show`, `ip -o addr show` (aligned or flattened). Never throws. */
export function parseIpAddr(raw: string): IpAddrList {
  const text = asText(raw);
  if (isBlank(text)) return { raw: text, interfaces: [], issues: ["empty output"] };
  const all: Iface[] = [];
  const unrecognised: string[] = [];
  for (const original of splitLines(text)) {
    const line = original.trim();
    if (line === "") continue;
    if (!readLine(line, all)) unrecognised.push(original);
  }
  const issues: string[] = [];
  if (all.length === 0) issues.push('no interface lines ("N: name: <FLAGS> ...")');
  issues.push(...unrecognisedIssue(unrecognised));
  return { raw: text, interfaces: all, issues };
}
