/**
 * `pod-addressing` and `node-routes`: the addressing that native routing relies on.
 *
 * Seed: the client `net` has `inet 10.0.2.40/32` on eth0 and `default via 10.0.2.34 dev eth0`, where
 * 10.0.2.34/32 is worker2's `cilium_host`; worker2 routes `10.0.0.0/24 via 172.18.0.3 dev eth0` and
 * `10.0.1.0/24 via 172.18.0.4 dev eth0` (autoDirectNodeRoutes: each peer's pod CIDR via the peer).
 */
import { shellJoin } from "../../lib/shell";
import { parseIpAddr, parseIpRoute } from "../parse";
import { sectionScript, shCommand, withTimeout } from "../probes";
import type { CheckDefinition, ExecResult, Judgement, LabContext, LabNode, ProbeStep } from "../types";
import {
  combine,
  excerpt,
  fail,
  inconclusive,
  pass,
  usableSection,
  usableSections,
  usableStep,
} from "../verdict";
import {
  deviceOn,
  differsFrom,
  list,
  nodesWithout,
  podTarget,
  probeOn,
  settingOf,
  stepById,
  tunnelled,
} from "./common";

const IP_TIMEOUT_SECONDS = 5;
const STEP_TIMEOUT_SECONDS = 20;

/** The address part of a CIDR (`10.0.2.34/32` → `10.0.2.34`). */
function addressOf(cidr: string): string {
  return cidr.split("/")[0];
}

/** The client's eth0 addresses and routes, in one exec. */
export const CLIENT_ADDRESSING_SCRIPT = sectionScript([
  {
    name: "addr",
    command: shellJoin(withTimeout(IP_TIMEOUT_SECONDS, ["ip", "-o", "-4", "addr", "show", "dev", "eth0"])),
  },
  { name: "route", command: shellJoin(withTimeout(IP_TIMEOUT_SECONDS, ["ip", "-4", "route", "show"])) },
]);

function podAddressingSteps(ctx: LabContext): ProbeStep[] {
  const probe = probeOn(ctx, ctx.client.node);
  const steps: ProbeStep[] = [
    {
      id: "client",
      target: podTarget(ctx.client),
      argv: shCommand(CLIENT_ADDRESSING_SCRIPT),
      timeoutSeconds: STEP_TIMEOUT_SECONDS,
    },
  ];
  if (probe !== undefined) {
    steps.push({
      id: "cilium-host",
      target: podTarget(probe),
      argv: withTimeout(IP_TIMEOUT_SECONDS, ["ip", "-o", "-4", "addr", "show", "dev", "cilium_host"]),
      timeoutSeconds: STEP_TIMEOUT_SECONDS,
    });
  }
  return steps;
}

function judgePodAddressing(ctx: LabContext, results: ReadonlyMap<string, ExecResult>): Judgement {
  const all = podAddressingSteps(ctx);
  const clientStep = stepById(all, "client");
  const hostStep = stepById(all, "cilium-host");
  const client = ctx.client;
  if (clientStep === undefined) return inconclusive("no client step");
  if (hostStep === undefined) return inconclusive(`no node-probe pod on ${client.node}, the client's node`);

  const sections = usableSections(clientStep, results);
  if (!sections.ok) return sections.judgement;
  const addrSection = usableSection(clientStep, sections.sections, "addr");
  if (!addrSection.ok) return addrSection.judgement;
  const routeSection = usableSection(clientStep, sections.sections, "route");
  if (!routeSection.ok) return routeSection.judgement;
  const hostOut = usableStep(hostStep, results);
  if (!hostOut.ok) return hostOut.judgement;

  const parts: Judgement[] = [];
  const facts: Record<string, unknown> = {};
  const eth0 = parseIpAddr(addrSection.section.output).interfaces.find((i) => i.name === "eth0");
  const own = eth0?.ipv4.find((a) => addressOf(a) === client.ip);
  if (eth0 === undefined) {
    parts.push(
      inconclusive(`no eth0 address in ${client.name}'s output: ${excerpt(addrSection.section.output)}`),
    );
  } else if (own === undefined) {
    parts.push(
      fail(
        `expected ${client.ip}/32 on eth0 of ${client.name}, found ${eth0.ipv4.join(", ") || "no IPv4 address"}`,
      ),
    );
  } else if (!own.endsWith("/32")) {
    parts.push(
      fail(`expected a /32 on eth0 of ${client.name} (a host address, every peer routed), found ${own}`),
    );
  } else {
    parts.push(pass(`${client.name} has ${own} on eth0`));
    facts.podAddress = own;
  }

  const ciliumHost = parseIpAddr(hostOut.output)
    .interfaces.find((i) => i.name === "cilium_host")
    ?.ipv4.map(addressOf)[0];
  const gateway = parseIpRoute(routeSection.section.output).routes.find((r) => r.dst === "default");
  if (ciliumHost === undefined) {
    parts.push(inconclusive(`no IPv4 address on cilium_host of ${client.node}: ${excerpt(hostOut.output)}`));
  } else if (gateway === undefined) {
    parts.push(
      fail(`expected a default route via ${ciliumHost} (cilium_host) in ${client.name}, found none`),
    );
  } else if (gateway.via !== ciliumHost) {
    parts.push(
      fail(
        `expected ${client.name}'s default route via ${ciliumHost} (cilium_host of ${client.node}), found via ${gateway.via ?? "nothing"}${gateway.dev ? ` dev ${gateway.dev}` : ""}`,
      ),
    );
  } else {
    parts.push(pass(`default route via ${ciliumHost}, cilium_host of ${client.node}`));
    facts.podGateway = ciliumHost;
  }
  return combine(parts, facts);
}

