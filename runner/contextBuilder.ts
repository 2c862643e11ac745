/**
 * Builds the {@link LabContext} from parsed `kubectl get` documents (whole `-o json` objects, or the
 * projections of runner/discoveryProjection.ts rebuilt in the same shape): {@link buildLabContext}
 * is pure (the same documents give the same context and problems) and is tested with recorded kubectl
 * output. Nodes with Cilium's pod CIDRs (cluster-pool, kubernetes or multi-pool IPAM), Running pods
 * sorted by node, the client and the NodePort service. runner/discovery.ts runs the gets.
 */
import * as ipaddr from "ipaddr.js";

import { NATIVE_CIDR_UNSET, type LabContext, type LabNode, type LabPod } from "../checks/types";
import type { ContextOptions, ContextProblem, DocKey, KubectlDocs } from "./discoveryTypes";
import { obj, path, str, type Json } from "./jsonRead";
import { inProcessKubeProxySignals, kubeProxyPodNames } from "./kubeProxyDiscovery";

/** The items of a List (or a single object as a one-item list); undefined when it is neither. */
function items(doc: unknown): Json[] | undefined {
  const o = obj(doc);
  if (o === undefined) return undefined;
  if (Array.isArray(o.items)) return o.items.map(obj).filter((x): x is Json => x !== undefined);
  return o.metadata !== undefined ? [o] : undefined;
}

function isIPv4(ip: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(ip);
}

/** A pod as the checks see it, or why it cannot be used. */
function readPod(item: Json): { pod?: LabPod; why?: string } {
  const name = str(path(item, "metadata", "name")) ?? "(unnamed)";
  const namespace = str(path(item, "metadata", "namespace")) ?? "";
  const node = str(path(item, "spec", "nodeName"));
  const phase = str(path(item, "status", "phase"));
  const ip = str(path(item, "status", "podIP"));
  if (path(item, "metadata", "deletionTimestamp") !== undefined)
    return { why: `pod ${name} is being deleted` };
  if (phase !== "Running") return { why: `pod ${name} is ${phase ?? "in no phase"}, not Running` };
  if (node === undefined) return { why: `pod ${name} is not scheduled on a node` };
  if (ip === undefined) return { why: `pod ${name} has no pod IP yet` };
  return { pod: { name, namespace, node, ip } };
}

/** Collects the problems of one build and reads the documents' lists. */
class DocReader {
  readonly problems: ContextProblem[] = [];

  constructor(readonly docs: KubectlDocs) {}

  fatal(source: DocKey, message: string): void {
    this.problems.push({ source, fatal: true, message });
  }

  warn(source: DocKey, message: string): void {
    this.problems.push({ source, fatal: false, message });
  }

  /** The items of a document; a missing document (its get failed) is a fatal problem. */
  list(key: DocKey, what: string): Json[] {
    const found = items(this.docs[key]);
    if (found === undefined) this.fatal(key, `${what}: no kubectl data`);
    return found ?? [];
  }
}

/**
 * Builds the context from parsed `kubectl get` documents. Pure: the same documents give the
 * same context and problems. A document that is undefined (its get failed) is a fatal problem.
 *
 * Fatal (the context is undefined): no nodes, a node without an InternalIP or without a CiliumNode
 * pod CIDR, no Running test pod, no Running client pod, no Cilium agent, a service without a
 * ClusterIP, port or NodePort, and any document that is missing (absence of kube-proxy cannot be
 * claimed from a failed get). Warnings: a node without a test pod, Cilium agent or node probe; pods
 * that are not Running (left out).
 *
 * Read in this order: the nodes (with Cilium's pod CIDRs), the pods placed on them, kube-proxy's
 * traces, the client, the service.
 */
export function buildLabContext(
  docs: KubectlDocs,
  options: ContextOptions = {},
): { context?: LabContext; problems: ContextProblem[] } {
  const r = new DocReader(docs);
  const { nodes, nodeItems } = readNodes(r, options);
  const { testPods, ciliumPods, probePods } = readLabPods(r, nodes, options);
  const kubeProxyPods = kubeProxyPodNames([
    ...r.list("kubeProxyPods", "kube-proxy pods"),
    ...r.list("kubeProxyStaticPods", "static kube-proxy pods"),
  ]);
  const kubeProxySignals = inProcessKubeProxySignals(nodeItems);
  const client = readClient(r);
  const service = readService(r, options);

  const { problems } = r;
  if (problems.some((p) => p.fatal) || client === undefined || service === undefined) {
    return { problems };
  }
  return {
    problems,
    context: {
      nodes,
      testPods,
      client,
      ciliumPods,
      probePods,
      kubeProxyPods,
      ...(kubeProxySignals.length > 0 ? { kubeProxySignals } : {}),
      service,
      nodeDevice: options.nodeDevice ?? "eth0",
      nativeRoutingCidr: options.nativeRoutingCidr ?? nativeCidrOf(docs.ciliumConfig) ?? "10.0.0.0/8",
    },
  };
}

