/**
 * Nodes without a CiliumNode object, set aside before the context is built. A node that is joining
 * (or that an autoscaler just added) has no CiliumNode until its Cilium agent starts: the agent
 * creates its own at start-up ("Creating or updating CiliumNode resource", `UpdateCiliumNodeResource`
 * in cilium/cilium `pkg/nodediscovery/nodediscovery.go` at ffa8abdf, run by the daemon's start hook
 * when `AutoCreateCiliumNodeResource` is on, the default). Until then no other agent counts it either
 * (in CRD mode Cilium's node list is the CiliumNode objects; unverified for kvstore mode), so each
 * sampled agent's `Cluster health: N/M` is compared with the nodes that have one.
 *
 * Such a node has no pod CIDR yet, no Running agent, and nothing the checks could judge; before
 * issue 25 it made discovery fatal and the whole run inconclusive. It is now left out of the context
 * (and so of the sample) with a warning that names it; its pods go with it. Only when the CiliumNode
 * list itself was read and is not empty: an empty list is still fatal (is Cilium installed at all?),
 * and a failed get stays fatal. A client pod on such a node is fatal, saying why.
 */
import type { ContextProblem, KubectlDocs } from "./discoveryTypes";
import { obj, path, str } from "./jsonRead";

type Json = Record<string, unknown>;

function itemsOf(doc: unknown): Json[] | undefined {
  const items = obj(doc)?.items;
  return Array.isArray(items) ? (items.map(obj).filter((i) => i !== undefined) as Json[]) : undefined;
}

/** The documents without the nodes that have no CiliumNode (and without the pods on them). */
export function setAsideNodesWithoutCiliumNode(docs: KubectlDocs): {
  readonly docs: KubectlDocs;
  readonly leftOut: readonly string[];
  readonly problems: readonly ContextProblem[];
} {
  const ciliumNodes = itemsOf(docs.ciliumNodes);
  const nodes = itemsOf(docs.nodes);
  if (ciliumNodes === undefined || ciliumNodes.length === 0 || nodes === undefined) {
    return { docs, leftOut: [], problems: [] };
  }
  const registered = new Set(
    ciliumNodes.map((cn) => str(path(cn, "metadata", "name"))).filter((n) => n !== undefined),
  );
  const leftOut = nodes
    .map((n) => str(path(n, "metadata", "name")))
    .filter((n): n is string => n !== undefined && !registered.has(n));
  if (leftOut.length === 0) return { docs, leftOut, problems: [] };
  const gone = new Set(leftOut);
  const onKeptNode = (item: Json): boolean => !gone.has(str(path(item, "spec", "nodeName")) ?? "");
  const without = (key: "testPods" | "ciliumPods" | "probePods"): unknown => {
    const items = itemsOf(docs[key]);
    return items === undefined ? docs[key] : { ...obj(docs[key]), items: items.filter(onKeptNode) };
  };
  const problems: ContextProblem[] = leftOut.map((name) => ({
    source: "ciliumNodes",
    fatal: false,
    message: `node ${name} has no CiliumNode object (joining, or its Cilium agent has not started): left out of the run and its sample; run again once its agent has registered it`,
  }));
  // The client on such a node cannot be replaced: that is fatal, and says why.
  const client = obj(docs.client);
  const clientItem = client !== undefined ? (itemsOf(client)?.[0] ?? client) : undefined;
  const clientNode = clientItem !== undefined ? str(path(clientItem, "spec", "nodeName")) : undefined;
  if (clientNode !== undefined && gone.has(clientNode)) {
    problems.push({
      source: "client",
      fatal: true,
      message: `the client pod runs on node ${clientNode}, which has no CiliumNode object: wait until its Cilium agent has registered it, or move the client`,
    });
  }
  return {
    docs: {
      ...docs,
      nodes: {
        ...obj(docs.nodes),
        items: nodes.filter((n) => !gone.has(str(path(n, "metadata", "name")) ?? "")),
      },
      testPods: without("testPods"),
      ciliumPods: without("ciliumPods"),
      probePods: without("probePods"),
    },
    leftOut,
    problems,
  };
}