export const podAddressing: CheckDefinition = {
  name: "pod-addressing",
  proves:
    "The client pod holds a /32 on eth0 and its default route points at its node's cilium_host address, so every packet it sends is routed through the node by Cilium.",
  // Rests on no cilium-config key: in every routing and IPAM mode the pod's default route points at
  // the node's router IP, cilium_host's address (cilium/cilium Documentation/network/concepts/routing.rst
  // @01362dfe, "AWS ENI", Egress 1: "a default route which points to the node's router IP").
  restsOn: [],
  steps: podAddressingSteps,
  judge: judgePodAddressing,
};

function routesStepId(node: string): string {
  return `routes:${node}`;
}

function nodeRoutesSteps(ctx: LabContext): ProbeStep[] {
  return ctx.probePods.map((probe) => ({
    id: routesStepId(probe.node),
    target: podTarget(probe),
    argv: withTimeout(IP_TIMEOUT_SECONDS, ["ip", "-4", "route", "show"]),
    timeoutSeconds: STEP_TIMEOUT_SECONDS,
  }));
}

/** `10.0.1.0/24 via 172.18.0.4 dev eth0` as found. */
function shown(route: { dst: string; via?: string; dev?: string }): string {
  return [route.dst, route.via ? `via ${route.via}` : "", route.dev ? `dev ${route.dev}` : ""]
    .filter((s) => s !== "")
    .join(" ");
}

/**
 * What one node's routes say about one peer's pod CIDR: a failure, or undefined when the route is
 * the lab's, or the route as found when it is what the cluster's own setting implies (`explained`).
 *
 * Lab: `<cidr> via <peer IP> dev <device>` (autoDirectNodeRoutes). Tunnel mode: Cilium routes every
 * remote pod CIDR to its own router IP on cilium_host, where its BPF program encapsulates it
 * (`10.10.0.0/24 via 10.10.0.1 dev cilium_host src 10.10.0.1`: cilium/cilium
 * pkg/datapath/linux/node.go, createNodeRouteSpec; the real output quoted in cilium/cilium#10092 has
 * that shape, test fixture node-routes/tunnel-upstream-10092). Native routing without
 * auto-direct-node-routes: Cilium installs no per-node route; "a router exists on the network" or a
 * BGP daemon routes pod CIDRs (cilium/cilium Documentation/network/concepts/routing.rst @01362dfe,
 * Native-Routing, requirements 1 and 2), so whatever the node shows is the network's business.
 */
function judgeRoute(
  ctx: LabContext,
  node: string,
  peer: LabNode,
  cidr: string,
  routes: readonly { dst: string; via?: string; dev?: string }[],
): { fail: Judgement } | { explained: string } | undefined {
  const route = routes.find((r) => r.dst === cidr);
  const found = route === undefined ? `no route for ${cidr}` : shown(route);
  const tunnel = tunnelled(ctx);
  if (tunnel !== undefined) {
    if (route?.dev === "cilium_host") return { explained: `${node}: ${found}` };
    return {
      fail: fail(
        `routing-mode ${tunnel.found}: expected ${cidr} routed to cilium_host (encapsulated by Cilium) on ${node}, found ${found}`,
      ),
    };
  }
  const device = deviceOn(ctx, node);
  const want = `${cidr} via ${peer.internalIp} dev ${device}`;
  if (route !== undefined && route.via === peer.internalIp && route.dev === device) return undefined;
  if (settingOf(ctx, "auto-direct-node-routes") !== undefined) {
    return { explained: `${node}: ${found} (not ${want}: Cilium installs no per-node route)` };
  }
  return { fail: fail(`expected ${want} on ${node}, found ${found}`) };
}

