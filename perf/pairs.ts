/**
 * The pairs the lab measures: the pod datapath on one node and across nodes, a pod to the NodePort,
 * and the node-to-node baseline between the same two nodes as the cross-node pods (so that the
 * cross-node ratios compare like with like; same-node pod figures have no like baseline and no ratio). They use the pods the checks use: the client `net`, the
 * test DaemonSet's pods, and the hostNetwork node-probe pods.
 */
import { crossNodePeer, nodeByName, probeOn, sameNodePeer } from "../checks/defs/common";
import type { LabContext, LabPod } from "../checks/types";
import type { PairPlan, PerfDefinition } from "./types";

/** `net 10.0.2.40 on cilium-...-worker2`. */
export function podLabel(pod: LabPod): string {
  return `${pod.name} ${pod.ip} on ${pod.node}`;
}

function podPair(from: LabPod, to: LabPod): PairPlan {
  return { from, server: to, address: to.ip, toLabel: podLabel(to) };
}

export const podToPodSameNode: PerfDefinition = {
  name: "pod-to-pod-same-node",
  measures:
    "Pod to pod on one node: from-container on the source's veth, then bpf_redirect_peer straight into the destination pod.",
  plan: (ctx) => {
    const to = sameNodePeer(ctx);
    return to === undefined
      ? { missing: `no test pod on ${ctx.client.node}, the client's node` }
      : podPair(ctx.client, to);
  },
  throughput: true,
  latency: "icmp-echo",
};

export const podToPodCrossNode: PerfDefinition = {
  name: "pod-to-pod-cross-node",
  measures:
    "Pod to pod across nodes: bpf_redirect_neigh out of the source node, native routing, bpf_redirect_peer into the destination pod.",
  plan: (ctx) => {
    const to = crossNodePeer(ctx);
    return to === undefined
      ? { missing: `no test pod on a node other than ${ctx.client.node}, the client's node` }
      : podPair(ctx.client, to);
  },
  throughput: true,
  latency: "icmp-echo",
};

export const podToNodePort: PerfDefinition = {
  name: "pod-to-nodeport",
  measures:
    "Pod to the NodePort on its own node's IP (as the seed's curl 172.18.0.2:32000): the service translated by Cilium's socket load balancer, then the pod datapath to one of the backends.",
  plan: (ctx) => {
    const node = nodeByName(ctx, ctx.client.node);
    if (node === undefined)
      return { missing: `the client's node ${ctx.client.node} is not in the lab's nodes` };
    return {
      from: ctx.client,
      address: node.internalIp,
      port: ctx.service.nodePort,
      toLabel: `NodePort ${node.internalIp}:${ctx.service.nodePort} on ${node.name}`,
    };
  },
  throughput: false,
  latency: "tcp-connect",
  notes: [
    "Throughput is not measured: the NodePort leads to the test pods' HTTP server on port 80, not to an iperf3 server; the pod-to-pod pairs measure the same datapath once the service is translated.",
    "Latency is curl's TCP connect time (one SYN / SYN-ACK round trip) to the NodePort, and the request figures are the whole HTTP request; each request may land on any backend, so the figures are split by the backend the answer names: on the client's node (local) or another (remote).",
  ],
};

export const nodeToNode: PerfDefinition = {
  name: "node-to-node",
  measures:
    "Node to node over host networking between the same two nodes as the cross-node pods: the baseline the cross-node pod figures are divided by. On kind: each node's network namespace, its eth0 veth (with Cilium's programs on it), the Docker bridge, the other node's veth; no NIC.",
  plan: (ctx: LabContext) => {
    const peer = crossNodePeer(ctx);
    if (peer === undefined)
      return { missing: `no test pod on a node other than ${ctx.client.node}, so no second node` };
    const from = probeOn(ctx, ctx.client.node);
    const to = probeOn(ctx, peer.node);
    if (from === undefined || to === undefined) {
      const missing = [
        from === undefined ? ctx.client.node : undefined,
        to === undefined ? peer.node : undefined,
      ]
        .filter((n): n is string => n !== undefined)
        .join(" and ");
      return { missing: `no node-probe pod on ${missing}` };
    }
    const address = nodeByName(ctx, peer.node)?.internalIp ?? to.ip;
    return { from, server: to, address, toLabel: `${to.name} ${address} on ${to.node}` };
  },
  throughput: true,
  latency: "icmp-echo",
};

/** Every pair, in run order. */
export const PERF_PAIRS: readonly PerfDefinition[] = Object.freeze([
  podToPodSameNode,
  podToPodCrossNode,
  podToNodePort,
  nodeToNode,
]);
