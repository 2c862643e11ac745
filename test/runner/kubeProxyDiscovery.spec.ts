/**
 * kube-proxy beyond kubeadm's DaemonSet. Object shapes from upstream: the static pod's labels from
 * kubernetes/kubernetes cluster/gce/manifests/kube-proxy.manifest (`component: kube-proxy`,
 * `tier: node`; a GKE mirror pod is named `kube-proxy-<node>`), the k3s annotation from k3s-io/k3s
 * pkg/nodeconfig/nodeconfig.go (`k3s.io/node-args`: the JSON list of the command line, `--flag=value`
 * split in two).
 */
import { strict as assert } from "assert";

import { buildLabContext } from "../../runner/contextBuilder";
import { discoveryQueries } from "../../runner/discovery";
import { inProcessKubeProxySignals, kubeProxyPodNames } from "../../runner/kubeProxyDiscovery";
import { seedDocs } from "../helpers/fakes";

const GKE_STATIC_POD = {
  metadata: {
    name: "kube-proxy-gke-cluster-pool-d4e9ae18-tgdf",
    namespace: "kube-system",
    labels: { component: "kube-proxy", tier: "node" },
    annotations: { "kubernetes.io/config.source": "file" },
  },
};

function k3sNode(name: string, args: string[]) {
  return {
    metadata: { name, annotations: { "k3s.io/node-args": JSON.stringify(args) } },
    status: { nodeInfo: { kubeletVersion: "v1.30.2+k3s1" } },
  };
}

describe("kube-proxy discovery beyond k8s-app=kube-proxy", () => {
  it("asks for static kube-proxy pods by their component label", () => {
    const q = discoveryQueries().kubeProxyStaticPods;
    assert.deepEqual(q.slice(0, q.indexOf("-o")), [
      "get",
      "pods",
      "-n",
      "kube-system",
      "-l",
      "component=kube-proxy",
    ]);
  });

  it("reports a static (mirror) kube-proxy pod as a kube-proxy pod", () => {
    // Failed before: only k8s-app=kube-proxy was asked for, so the context listed none.
    const docs = seedDocs();
    docs.kubeProxyStaticPods = { kind: "List", items: [GKE_STATIC_POD] };
    assert.deepEqual(buildLabContext(docs).context?.kubeProxyPods, [
      "kube-proxy-gke-cluster-pool-d4e9ae18-tgdf",
    ]);
  });

  it("names a pod matched by both queries once", () => {
    assert.deepEqual(kubeProxyPodNames([GKE_STATIC_POD, GKE_STATIC_POD]), [
      "kube-proxy-gke-cluster-pool-d4e9ae18-tgdf",
    ]);
  });

  it("signals k3s's in-process kube-proxy when no server node was started with --disable-kube-proxy", () => {
    const signals = inProcessKubeProxySignals([
      k3sNode("k3s-server-1", ["server", "--tls-san", "axpz.local"]),
      k3sNode("k3s-agent-1", ["agent"]),
    ]);
    assert.deepEqual(signals, [
      "k3s server node k3s-server-1 runs k3s's built-in kube-proxy inside the k3s process (its k3s.io/node-args annotation has no --disable-kube-proxy), with no pod to see",
    ]);
  });

  it("finds nothing when a server has --disable-kube-proxy (flag or flag=true), on non-k3s nodes, or on unreadable args", () => {
    assert.deepEqual(inProcessKubeProxySignals([k3sNode("s", ["server", "--disable-kube-proxy"])]), []);
    assert.deepEqual(
      inProcessKubeProxySignals([k3sNode("s", ["server", "--disable-kube-proxy", "true"])]),
      [],
    );
    assert.equal(
      inProcessKubeProxySignals([k3sNode("s", ["server", "--disable-kube-proxy", "false"])]).length,
      1,
    );
    assert.deepEqual(inProcessKubeProxySignals(seedDocs().nodes.items), []);
    assert.deepEqual(
      inProcessKubeProxySignals([
        { metadata: { name: "x", annotations: { "k3s.io/node-args": "[not json" } } },
      ]),
      [],
    );
  });

  it("carries the signals into the context, and the seed lab has none", () => {
    const docs = seedDocs();
    assert.equal(buildLabContext(docs).context?.kubeProxySignals, undefined);
    docs.nodes.items[0].metadata.annotations = { "k3s.io/node-args": JSON.stringify(["server"]) };
    assert.equal(buildLabContext(docs).context?.kubeProxySignals?.length, 1);
  });
});
