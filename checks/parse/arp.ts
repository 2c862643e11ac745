import { asText, isBlank, tableLines, unrecognisedIssue } from "./text";

/** One entry of `arp -n` (net-tools). */
export interface ArpEntry {
  readonly address: string;
  /** "ether"; undefined for incomplete entries. */
  readonly hwType: string | undefined;
  /** The hardware address; undefined for "(incomplete)". */
  readonly mac: string | undefined;
  /** "C" (complete), "M" (permanent), "CM"...; undefined when none printed. */
  readonly flags: string | undefined;
  readonly iface: string | undefined;
}

export interface ArpTable {
  readonly raw: string;
  readonly entries: readonly ArpEntry[];
  readonly issues: readonly string[];
}

const HEADER = /^Address\s+HWtype\s+HWaddress\s+Flags\s+Mask\s+Iface$/;
/** "172.18.0.3  ether  02:42:ac:12:00:03  C  eth0" (a Mask column may sit between flags and iface). */
const ENTRY =
  /^(?<address>[0-9A-Fa-f.:]+)\s+(?<hwType>[a-z0-9]+)\s+(?<mac>[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5})\s+(?<flags>[A-Z]+)\s+(?:\S+\s+)?(?<iface>\S+)$/;
/** "192.0.2.2  (incomplete)  eth0". */
const INCOMPLETE = /^(?<address>[0-9A-Fa-f.:]+)\s+\(incomplete\)\s+(?<iface>\S+)$/;

/** Parses `arp -n` (aligned or flattened). Never throws. */
export function parseArp(raw: string): ArpTable {
  const text = asText(raw);
  if (isBlank(text)) return { raw: text, entries: [], issues: ["empty output"] };
  const entries: ArpEntry[] = [];
  const unrecognised: string[] = [];
  const { lines, sawHeader } = tableLines(text, HEADER);
  for (const { line, original } of lines) {
    const m = ENTRY.exec(line);
    if (m?.groups) {
      const { address, hwType, mac, flags, iface } = m.groups;
      entries.push({ address, hwType, mac, flags, iface });
      continue;
    }
    const incomplete = INCOMPLETE.exec(line);
    if (incomplete?.groups) {
      const { address, iface } = incomplete.groups;
      entries.push({ address, hwType: undefined, mac: undefined, flags: undefined, iface });
      continue;
    }
    unrecognised.push(original);
  }
  const issues: string[] = [];
  if (entries.length === 0)
    issues.push(sawHeader ? "header found but no entries" : "no arp entries and no header");
  issues.push(...unrecognisedIssue(unrecognised));
  return { raw: text, entries, issues };
}
