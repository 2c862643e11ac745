/** IPv4 CIDR maths for config validation (ipaddr.js does the arithmetic). */
import * as ipaddr from "ipaddr.js";

/** Parses a strict IPv4 CIDR in network form (no host bits, four-part dotted quad). */
export function parseIPv4Cidr(value: string): { addr: ipaddr.IPv4; prefix: number } | string {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(value);
  if (!m || !ipaddr.IPv4.isValidFourPartDecimal(m[1])) {
    return "must be an IPv4 CIDR such as 10.0.0.0/8";
  }
  const prefix = Number(m[2]);
  if (prefix > 32) return "the prefix length must be 0-32";
  const addr = ipaddr.IPv4.parse(m[1]);
  const network = ipaddr.IPv4.networkAddressFromCIDR(value);
  if (network.toString() !== addr.toString()) {
    return `has host bits set; did you mean ${network.toString()}/${prefix}?`;
  }
  return { addr, prefix };
}

/** True when CIDR `inner` lies inside CIDR `outer` (both valid network-form IPv4 CIDRs). */
export function cidrContains(outer: string, inner: string): boolean {
  const o = ipaddr.parseCIDR(outer) as [ipaddr.IPv4, number];
  const i = ipaddr.parseCIDR(inner) as [ipaddr.IPv4, number];
  return i[1] >= o[1] && i[0].match(o);
}

/** True when two IPv4 CIDRs share at least one address. */
export function cidrsOverlap(a: string, b: string): boolean {
  return cidrContains(a, b) || cidrContains(b, a) || sharesPrefix(a, b);
}

function sharesPrefix(a: string, b: string): boolean {
  const pa = ipaddr.parseCIDR(a) as [ipaddr.IPv4, number];
  const pb = ipaddr.parseCIDR(b) as [ipaddr.IPv4, number];
  const shorter = Math.min(pa[1], pb[1]);
  return pa[0].match(pb[0], shorter);
}
