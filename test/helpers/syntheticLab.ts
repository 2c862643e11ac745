/**
 * Synthetic lab contexts of any size for scale tests: the seed lab's shape (one control plane, the
 * rest workers, one test pod, Cilium agent and node probe per node, the client on the second worker),
 * with generated names and addresses. Not a tool's output: a LabContext built in code.
 */
import type { LabContext, LabNode, LabPod } from "../../checks/types";

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
