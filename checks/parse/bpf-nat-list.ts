/**
 * `cilium bpf nat list` / `cilium-dbg bpf nat list`: Cilium's BPF NAT (SNAT) table, one line per
 * direction of a translated flow:
 *
 *     TCP OUT 10.0.2.40:45678 -> 192.0.2.10:39999 XLATE_SRC 172.18.0.2:45678 Created=12sec ago HostLocal=0
 *     TCP IN 192.0.2.10:39999 -> 172.18.0.2:45678 XLATE_DST 10.0.2.40:45678 Created=12sec ago HostLocal=0
 *
 * The tuple is `TupleKey4Global.Dump` (`<proto> IN|OUT <src>:<port> -> <dst>:<port> `, then `related ` /
 * `service ` flags: cilium/cilium pkg/tuple/ipv4.go @0a0f0d9), the translation `NatEntry4.Dump`
 * (`XLATE_SRC|XLATE_DST <addr>:<port> Created=... HostLocal=...`: pkg/maps/nat/ipv4.go @0a0f0d9; later
 * trees print `NeedsCT=` instead of `HostLocal=`). IPv6 addresses are bracketed; a real dump of the
 * later layout: `TCP OUT [2001:db8:dead:beef::2]:33388 -> [64:ff9b::8c52:7204]:80 XLATE_SRC
 * [192.168.64.2]:33388 Created=155sec ago NeedsCT=0` (golden fixture upstream-nat46-blog, netops2devops/netops2devops.github.io content/posts/cilium-nat64.md).
 */
import { asText, isBlank, splitLines, unrecognisedIssue } from "./text";

export interface NatEntry {
  readonly proto: string;
  readonly direction: "IN" | "OUT";
  readonly srcIp: string;
  readonly srcPort: number;
  readonly dstIp: string;
  readonly dstPort: number;
  /** SRC: the source is rewritten to `to` (egress SNAT); DST: the destination (reverse SNAT). */
  readonly xlate: "SRC" | "DST";
  readonly toIp: string;
  readonly toPort: number;
  readonly line: string;
}

export interface NatList {
  readonly raw: string;
  readonly entries: readonly NatEntry[];
  readonly issues: readonly string[];
}

const ADDR = String.raw`(?:\[(?<IP>[0-9A-Fa-f:.]+)\]|(?<ip>\d{1,3}(?:\.\d{1,3}){3})):(?<port>\d{1,5})`;
const LINE = new RegExp(
  String.raw`^(?<proto>[A-Z0-9]+) (?<dir>IN|OUT) (?<src>\S+) -> (?<dst>\S+) (?:(?:related|service) )*XLATE_(?<xlate>SRC|DST) (?<to>\S+)(?:\s|$)`,
);
const ONE_ADDR = new RegExp(`^${ADDR}$`);

function address(text: string): { ip: string; port: number } | undefined {
  const m = ONE_ADDR.exec(text);
  if (!m?.groups) return undefined;
  return { ip: m.groups.IP ?? m.groups.ip, port: Number(m.groups.port) };
}

/** Parses `cilium bpf nat list`. Never throws. */
export function parseBpfNatList(raw: string): NatList {
  const text = asText(raw);
  if (isBlank(text)) return { raw: text, entries: [], issues: ["empty output"] };
  const entries: NatEntry[] = [];
  const unrecognised: string[] = [];
  for (const original of splitLines(text)) {
    const line = original.trim();
    if (line === "") continue;
    const m = LINE.exec(line);
    const src = m?.groups ? address(m.groups.src) : undefined;
    const dst = m?.groups ? address(m.groups.dst) : undefined;
    const to = m?.groups ? address(m.groups.to) : undefined;
    if (!m?.groups || !src || !dst || !to) {
      unrecognised.push(original);
      continue;
    }
    entries.push({
      proto: m.groups.proto,
      direction: m.groups.dir as "IN" | "OUT",
      srcIp: src.ip,
      srcPort: src.port,
      dstIp: dst.ip,
      dstPort: dst.port,
      xlate: m.groups.xlate as "SRC" | "DST",
      toIp: to.ip,
      toPort: to.port,
      line,
    });
  }
  const issues: string[] = [];
  if (entries.length === 0) issues.push("no NAT entry lines");
  issues.push(...unrecognisedIssue(unrecognised));
  return { raw: text, entries, issues };
}
