/** Every parser of checks/parse by the folder of its golden fixtures under test/fixtures/parse. */
import { parseBpfLbList } from "../../checks/parse/bpf-lb-list";
import { parseBpfNatList } from "../../checks/parse/bpf-nat-list";
import {
  parseArp,
  parseCiliumStatus,
  parseCiliumTrace,
  parseIpAddr,
  parseIpRoute,
  parseIptablesSave,
  parsePing,
  parseProcSnmp,
  parseServiceList,
  parseTcFilters,
  parseTcpdump,
  type TcFilterContext,
} from "../../checks/parse";

/** A parser as the fixture loops call it; `args` is the optional `<case>.args.json`. */
export type FixtureParser = (
  raw: string,
  args?: unknown,
) => { readonly raw: string; readonly issues: readonly string[] };

export const PARSERS_BY_FIXTURE_FOLDER: Readonly<Record<string, FixtureParser>> = {
  arp: (raw) => parseArp(raw),
  "bpf-lb-list": (raw) => parseBpfLbList(raw),
  "bpf-nat-list": (raw) => parseBpfNatList(raw),
  "cilium-status": (raw) => parseCiliumStatus(raw),
  "cilium-trace": (raw) => parseCiliumTrace(raw),
  "ip-addr": (raw) => parseIpAddr(raw),
  "ip-route": (raw) => parseIpRoute(raw),
  "iptables-save": (raw) => parseIptablesSave(raw),
  ping: (raw) => parsePing(raw),
  "proc-snmp": (raw) => parseProcSnmp(raw),
  "service-list": (raw) => parseServiceList(raw),
  "tc-filters": (raw, args) => parseTcFilters(raw, args as TcFilterContext | undefined),
  tcpdump: (raw) => parseTcpdump(raw),
};
