/**
 * `/proc/net/snmp`: per protocol a header line of counter names and a line of values, both prefixed
 * with the protocol (`Ip: Forwarding DefaultTTL InReceives ... ForwDatagrams ...` then
 * `Ip: 1 64 12 ... 8 ...`), names line then values line. `Ip: ForwDatagrams` counts the datagrams
 * the kernel's own IP forwarding sent on (`ip_forward_finish` increments IPSTATS_MIB_OUTFORWDATAGRAMS:
 * torvalds/linux net/ipv4/ip_forward.c @0b04082, an old tree; unverified in current trees beyond the
 * measurement): packets a BPF program redirects from one device to another never reach it. Measured
 * here (test/fixtures/parse/capture-forwarding.sh, kernel 6.18): 3 pings routed through a namespace
 * moved its ForwDatagrams from 2 to 8 (requests and replies), 3 pings to its own address by 0.
 */
import { asText, isBlank, splitLines } from "./text";

export interface ProcSnmp {
  readonly raw: string;
  /** Counters by protocol and name: `counters.Ip.ForwDatagrams`. */
  readonly counters: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly issues: readonly string[];
}

const LINE = /^(?<proto>[A-Za-z]+):\s+(?<rest>.*)$/;

/** Parses `/proc/net/snmp` (or `/proc/net/netstat`, same layout). Never throws. */
export function parseProcSnmp(raw: string): ProcSnmp {
  const text = asText(raw);
  if (isBlank(text)) return { raw: text, counters: {}, issues: ["empty output"] };
  const counters: Record<string, Record<string, number>> = {};
  const issues: string[] = [];
  const names = new Map<string, string[]>();
  for (const line of splitLines(text)) {
    const m = LINE.exec(line.trim());
    if (!m?.groups) {
      if (line.trim() !== "") issues.push(`line not recognised: "${line.slice(0, 120)}"`);
      continue;
    }
    const { proto, rest } = m.groups;
    const words = rest.trim().split(/\s+/);
    const header = names.get(proto);
    if (header === undefined || words.some((w) => !/^-?\d+$/.test(w))) {
      names.set(proto, words);
      continue;
    }
    if (header.length !== words.length) {
      issues.push(`${proto}: ${header.length} names but ${words.length} values`);
      names.delete(proto);
      continue;
    }
    // Counters only: a negative value is a setting (`Tcp: MaxConn -1`, no limit), left out.
    counters[proto] = Object.fromEntries(
      header.flatMap((n, i) => (words[i].startsWith("-") ? [] : [[n, Number(words[i])]])),
    );
    names.delete(proto);
  }
  if (Object.keys(counters).length === 0) issues.push("no counter lines");
  // The kernel prints Ip, Icmp, IcmpMsg, Tcp, Udp, UdpLite in that order (as captured here, kernel
  // 6.18: fixtures proc-snmp/fwd-*; the source was not read): an output without UdpLite stops early.
  else if (counters.UdpLite === undefined) issues.push("no UdpLite: counters (the output stops early?)");
  return { raw: text, counters, issues };
}
