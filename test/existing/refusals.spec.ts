import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { STACK_MARKER, judgePreflight, type PreflightDocs } from "../../existing/refusals";
import { ciliumValues } from "../../components/ciliumValues";

const FIX = path.join(__dirname, "..", "fixtures");
const json = (...p: string[]) =>
  JSON.parse(fs.readFileSync(path.join(FIX, ...p), "utf8")) as Record<string, unknown>;
type List = { items: Record<string, unknown>[] } & Record<string, unknown>;

const eksDs = (): List => json("cluster", "eks", "daemonsets-kube-system.json") as List;
const emptyList = (): List => ({ ...eksDs(), items: [] });
const seedNodes = () => json("kubectl", "nodes-seed.json");
const eksNodes = () => json("cluster", "eks", "nodes.json");
const INTENT = {
  installCilium: true,
  podCidr: "10.0.0.0/8",
  nativeRoutingCidr: "10.0.0.0/8",
  stackMarker: "cilium-ebpf-lab/dev",
};
const docs = (over: Partial<PreflightDocs>): PreflightDocs => ({
  daemonSets: emptyList(),
  kubeProxyPods: emptyList(),
  nodes: seedNodes(),
  ...over,
});

describe("existing-cluster preflight (existing/refusals)", () => {
  it("lets the lab install on the seed's nodes (kind/kubeadm, 172.18.0.0/16) with no kube-proxy or CNI", () => {
    assert.deepStrictEqual(judgePreflight(docs({}), INTENT).refusals, []);
  });

  it("refuses the recorded EKS cluster: managed, kube-proxy DaemonSet, aws-node, nodes in 10.0.0.0/8", () => {
    const r = judgePreflight(docs({ daemonSets: eksDs(), nodes: eksNodes() }), INTENT);
    assert.strictEqual(r.cloud, "aws");
    assert.deepStrictEqual(
      r.refusals.map((x) => x.what),
      [
        "a managed EKS cluster",
        "kube-proxy is running",
        "another CNI is installed",
        "node addresses fall inside the pod or native-routing CIDR",
      ],
    );
    assert.match(r.refusals[1].found, /DaemonSet kube-system\/kube-proxy/);
    assert.match(r.refusals[1].fix, /kubeproxy-free/);
    assert.match(r.refusals[2].found, /Amazon VPC CNI \(aws-node\): DaemonSet kube-system\/aws-node/);
    assert.match(r.refusals[3].found, /10\.0\.20\.143 in nativeRoutingCidr 10\.0\.0\.0\/8/);
    // A pod CIDR the nodes do not use clears that one refusal only.
    const other = judgePreflight(docs({ daemonSets: eksDs(), nodes: eksNodes() }), {
      ...INTENT,
      podCidr: "192.168.0.0/16",
      nativeRoutingCidr: "192.168.0.0/16",
    });
    assert.strictEqual(other.refusals.length, 3);
  });

  it("refuses nothing when Cilium is only verified (installCilium false)", () => {
    const r = judgePreflight(docs({ daemonSets: eksDs(), nodes: eksNodes() }), {
      ...INTENT,
      installCilium: false,
    });
    assert.deepStrictEqual(r.refusals, []);
  });

  it("sees flannel by its DaemonSet (upstream kube-flannel.yml, namespace kube-flannel)", () => {
    // The DaemonSet of flannel-io/flannel Documentation/kube-flannel.yml, as the API lists it.
    const manifest = fs.readFileSync(path.join(FIX, "cluster", "upstream", "kube-flannel.yml"), "utf8");
    const ds = parseAllDocuments(manifest)
      .map((d) => d.toJS() as Record<string, unknown>)
      .filter((d) => d?.kind === "DaemonSet");
    assert.strictEqual(ds.length, 1);
    const r = judgePreflight(docs({ daemonSets: { ...emptyList(), items: ds } }), INTENT);
    assert.deepStrictEqual(
      r.refusals.map((x) => x.what),
      ["another CNI is installed"],
    );
    assert.match(r.refusals[0].found, /flannel: DaemonSet kube-flannel\/kube-flannel-ds/);
  });

  it("sees static kube-proxy pods (component=kube-proxy), as GCE/GKE nodes run it", () => {
    // A real mirror pod: GKE 1.34's kube-proxy static pod as the API shows it (imroc/kubernetes-guide
    // codeblock/vendor/gcloud/kube-proxy-pod.yaml, test/fixtures/cluster/gke): labels `component:
    // kube-proxy, tier: node` (kubernetes/kubernetes cluster/gce/manifests/kube-proxy.manifest) and the
    // kubelet's `kubernetes.io/config.mirror` annotation.
    const pod = parseAllDocuments(
      fs.readFileSync(path.join(FIX, "cluster", "gke", "kube-proxy-pod.yaml"), "utf8"),
    )[0].toJS() as Record<string, unknown>;
    const r = judgePreflight(docs({ kubeProxyPods: { ...emptyList(), items: [pod] } }), INTENT);
    assert.deepStrictEqual(
      r.refusals.map((x) => x.what),
      ["kube-proxy is running"],
    );
    assert.strictEqual(
      r.refusals[0].found,
      "static pods (component=kube-proxy): kube-proxy-gke-gke-test-default-pool-e5de334e-i8hi",
    );
    // A component=kube-proxy pod that is neither a mirror pod nor owned by a reported DaemonSet is
    // still reported, with what owns it (derived: the same pod without its mirror annotation).
    const meta = pod.metadata as { annotations?: Record<string, string> };
    const plain = { ...pod, metadata: { ...meta, annotations: {} } };
    const r2 = judgePreflight(docs({ kubeProxyPods: { ...emptyList(), items: [plain] } }), INTENT);
    assert.strictEqual(
      r2.refusals[0].found,
      "pods (component=kube-proxy, no DaemonSet): kube-proxy-gke-gke-test-default-pool-e5de334e-i8hi",
    );
  });

  it("accepts the Cilium this stack installed (its pod annotation), refuses any other Cilium", () => {
    // The agent DaemonSet is named `cilium` by the chart; its pod template carries the chart's
    // podAnnotations, which the stack sets to the marker (ciliumValues with podAnnotations).
    const values = ciliumValues("1.18.12", {
      clusterName: "lab",
      k8sServiceHost: "172.18.0.4",
      nativeRoutingCidr: "10.0.0.0/8",
      podCidr: "10.0.0.0/8",
      podCidrMaskSize: 24,
      podAnnotations: { [STACK_MARKER]: "cilium-ebpf-lab/dev" },
    });
    const ours = {
      metadata: { name: "cilium", namespace: "kube-system" },
      spec: { template: { metadata: { annotations: values.podAnnotations } } },
    };
    assert.deepStrictEqual(
      judgePreflight(docs({ daemonSets: { ...emptyList(), items: [ours] } }), INTENT).refusals,
      [],
    );
    const other = judgePreflight(docs({ daemonSets: { ...emptyList(), items: [ours] } }), {
      ...INTENT,
      stackMarker: "cilium-ebpf-lab/prod",
    });
    assert.match(
      other.refusals[0].found,
      /Cilium: DaemonSet kube-system\/cilium \(not installed by this stack/,
    );
  });

  it("sees flannel by the node annotations flannel writes (on nodes that are not k3s)", () => {
    // flannel's kube subnet manager annotates each node <prefix>kube-subnet-manager and
    // <prefix>backend-type with the default prefix flannel.alpha.coreos.com/ (flannel-io/flannel
    // main.go:132, pkg/subnet/kube/annotations.go:63-66 at cdf76059). On k3s nodes the node-args decide
    // instead (test/existing/realShapes.spec.ts).
    // Derivation: the seed's nodes with those two annotation keys added.
    const nodes = seedNodes() as List;
    const annotated = {
      ...nodes,
      items: nodes.items.map((n) => ({
        ...n,
        metadata: {
          ...(n.metadata as object),
          annotations: {
            "flannel.alpha.coreos.com/backend-type": "vxlan",
            "flannel.alpha.coreos.com/kube-subnet-manager": "true",
          },
        },
      })),
    };
    const r = judgePreflight(docs({ nodes: annotated }), INTENT);
    assert.match(
      r.refusals[0].found,
      /flannel: flannel\.alpha\.coreos\.com\/\* annotations on node .* and 2 more/,
    );
  });
});
