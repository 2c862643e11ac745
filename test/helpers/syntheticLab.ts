/**
 * Synthetic lab contexts of any size for scale tests: the seed lab's shape (one control plane, the
 * rest workers, one test pod, Cilium agent and node probe per node, the client on the second worker),
 * with generated names and addresses. Not a tool's output: a LabContext built in code.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import type { LabContext, LabNode, LabPod } from "../../checks/types";
import type { DocKey } from "../../runner/discoveryTypes";

export function syntheticContext(nodeCount: number): LabContext {
  if (!Number.isInteger(nodeCount) || nodeCount < 2) throw new RangeError("at least 2 nodes");
  const nodes: LabNode[] = Array.from({ length: nodeCount }, (_, i) => ({
    name: i === 0 ? "lab-control-plane" : `lab-worker${i === 1 ? "" : i}`,
    role: i === 0 ? "control-plane" : "worker",
    internalIp: `172.18.${Math.floor((i + 2) / 250)}.${((i + 2) % 250) + 1}`,
    podCidrs: [`10.${Math.floor(i / 250)}.${i % 250}.0/24`],
  }));
  const pod = (prefix: string, ns: string, i: number, ip: string): LabPod => ({
    name: `${prefix}-${i.toString(36).padStart(5, "0")}`,
    namespace: ns,
    node: nodes[i].name,
    ip,
  });
  const podIp = (i: number, host: number): string => `10.${Math.floor(i / 250)}.${i % 250}.${host}`;
  const clientNode = Math.min(2, nodeCount - 1);
  return {
    nodes,
    testPods: nodes.map((_, i) => pod("evescn", "default", i, podIp(i, 10))),
    client: { name: "net", namespace: "default", node: nodes[clientNode].name, ip: podIp(clientNode, 40) },
    ciliumPods: nodes.map((n, i) => pod("cilium", "kube-system", i, n.internalIp)),
    probePods: nodes.map((n, i) => pod("node-probe", "default", i, n.internalIp)),
    kubeProxyPods: [],
    service: { name: "serversvc", clusterIp: "10.96.93.201", port: 8080, nodePort: 32000 },
    nodeDevice: "eth0",
    nativeRoutingCidr: "10.0.0.0/8",
  };
}

type Json = Record<string, unknown>;
const SEED_DOCS = path.join(__dirname, "..", "fixtures", "context", "kubectl");
const read = (f: string): Json => JSON.parse(fs.readFileSync(path.join(SEED_DOCS, f), "utf8")) as Json;
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/**
 * The `kubectl get -o json` documents of a synthetic context: every node, CiliumNode and pod item is
 * a clone of the seed lab's item of the same kind (test/fixtures/context/kubectl, the second item of
 * each list; labels and containers kept) renamed and readdressed; the service is the seed's. Keyed
 * as discovery reads them.
 */
export function syntheticDocs(ctx: LabContext): Record<DocKey, Json> {
  const nodeT = (read("nodes.json").items as Json[])[1];
  const cnT = (read("ciliumnodes.json").items as Json[])[1];
  const list = (items: unknown[]): Json => ({ apiVersion: "v1", kind: "List", items });
  const template = (file: string): Json => {
    const doc = read(file);
    return Array.isArray(doc.items) ? (doc.items as Json[])[1] : doc;
  };
  /** A pod cloned from the seed's pod of the same kind (its labels and containers kept). */
  const pod = (file: string) => {
    const podT = template(file);
    return (p: LabPod): Json => {
      const o = clone(podT) as { metadata: Json; spec: Json; status: Json };
      Object.assign(o.metadata, { name: p.name, namespace: p.namespace });
      Object.assign(o.spec, { nodeName: p.node });
      Object.assign(o.status, { podIP: p.ip, phase: "Running" });
      return o;
    };
  };
  const kubeProxy = list([]);
  return {
    nodes: list(
      ctx.nodes.map((n) => {
        const o = clone(nodeT) as { metadata: Json; status: Json };
        const labels: Json = { ...(o.metadata.labels as Json), "kubernetes.io/hostname": n.name };
        delete labels["node-role.kubernetes.io/control-plane"];
        if (n.role === "control-plane") labels["node-role.kubernetes.io/control-plane"] = "";
        Object.assign(o.metadata, { name: n.name, labels });
        o.status.addresses = [
          { type: "InternalIP", address: n.internalIp },
          { type: "Hostname", address: n.name },
        ];
        return o;
      }),
    ),
    ciliumNodes: list(
      ctx.nodes.map((n) => {
        const o = clone(cnT) as { metadata: Json; spec: { ipam: Json } };
        o.metadata.name = n.name;
        o.spec.ipam.podCIDRs = [...n.podCidrs];
        return o;
      }),
    ),
    testPods: list(ctx.testPods.map(pod("pods-evescn.json"))),
    client: pod("pod-net.json")(ctx.client),
    ciliumPods: list(ctx.ciliumPods.map(pod("pods-cilium.json"))),
    probePods: list(ctx.probePods.map(pod("pods-node-probe.json"))),
    kubeProxyPods: kubeProxy,
    kubeProxyStaticPods: kubeProxy,
    service: read("svc-serversvc.json"),
    ciliumConfig: read("cm-cilium-config.json"),
  };
}