/**
 * cilium-config's `ipv4-native-routing-cidr`, {@link NATIVE_CIDR_UNSET} when the ConfigMap has none
 * (the chart writes the key only when `ipv4NativeRoutingCIDR` is set: existing/ciliumProfile.ts), or
 * undefined when cilium-config was not read.
 */
function nativeCidrOf(ciliumConfig: unknown): string | undefined {
  const cm = obj(ciliumConfig);
  if (cm === undefined) return undefined;
  const value = str(path(cm, "data", "ipv4-native-routing-cidr"));
  return value === undefined || value.trim() === "" ? NATIVE_CIDR_UNSET : value.trim();
}

/** Cilium's pod CIDRs per node name, from the CiliumNode objects (cluster-pool or multi-pool). */
function podCidrsByNode(r: DocReader, ciliumNodes: readonly Json[]): Map<string, string[]> {
  const cidrsByNode = new Map<string, string[]>();
  if (r.docs.ciliumNodes !== undefined && ciliumNodes.length === 0) {
    r.fatal("ciliumNodes", "no CiliumNode objects: is Cilium installed, with cluster-pool IPAM?");
  }
  for (const cn of ciliumNodes) {
    const name = str(path(cn, "metadata", "name"));
    const cidrs = path(cn, "spec", "ipam", "podCIDRs");
    if (name !== undefined && Array.isArray(cidrs)) {
      cidrsByNode.set(
        name,
        cidrs.filter((c): c is string => typeof c === "string"),
      );
    } else if (name !== undefined) {
      const pooled = multiPoolCidrs(cn);
      if (pooled.length > 0) cidrsByNode.set(name, pooled);
    }
  }
  return cidrsByNode;
}

/** The nodes, each with its role, InternalIP and Cilium's pod CIDRs; and the node items read. */
function readNodes(r: DocReader, options: ContextOptions): { nodes: LabNode[]; nodeItems: Json[] } {
  const ciliumNodes = r.list("ciliumNodes", "CiliumNode objects");
  const cidrsByNode = podCidrsByNode(r, ciliumNodes);
  const nodes: LabNode[] = [];
  const nodeItems = r.list("nodes", "nodes");
  if (r.docs.nodes !== undefined && nodeItems.length === 0) r.fatal("nodes", "the cluster has no nodes");
  for (const item of nodeItems) {
    const name = str(path(item, "metadata", "name"));
    if (name === undefined) continue;
    const labels = obj(path(item, "metadata", "labels")) ?? {};
    const controlPlane =
      "node-role.kubernetes.io/control-plane" in labels || "node-role.kubernetes.io/master" in labels;
    const addresses = path(item, "status", "addresses");
    const internal = (Array.isArray(addresses) ? addresses : [])
      .map(obj)
      .filter((a) => a !== undefined && a.type === "InternalIP")
      .map((a) => str(a?.address))
      .filter((a): a is string => a !== undefined);
    const internalIp = internal.find(isIPv4) ?? internal[0];
    if (internalIp === undefined) r.fatal("nodes", `node ${name} has no InternalIP address`);
    const podCidrs = cidrsByNode.get(name) ?? [];
    if (r.docs.ciliumNodes !== undefined && ciliumNodes.length > 0 && podCidrs.length === 0) {
      if (podCidrsExpected(options.ipamMode)) {
        r.fatal("ciliumNodes", `node ${name} has no pod CIDR in its CiliumNode (spec.ipam.podCIDRs)`);
      } else {
        r.warn(
          "ciliumNodes",
          `node ${name} has no pod CIDR in its CiliumNode (IPAM ${options.ipamMode}: pod IPs are not carved from per-node CIDRs); checks that need one are inconclusive for it`,
        );
      }
    }
    nodes.push({
      name,
      role: controlPlane ? "control-plane" : "worker",
      internalIp: internalIp ?? "",
      podCidrs,
    });
  }
  return { nodes, nodeItems };
}

