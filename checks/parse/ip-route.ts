import { asText, isBlank, splitLines, unrecognisedIssue } from "./text";

/** One line of `ip route show` / `ip r s`. */
export interface Route {
  /** "default", "10.0.2.0/24" or a host address "10.0.2.34", as printed. */
  readonly dst: string;
  /** The gateway after "via"; undefined for on-link routes. */
  readonly via: string | undefined;
  /** The device after "dev"; undefined when not printed (blackhole, unreachable). */
  readonly dev: string | undefined;
  /** The preferred source after "src". */
  readonly src: string | undefined;
  /** A route type printed before the destination ("blackhole", "unreachable", "local"...); else undefined. */
  readonly type: string | undefined;
}

export interface RouteTable {
  readonly raw: string;
  readonly routes: readonly Route[];
  /** What could not be read (empty output, no routes, lines not recognised). */
  readonly issues: readonly string[];
}

/** Route types `ip route` may print before the destination. */
const ROUTE_TYPE =
  /^(?<type>unicast|local|broadcast|multicast|blackhole|unreachable|prohibit|throw|nat|anycast)\s+(?<rest>.*)$/;
/** The destination: "default" or an IPv4/IPv6 address with an optional prefix length. */
const DESTINATION = /^(?<dst>default|[0-9A-Fa-f]*[.:][0-9A-Fa-f.:]*(?:\/\d{1,3})?)(?:\s+(?<rest>.*))?$/;
const VIA = /(?:^|\s)via\s+(?:inet6?\s+)?(?<via>\S+)/;
const DEV = /(?:^|\s)dev\s+(?<dev>\S+)/;
const SRC = /(?:^|\s)src\s+(?<src>\S+)/;
/** Attributes that `ip route` always prints with a value: one left without it means a cut line. */
const DANGLING_KEYWORD =
  /(?:^|\s)(?:via|dev|src|proto|scope|metric|table|mtu|advmss|expires|pref|realm|weight|onlink\S+)\s*$/;
/** Next-hop lines of a multipath route ("\tnexthop via 10.0.0.1 dev eth0 weight 1"): known, not routes. */
const NEXTHOP = /^nexthop\s/;

function readRoute(line: string): Route | undefined {
  const typed = ROUTE_TYPE.exec(line);
  const body = typed?.groups?.rest ?? line;
  const m = DESTINATION.exec(body);
  if (!m?.groups) return undefined;
  const rest = m.groups.rest ?? "";
  return {
    dst: m.groups.dst,
    via: VIA.exec(rest)?.groups?.via,
    dev: DEV.exec(rest)?.groups?.dev,
    src: SRC.exec(rest)?.groups?.src,
    type: typed?.groups?.type,
  };
}

/** Parses `ip route show` (IPv4 or IPv6). Never throws. */
export function parseIpRoute(raw: string): RouteTable {
  const text = asText(raw);
  if (isBlank(text)) return { raw: text, routes: [], issues: ["empty output"] };
  const routes: Route[] = [];
  const unrecognised: string[] = [];
  const issues: string[] = [];
  for (const original of splitLines(text)) {
    const line = original.trim();
    if (line === "" || NEXTHOP.test(line)) continue;
    const route = readRoute(line);
    if (route) routes.push(route);
    else unrecognised.push(original);
    if (route && DANGLING_KEYWORD.test(line))
      issues.push(`route line ends on a keyword without its value (cut?): "${line}"`);
  }
  if (routes.length === 0) issues.push("no route lines");
  issues.push(...unrecognisedIssue(unrecognised));
  return { raw: text, routes, issues };
}
