/**
 * Parsers for the tool output the checks collect. Each is a pure function: raw text in, a typed result
 * out that always carries `raw` and an `issues` list (what a complete output shows but this one does
 * not). Fields the output does not show are `undefined`. No parser throws, whatever the input.
 */
export { parseArp } from "./arp";
export type { ArpEntry, ArpTable } from "./arp";
export { frontendsByKey, lbAddress, parseBpfLbList } from "./bpf-lb-list";
export type { LbFrontend, LbList } from "./bpf-lb-list";
export { parseBpfNatList } from "./bpf-nat-list";
export type { NatEntry, NatList } from "./bpf-nat-list";
export { parseCiliumStatus } from "./cilium-status";
export { parseCiliumTrace } from "./cilium-trace";
export type { TraceEvent, TraceStream } from "./cilium-trace";
export type { CiliumStatus } from "./cilium-status-model";
export { parseIpAddr } from "./ip-addr";
export type { IpAddrList, IpInterface } from "./ip-addr";
export { parseIpRoute } from "./ip-route";
export type { Route, RouteTable } from "./ip-route";
export { parseIptablesSave } from "./iptables-save";
export type { IptablesDump } from "./iptables-save";
export { parsePing } from "./ping";
export { parseProcSnmp } from "./proc-snmp";
export type { ProcSnmp } from "./proc-snmp";
export type { PingResult } from "./ping";
export { parseServiceList } from "./service-list";
export type { ServiceBackend, ServiceEntry, ServiceList } from "./service-list";
export { parseTcFilters } from "./tc-filters";
export type { AttachedProgram, Direction, TcFilterContext, TcFilters } from "./tc-filters";
export { parseTcpdump } from "./tcpdump";
export type { Packet, PacketKind, TcpdumpCapture } from "./tcpdump";
export { parseIperf3 } from "./iperf3";
export type { Iperf3Connection, Iperf3Result, Iperf3Stream } from "./iperf3";