/** The test pods, Cilium agents and node probes: Running ones, sorted by node; warnings for the rest. */
function readLabPods(
  r: DocReader,
  nodes: readonly LabNode[],
  options: ContextOptions,
): { testPods: LabPod[]; ciliumPods: LabPod[]; probePods: LabPod[] } {
  const nodeOrder = new Map(nodes.map((n, i) => [n.name, i]));
  const byNodeThenName = (a: LabPod, b: LabPod): number =>
    (nodeOrder.get(a.node) ?? nodes.length) - (nodeOrder.get(b.node) ?? nodes.length) ||
    a.name.localeCompare(b.name);

  /** Running pods of a list, sorted by node; the others become warnings. */
  const pods = (key: DocKey, what: string): LabPod[] => {
    const out: LabPod[] = [];
    for (const item of r.list(key, what)) {
      const { pod, why } = readPod(item);
      if (pod !== undefined) out.push(pod);
      else r.warn(key, `${what}: ${why}`);
    }
    return out.sort(byNodeThenName);
  };
  /** Warns about nodes without one of these pods. */
  const perNode = (key: DocKey, what: string, found: readonly LabPod[]): void => {
    if (found.length === 0) return;
    for (const n of nodes) {
      if (!found.some((p) => p.node === n.name)) r.warn(key, `node ${n.name} has no Running ${what}`);
    }
  };

  const appLabel = options.appLabel ?? "evescn";
  const testPods = pods("testPods", "test pods");
  if (r.docs.testPods !== undefined && testPods.length === 0) {
    r.fatal(
      "testPods",
      `no Running pod with label app=${appLabel} in namespace ${options.namespace ?? "default"}`,
    );
  }
  perNode("testPods", `test pod (app=${appLabel})`, testPods);

  const ciliumPods = pods("ciliumPods", "Cilium agents");
  if (r.docs.ciliumPods !== undefined && ciliumPods.length === 0) {
    r.fatal("ciliumPods", "no Running Cilium agent pod (k8s-app=cilium) in kube-system");
  }
  perNode("ciliumPods", "Cilium agent", ciliumPods);

  const probePods = pods("probePods", "node-probe pods");
  if (r.docs.probePods !== undefined && probePods.length === 0) {
    r.warn("probePods", "no Running node-probe pod: checks that need a node's view will be inconclusive");
  }
  perNode("probePods", "node-probe pod", probePods);
  return { testPods, ciliumPods, probePods };
}

/** The client pod; a client that is not Running is fatal. */
function readClient(r: DocReader): LabPod | undefined {
  const clientItems = r.list("client", "client pod");
  if (clientItems.length === 0) return undefined;
  const { pod, why } = readPod(clientItems[0]);
  if (pod === undefined) r.fatal("client", `client ${why}`);
  return pod;
}

/** The NodePort service's ClusterIP, port and NodePort; a missing one is fatal. */
function readService(r: DocReader, options: ContextOptions): LabContext["service"] | undefined {
  const svc = r.list("service", "service")[0];
  if (svc === undefined) return undefined;
  const name = str(path(svc, "metadata", "name")) ?? options.service ?? "serversvc";
  const clusterIp = str(path(svc, "spec", "clusterIP"));
  const ports = path(svc, "spec", "ports");
  const first = Array.isArray(ports)
    ? (ports.map(obj).find((p) => p?.nodePort !== undefined) ?? obj(ports[0]))
    : undefined;
  const port = first?.port;
  const nodePort = first?.nodePort;
  if (clusterIp === undefined || clusterIp === "None") r.fatal("service", `service ${name} has no ClusterIP`);
  else if (typeof port !== "number") r.fatal("service", `service ${name} has no port`);
  else if (typeof nodePort !== "number") {
    r.fatal("service", `service ${name} has no NodePort (type ${String(path(svc, "spec", "type"))})`);
  } else return { name, clusterIp, port, nodePort };
  return undefined;
}

/** Whether CiliumNodes carry spec.ipam.podCIDRs in this IPAM mode (cluster-pool, kubernetes). */
function podCidrsExpected(ipamMode: string | undefined): boolean {
  return ipamMode === undefined || ipamMode === "cluster-pool" || ipamMode === "kubernetes";
}

/**
 * Multi-pool IPAM: "spec.ipam.pools.allocated: List of CIDRs allocated to this node and the pool they
 * were allocated from" (https://docs.cilium.io/en/stable/network/concepts/ipam/multi-pool/).
 */
function multiPoolCidrs(cn: Json): string[] {
  const allocated = path(cn, "spec", "ipam", "pools", "allocated");
  return (Array.isArray(allocated) ? allocated : []).flatMap((a) => {
    const cidrs = obj(a)?.cidrs;
    return Array.isArray(cidrs) ? cidrs.filter((c): c is string => typeof c === "string") : [];
  });
}
