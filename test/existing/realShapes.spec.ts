/**
 * Existing-cluster mode against real cluster shapes (test/fixtures/cluster/SOURCES.md): AKS and GKE
 * nodes are refused as managed clouds, saying what was found and what to do; a kubeadm cluster's
 * kube-proxy DaemonSet is refused for kube-proxy replacement; k3s is judged by what its servers run
 * (k3s.io/node-args), not by annotations k3s may leave behind; what cilium-cli did on a real EKS cluster
 * with kube-proxy backs the kube-proxy rule and the derived ENI cilium-config. The AKS and GKE runs go
 * through the program's own reads (existing/access.ts) with the fake kubectl of test/helpers/fakeCluster.ts.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";

import { ExistingClusterError, openExistingCluster } from "../../existing/access";
import { clusterProfileOf, profileDifferences } from "../../existing/ciliumProfile";
import { judgePreflight, type PreflightDocs } from "../../existing/refusals";
import { validateConfig } from "../../lib/config";
import {
  type FakeCluster,
  type ShapeName,
  clusterShape,
  installFakeCluster,
  kubectlList,
} from "../helpers/fakeCluster";
import { FAKE_KUBECONFIG_REMOTE } from "../helpers/pulumiMocks";

const FIX = path.join(__dirname, "..", "fixtures");
const INTENT = {
  installCilium: true,
  podCidr: "10.0.0.0/8",
  nativeRoutingCidr: "10.0.0.0/8",
  stackMarker: "cilium-ebpf-lab/dev",
};
type Obj = Record<string, unknown>;
type List = { items: Obj[] } & Obj;

/** The preflight documents of a shape, as the fake kubectl answers the program's three gets. */
function shapeDocs(name: ShapeName): PreflightDocs {
  const s = clusterShape(name);
  const pods = s.pods as List;
  return {
    daemonSets: s.daemonSets,
    // `get pods -n kube-system -l component=kube-proxy`, filtered as the fake kubectl filters.
    kubeProxyPods: kubectlList(
      pods.items.filter((p) => {
        const m = p.metadata as { namespace?: string; labels?: Obj };
        return m.namespace === "kube-system" && m.labels?.component === "kube-proxy";
      }),
    ),
    nodes: s.nodes,
  };
}

/**
 * k3s nodes, derived (no real k3s node list could be cited by repository and path; SOURCES.md): the
 * seed's kind nodes with the `k3s.io/node-args` k3s writes (pkg/nodeconfig/nodeconfig.go: the command
 * line as a JSON list, `--flag=value` split in two; `k3s server --flannel-backend=none` gives
 * `["server","--flannel-backend","none"]`, the expectation of k3s's own nodeconfig_test.go), on the
 * first node (the server) and `["agent"]` on the others, plus, where asked, the flannel annotation
 * keys k3s-io/k3s#3932 shows on a `--flannel-backend=none` server (values from that issue).
 */
function k3sNodes(serverArgs: string[], flannelAnnotations: boolean): List {
  const nodes = JSON.parse(fs.readFileSync(path.join(FIX, "kubectl", "nodes-seed.json"), "utf8")) as List;
  nodes.items.forEach((n, i) => {
    const meta = n.metadata as { annotations?: Obj };
    meta.annotations = {
      ...meta.annotations,
      "k3s.io/node-args": JSON.stringify(i === 0 ? serverArgs : ["agent"]),
      ...(flannelAnnotations
        ? {
            "flannel.alpha.coreos.com/backend-data": '{"VNI":1,"VtepMAC":"46:b9:0f:9c:bd:f8"}',
            "flannel.alpha.coreos.com/backend-type": "vxlan",
            "flannel.alpha.coreos.com/kube-subnet-manager": "true",
            "flannel.alpha.coreos.com/public-ip": "10.169.72.127",
          }
        : {}),
    };
  });
  return nodes;
}

const emptyList = (): List => ({ ...(clusterShape("seed").daemonSets as List), items: [] });

