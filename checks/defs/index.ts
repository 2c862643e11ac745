/**
 * Every check of the lab, in a stable order: the agents' own view first, then addressing and routing,
 * connectivity, services and kube-proxy's absence, then the eBPF datapath details seen with tcpdump.
 */
import type { CheckDefinition } from "../types";
import { podAddressing, nodeRoutes } from "./addressing";
import { bpfAttachPoints } from "./attach";
import { noKubeProxy } from "./kubeProxy";
import { bpfMasquerade } from "./masquerade";
import { pingCrossNode, pingSameNode } from "./ping";
import { nodeportFromOutside } from "./nodePortOutside";
import { redirectNeigh } from "./redirectNeigh";
import { redirectPeerCrossNode, redirectPeerSameNode } from "./redirectPeer";
import { ciliumAgentStatus } from "./status";
import { clusteripFromPod, nodeportFromPod } from "./services";
import { serviceTable } from "./serviceTable";

export const ALL_CHECKS: readonly CheckDefinition[] = Object.freeze([
  ciliumAgentStatus,
  podAddressing,
  nodeRoutes,
  pingSameNode,
  pingCrossNode,
  nodeportFromPod,
  nodeportFromOutside,
  clusteripFromPod,
  noKubeProxy,
  serviceTable,
  bpfAttachPoints,
  redirectPeerSameNode,
  redirectPeerCrossNode,
  redirectNeigh,
  bpfMasquerade,
]);

export {
  bpfAttachPoints,
  bpfMasquerade,
  ciliumAgentStatus,
  clusteripFromPod,
  noKubeProxy,
  nodeRoutes,
  nodeportFromOutside,
  nodeportFromPod,
  pingCrossNode,
  pingSameNode,
  podAddressing,
  redirectNeigh,
  redirectPeerCrossNode,
  redirectPeerSameNode,
  serviceTable,
};
