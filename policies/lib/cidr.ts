/**
 * IPv4 CIDR arithmetic for the network policies (ipaddr.js).
 *
 * Parsing follows what Cilium and Docker accept (Go's `net.ParseCIDR`): a dotted quad and a prefix
 * length; host bits are allowed and masked off.
 */
import * as ipaddr from "ipaddr.js";

export interface Cidr {
  /** The text as written. */
  readonly text: string;
  /** The network address (host bits masked off). */
  readonly network: ipaddr.IPv4;
  readonly prefix: number;
}

/** The IPv4 CIDR in `text`, or undefined when it is not one (IPv6 CIDRs included). */
export function parseIPv4Cidr(text: string): Cidr | undefined {
  const m = /^\s*(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})\s*$/.exec(text);
  if (!m || !ipaddr.IPv4.isValidFourPartDecimal(m[1])) return undefined;
  const prefix = Number(m[2]);
  if (prefix > 32) return undefined;
  return { text: text.trim(), network: ipaddr.IPv4.networkAddressFromCIDR(`${m[1]}/${prefix}`), prefix };
}

/** Whether `text` is an IPv6 CIDR (the IPv4 rules skip those). */
export function isIPv6Cidr(text: string): boolean {
  try {
    return ipaddr.parseCIDR(text.trim())[0].kind() === "ipv6";
  } catch {
    return false;
  }
}

/** True when every address of `inner` lies in `outer`. */
export function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.prefix >= outer.prefix && inner.network.match(outer.network, outer.prefix);
}

/** True when the two ranges share at least one address (for CIDRs: one contains the other). */
export function overlaps(a: Cidr, b: Cidr): boolean {
  return contains(a, b) || contains(b, a);
}