describe("existing mode on real cluster shapes", function () {
  // The runs through the program start real processes (the fake kubectl, the real kubectl for config view).
  this.timeout(60_000);
  let dir: string;
  let kubeconfigPath: string;
  let fake: FakeCluster | undefined;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-shapes-"));
    kubeconfigPath = path.join(dir, "config");
    // Only ever read by `kubectl config view` (no connection) and handed to the fake kubectl.
    fs.writeFileSync(kubeconfigPath, FAKE_KUBECONFIG_REMOTE, { mode: 0o600 });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  afterEach(() => {
    fake?.restore();
    fake = undefined;
  });
  const open = (shape: ShapeName, extra: Record<string, string> = {}): unknown => {
    fake = installFakeCluster(clusterShape(shape));
    const cfg = validateConfig({
      clusterMode: "existing",
      kubeconfigPath,
      context: "prod-admin",
      clusterName: "prod",
      ...extra,
    });
    try {
      return openExistingCluster(cfg, "cilium-ebpf-lab/dev");
    } catch (err) {
      return err;
    }
  };

  it("refuses the recorded AKS cluster as managed, naming the node, its providerID and the AKS label", () => {
    const err = open("aks");
    assert.ok(err instanceof ExistingClusterError, String(err));
    assert.match(err.message, /the lab will not install Cilium here; nothing was created/);
    assert.match(
      err.message,
      /a managed AKS cluster\. Found: node aks-nodepool1-28869405-vmss000000: spec\.providerID azure:\/\/\/subscriptions\/b563ffdd-4958-409e-aedd-d614887db233\/resourceGroups\/mc_arena-acr-aks_arena-cluster-rbac-ad_centralus\/.*, label kubernetes\.azure\.com\/cluster=MC_arena-acr-aks_arena-cluster-rbac-ad_centralus\./,
    );
    assert.match(err.message, /What to do: .*AKS BYOCNI.*cilium-ebpf-lab:installCilium false/);
    // AKS 1.16 runs kube-proxy as a DaemonSet labelled component=kube-proxy: its pod is that
    // DaemonSet's, not a static pod (the old message called it one).
    assert.match(err.message, /kube-proxy is running\. Found: DaemonSet kube-system\/kube-proxy\./);
    assert.doesNotMatch(err.message, /static pods/);
    assert.match(err.message, /aks-nodepool1-28869405-vmss000000 10\.240\.0\.4 in podCidr 10\.0\.0\.0\/8/);
    // kubenet: no CNI DaemonSet, no CNI annotation, so no "another CNI" refusal.
    assert.doesNotMatch(err.message, /another CNI/);
    // Only reads were made: config view, then the three gets.
    assert.deepEqual(
      fake?.calls().map((c) => c.argv.filter((a) => !a.startsWith("-") && !a.includes("/"))[0]),
      ["config", "get", "get", "get"],
    );
  });

  it("refuses the recorded GKE shape as managed, with the GKE label, its static kube-proxy and its DaemonSet", () => {
    const err = open("gke");
    assert.ok(err instanceof ExistingClusterError, String(err));
    assert.match(
      err.message,
      /a managed GKE cluster\. Found: node gke-gar-1-pool-1-dce25db1-2mm5: spec\.providerID gce:\/\/managedkube\/us-central1-c\/gke-gar-1-pool-1-dce25db1-2mm5, label cloud\.google\.com\/gke-nodepool=pool-1\./,
    );
    assert.match(err.message, /GKE's own pod ranges/);
    assert.match(
      err.message,
      /kube-proxy is running\. Found: DaemonSet kube-system\/kube-proxy; static pods \(component=kube-proxy\): kube-proxy-gke-gke-test-default-pool-e5de334e-i8hi\./,
    );
    assert.match(err.message, /gke-gar-1-pool-1-dce25db1-2mm5 10\.128\.0\.4 in podCidr/);
  });

  it("refuses nothing on AKS or GKE when a Cilium there is only verified (installCilium false)", () => {
    for (const shape of ["aks", "gke"] as const) {
      const docs = shapeDocs(shape);
      assert.deepEqual(judgePreflight(docs, { ...INTENT, installCilium: false }).refusals, [], shape);
    }
    assert.equal(judgePreflight(shapeDocs("aks"), INTENT).cloud, "azure");
    assert.equal(judgePreflight(shapeDocs("gke"), INTENT).cloud, "gce");
  });

  it("names nodes on a cloud without its managed-service label for what they are", () => {
    // Derived: the AKS node without its kubernetes.azure.com/cluster label, as a cluster on Azure VMs
    // that AKS does not manage would show it (no such node list could be cited).
    const docs = shapeDocs("aks");
    const nodes = structuredClone(docs.nodes) as List;
    delete ((nodes.items[0].metadata as Obj).labels as Obj)["kubernetes.azure.com/cluster"];
    const r = judgePreflight({ ...docs, nodes }, INTENT);
    assert.equal(r.refusals[0].what, "nodes on Azure");
    assert.match(
      r.refusals[0].found,
      /^node aks-nodepool1-28869405-vmss000000: spec\.providerID azure:\/\/\/[^,]*$/,
    );
  });

  it("refuses kube-proxy replacement beside a kubeadm cluster's kube-proxy DaemonSet (cilium-cli's rule)", () => {
    // That cluster's `kubectl get ds -A` listed exactly these two DaemonSets.
    const table = fs.readFileSync(path.join(FIX, "cluster", "kubeadm", "get-ds-A.txt"), "utf8");
    const listed = table
      .trim()
      .split("\n")
      .slice(1)
      .map((l) => l.split(/\s+/).slice(0, 2).join("/"));
    const docs = shapeDocs("kubeadm");
    const ds = (docs.daemonSets as List).items.map((d) => {
      const m = d.metadata as { namespace: string; name: string };
      return `${m.namespace}/${m.name}`;
    });
    assert.deepEqual(ds.sort(), listed.sort());
    const r = judgePreflight(docs, INTENT);
    assert.deepEqual(
      r.refusals.map((x) => x.what),
      ["kube-proxy is running", "another CNI is installed"],
    );
    assert.equal(r.refusals[0].found, "DaemonSet kube-system/kube-proxy");
    assert.match(r.refusals[0].fix, /kubeadm: --skip-phases=addon\/kube-proxy/);
    assert.equal(r.refusals[1].found, "flannel: DaemonSet kube-flannel/kube-flannel-ds");
  });

  it("refuses a default k3s server: its built-in kube-proxy and embedded flannel run with no pod to see", () => {
    const docs = { daemonSets: emptyList(), kubeProxyPods: emptyList(), nodes: k3sNodes(["server"], true) };
    const r = judgePreflight(docs, {
      ...INTENT,
      podCidr: "10.244.0.0/16",
      nativeRoutingCidr: "10.244.0.0/16",
    });
    assert.deepEqual(
      r.refusals.map((x) => x.what),
      ["kube-proxy is running", "another CNI is installed"],
    );
    assert.match(
      r.refusals[0].found,
      /^k3s's built-in kube-proxy \(server node cilium-kubeproxy-replacement-ebpf-control-plane: k3s\.io\/node-args has no --disable-kube-proxy\)$/,
    );
    assert.match(r.refusals[0].fix, /k3s: start the servers with --disable-kube-proxy/);
    assert.match(
      r.refusals[1].found,
      /^k3s's embedded flannel \(server node .*: k3s\.io\/node-args has no --flannel-backend none\)$/,
    );
    assert.match(r.refusals[1].fix, /--flannel-backend=none --disable-network-policy/);
    // Also when flannel has not annotated any node yet: the node-args decide.
    const bare = judgePreflight({ ...docs, nodes: k3sNodes(["server"], false) }, INTENT);
    assert.match(bare.refusals.map((x) => x.found).join("\n"), /k3s's embedded flannel/);
  });

  it("accepts a k3s server prepared for Cilium, even with the flannel annotations k3s left on it", () => {
    // k3s-io/k3s#3932: a `--flannel-backend=none` server still carried flannel.alpha.coreos.com/*.
    for (const args of [
      ["server", "--flannel-backend", "none", "--disable-network-policy", "--disable-kube-proxy"],
      ["server", "--flannel-backend", "none", "--disable-kube-proxy", "true"],
      ["server", "--no-flannel", "--disable-kube-proxy"],
    ]) {
      const docs = { daemonSets: emptyList(), kubeProxyPods: emptyList(), nodes: k3sNodes(args, true) };
      assert.deepEqual(judgePreflight(docs, INTENT).refusals, [], args.join(" "));
    }
    // `--disable-kube-proxy false` (the split `--disable-kube-proxy=false`) leaves kube-proxy on.
    const on = k3sNodes(["server", "--flannel-backend", "none", "--disable-kube-proxy", "false"], false);
    assert.deepEqual(
      judgePreflight({ daemonSets: emptyList(), kubeProxyPods: emptyList(), nodes: on }, INTENT).refusals.map(
        (x) => x.what,
      ),
      ["kube-proxy is running"],
    );
  });

  describe("Cilium installed by cilium-cli on a real EKS cluster (imroc/kubernetes-guide)", () => {
    const read = (f: string): string => fs.readFileSync(path.join(FIX, "cluster", "eks-cilium", f), "utf8");
    const config = kubectlList([parseYaml(read("cilium-config.yaml"))]);

    it("left kube-proxy replacement off beside kube-proxy: the rule the kube-proxy refusal cites", () => {
      assert.match(read("cilium-install.txt"), /Auto-detected kube-proxy has been installed/);
      assert.equal(clusterProfileOf(config)?.kubeProxyReplacement, "false");
      const r = judgePreflight(shapeDocs("eks"), INTENT);
      const proxy = r.refusals.find((x) => x.what === "kube-proxy is running");
      assert.match(proxy?.fix ?? "", /cilium-cli itself leaves kube-proxy replacement off/);
    });

    it("reads its real ENI cilium-config as it reads the derived one (same profile, same differences)", () => {
      const derived = JSON.parse(
        fs.readFileSync(path.join(FIX, "cluster", "derived", "cilium-config-eni.json"), "utf8"),
      ) as unknown;
      const real = clusterProfileOf(config);
      const fromDerived = clusterProfileOf(derived);
      assert.ok(real !== undefined && fromDerived !== undefined);
      assert.deepEqual(
        { ...real, autoDirectNodeRoutes: undefined },
        { ...fromDerived, autoDirectNodeRoutes: undefined },
      );
      // The real one says auto-direct-node-routes "false" where the derived one leaves it unset.
      assert.equal(real.autoDirectNodeRoutes, "false");
      const keys = (p: typeof real) =>
        profileDifferences(p, { nativeRoutingCidr: "10.0.0.0/8" }).map((d) => d.key);
      assert.deepEqual(keys(real), keys(fromDerived));
    });

    it("is another Cilium to the preflight (no stack marker on its agent DaemonSet)", () => {
      const eks = shapeDocs("eks");
      const ds = eks.daemonSets as List;
      const withCilium = { ...ds, items: [...ds.items, parseYaml(read("cilium-daemonset.yaml")) as Obj] };
      const r = judgePreflight({ ...eks, daemonSets: withCilium }, INTENT);
      assert.match(
        r.refusals.find((x) => x.what === "another CNI is installed")?.found ?? "",
        /Cilium: DaemonSet kube-system\/cilium \(not installed by this stack: no cilium-ebpf-lab\/stack=cilium-ebpf-lab\/dev\)/,
      );
    });
  });
});
