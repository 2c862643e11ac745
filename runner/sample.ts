/**
 * The nodes a run probes. By default a fixed sample of at most {@link SAMPLE_NODES} nodes: the
 * client's node, the node of the cross-node peer the checks use, and one more (a control-plane node
 * when the cluster shows one). The exec count of a run is then constant in the cluster's size, as in
 * cilium-cli's connectivity test, which runs a fixed set of client/echo pods whatever the node count.
 *
 * What the sample gives up is covered by an all-node signal: each sampled agent's `cilium status`
 * line `Cluster health: N/M reachable` comes from cilium-health, which probes every node: M is the
 * number of nodes in its report and N those whose host (and endpoint) answered ICMP and HTTP
 * (cilium/cilium `pkg/health/client/client.go`, FormatHealthStatusResponse, at commit 046eb5bd;
 * the seed's 1.13 agent prints the same line). cilium-agent-status compares M with the cluster's
 * node count, kept in `sampledFrom`. `allNodes` probes every node.
 */
import { crossNodePeer } from "../checks/defs/common";
import type { LabContext } from "../checks/types";

/** Nodes probed by default. */
export const SAMPLE_NODES = 3;

/** The nodes of the sample, in the context's order. */
export function sampleNodeNames(ctx: LabContext): string[] {
  const chosen: string[] = [];
  const add = (name: string | undefined): void => {
    if (name !== undefined && !chosen.includes(name) && chosen.length < SAMPLE_NODES) chosen.push(name);
  };
  add(ctx.client.node);
  add(crossNodePeer(ctx)?.node);
  add(ctx.nodes.find((n) => n.role === "control-plane" && !chosen.includes(n.name))?.name);
  for (const n of [...ctx.nodes].sort((a, b) => a.name.localeCompare(b.name))) add(n.name);
  return ctx.nodes.filter((n) => chosen.includes(n.name)).map((n) => n.name);
}

/**
 * The context the checks see: the whole context with `allNodes` or when it has no more nodes than
 * the sample; otherwise only the sampled nodes and the pods on them, with `sampledFrom` set to the
 * cluster's node count.
 */
export function sampleContext(ctx: LabContext, opts: { allNodes?: boolean } = {}): LabContext {
  if (opts.allNodes === true || ctx.nodes.length <= SAMPLE_NODES) return ctx;
  const keep = new Set(sampleNodeNames(ctx));
  const on = <T extends { node: string }>(pods: readonly T[]): T[] => pods.filter((p) => keep.has(p.node));
  return {
    ...ctx,
    nodes: ctx.nodes.filter((n) => keep.has(n.name)),
    testPods: on(ctx.testPods),
    ciliumPods: on(ctx.ciliumPods),
    probePods: on(ctx.probePods),
    sampledFrom: ctx.sampledFrom ?? ctx.nodes.length,
  };
}