/** One node's route table against every peer's pod CIDR ({@link judgeRoute}). */
export function judgeRouteTable(
  ctx: LabContext,
  node: string,
  output: string,
): { parts: Judgement[]; explained: string[]; checked: number } {
  const routes = parseIpRoute(output).routes;
  const parts: Judgement[] = [];
  const explained: string[] = [];
  let checked = 0;
  // Output with no line that reads as a route is not `ip route` output (a node always has at least
  // its device's own subnet route): unusable, not "found no route".
  if (routes.length === 0) {
    parts.push(
      inconclusive(`the route table of ${node} has no line that reads as a route: ${excerpt(output)}`),
    );
    return { parts, explained, checked };
  }
  for (const peer of ctx.nodes.filter((n) => n.name !== node)) {
    if (peer.podCidrs.length === 0) {
      parts.push(inconclusive(`no pod CIDR known for ${peer.name}`));
      continue;
    }
    for (const cidr of peer.podCidrs) {
      checked++;
      const judged = judgeRoute(ctx, node, peer, cidr, routes);
      if (judged === undefined) continue;
      if ("fail" in judged) parts.push(judged.fail);
      else explained.push(judged.explained);
    }
  }
  return { parts, explained, checked };
}

/** The routes that are what the cluster's own setting implies, as one `differs` judgement. */
export function explainedRoutes(ctx: LabContext, explained: readonly string[]): Judgement {
  const tunnel = tunnelled(ctx) !== undefined;
  const what = tunnel
    ? "each peer's pod CIDR is routed to cilium_host for encapsulation, not via the peer's IP"
    : "per-node routes are not Cilium's here";
  return differsFrom(
    ctx,
    [tunnel ? "routing-mode" : "auto-direct-node-routes"],
    `${what}: ${explained.join("; ")}`,
    { directRoutes: false },
  );
}

function judgeNodeRoutes(ctx: LabContext, results: ReadonlyMap<string, ExecResult>): Judgement {
  if (ctx.nodes.length < 2)
    return inconclusive(`node routes need at least 2 nodes, the lab has ${ctx.nodes.length}`);
  if (ctx.nodes.every((n) => n.podCidrs.length === 0)) {
    const why = "no pod CIDRs known for any node (CiliumNode spec.ipam.podCIDRs)";
    // ENI, Azure, multi-pool: nodes have no per-node pod CIDR, hence no per-node route to verify.
    return settingOf(ctx, "ipam") !== undefined
      ? differsFrom(ctx, ["ipam"], `${why}, so there is no per-node route to verify`)
      : inconclusive(why);
  }
  const all = nodeRoutesSteps(ctx);
  const parts: Judgement[] = [];
  const explained: string[] = [];
  const missing = nodesWithout(ctx, ctx.probePods);
  if (missing.length > 0) parts.push(inconclusive(`no node-probe pod on ${list(missing)}`));
  let checked = 0;
  for (const node of ctx.nodes) {
    const step = stepById(all, routesStepId(node.name));
    if (step === undefined) continue;
    const out = usableStep(step, results);
    if (!out.ok) {
      parts.push(out.judgement);
      continue;
    }
    const table = judgeRouteTable(ctx, node.name, out.output);
    parts.push(...table.parts);
    explained.push(...table.explained);
    checked += table.checked;
  }
  if (explained.length > 0) parts.push(explainedRoutes(ctx, explained));
  if (parts.length === 0) {
    return pass(
      `every node routes each peer's pod CIDR via the peer's IP on ${list([...new Set(ctx.nodes.map((n) => deviceOn(ctx, n.name)))])} (${checked} routes)`,
      { directRoutes: true },
    );
  }
  return combine(parts, explained.length > 0 ? { directRoutes: false } : undefined);
}

export const nodeRoutes: CheckDefinition = {
  name: "node-routes",
  proves:
    "Every node routes each other node's pod CIDR directly via that node's internal IP on the node device, so cross-node pod traffic is routed natively and not tunnelled.",
  restsOn: ["routing-mode", "auto-direct-node-routes", "ipam"],
  steps: nodeRoutesSteps,
  judge: judgeNodeRoutes,
};
