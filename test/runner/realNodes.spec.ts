/**
 * Discovery on real managed-cloud nodes (test/fixtures/cluster/SOURCES.md): which address the runner
 * uses for a node and which kube-proxy pods it sees, when a cluster is not shaped like the lab. The
 * other documents are the seed's (Cilium there is verified with installCilium false, so the node's
 * own CiliumNode is not required: ENI-style IPAM, as the discovery options allow).
 */
import { strict as assert } from "assert";

import { parseNodeInventory } from "../../components/kindConfig";
import { buildLabContext } from "../../runner/contextBuilder";
import { clusterShape } from "../helpers/fakeCluster";
import { seedDocs } from "../helpers/fakes";

function contextOn(shape: "aks" | "gke" | "eks") {
  const docs = seedDocs();
  const s = clusterShape(shape);
  docs.nodes = s.nodes;
  docs.kubeProxyStaticPods = s.pods;
  return buildLabContext(docs, { ipamMode: "eni" });
}

describe("discovery on real AKS, GKE and EKS nodes", () => {
  it("uses the InternalIP, wherever the node lists it (AKS lists its Hostname first)", () => {
    assert.deepEqual(contextOn("aks").context?.nodes, [
      { name: "aks-nodepool1-28869405-vmss000000", role: "worker", internalIp: "10.240.0.4", podCidrs: [] },
    ]);
    // GKE lists InternalIP 10.128.0.4 before ExternalIP 35.192.99.255.
    assert.deepEqual(
      contextOn("gke").context?.nodes.map((n) => n.internalIp),
      ["10.128.0.4"],
    );
    assert.deepEqual(
      contextOn("eks").context?.nodes.map((n) => `${n.name} ${n.internalIp}`),
      ["ip-10-0-10-170.ec2.internal 10.0.10.170", "ip-10-0-20-143.ec2.internal 10.0.20.143"],
    );
  });

  it("sees AKS's kube-proxy (a DaemonSet labelled component=kube-proxy, not k8s-app) and GKE's static one", () => {
    const aks = contextOn("aks");
    assert.deepEqual(aks.context?.kubeProxyPods, ["kube-proxy-qxfxq"]);
    assert.deepEqual(contextOn("gke").context?.kubeProxyPods, [
      "kube-proxy-gke-gke-test-default-pool-e5de334e-i8hi",
    ]);
    // The node-less problems are warnings (the lab's pods are not on these nodes), never fatal.
    assert.ok(
      aks.problems.every((p) => !p.fatal),
      JSON.stringify(aks.problems),
    );
  });

  it("reads the same nodes as existing mode publishes them (name, role, InternalIP, kubelet)", () => {
    const inventory = (shape: "aks" | "gke") =>
      parseNodeInventory(JSON.stringify(clusterShape(shape).nodes)).map(
        (n) => `${n.name} ${n.role} ${n.internalIp} ${n.kubeletVersion}`,
      );
    assert.deepEqual(inventory("aks"), ["aks-nodepool1-28869405-vmss000000 worker 10.240.0.4 v1.16.7"]);
    assert.deepEqual(inventory("gke"), ["gke-gar-1-pool-1-dce25db1-2mm5 worker 10.128.0.4 v1.10.7-gke.2"]);
  });
});
