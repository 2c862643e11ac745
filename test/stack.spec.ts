import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import {
  FAKE_KUBECONFIG,
  plaintextHolders,
  MockedResource,
  RunResult,
  engineLikeId,
  isSecret,
  ofType,
  runLab,
} from "./helpers/pulumiMocks";
import { groupWork } from "./helpers/processes";
import { shellJoin } from "../lib/shell";

type Obj = Record<string, unknown>;
const get = (o: unknown, ...keys: (string | number)[]): unknown =>
  keys.reduce<unknown>((v, k) => (v === undefined || v === null ? undefined : (v as Obj)[k as string]), o);

function one(r: RunResult, type: string, nameSuffix = ""): MockedResource {
  const found = ofType(r.resources, type).filter((x) => x.name.endsWith(nameSuffix));
  assert.strictEqual(
    found.length,
    1,
    `expected one ${type} named *${nameSuffix}, found ${found.map((f) => f.name)}`,
  );
  return found[0];
}

const STACKS = [
  {
    file: "Pulumi.dev.yaml",
    version: "1.13.0-rc5",
    cluster: "cilium-kubeproxy-replacement-ebpf",
    image: "kindest/node:v1.23.17@sha256:e5fd1d9cd7a9a50939f9c005684df5a6d145e8d695e78463637b79464292e66c",
    subnet: "172.16.10.0/24",
  },
  {
    file: "Pulumi.current.yaml",
    version: "1.18.12",
    cluster: "cilium-native-routing-current",
    image: "kindest/node:v1.33.1@sha256:050072256b9a903bd914c0b2866828150cb229cea0efe5892e2b644d5dd3b34f",
    subnet: "172.16.20.0/24",
  },
];

for (const stack of STACKS) {
  describe(`the stack for ${stack.file} (under mocks)`, function () {
    let r: RunResult;
    before(async function () {
      this.timeout(120000); // the first run compiles the whole program
      r = await runLab({ stackFile: stack.file });
    });

    it("declares every resource once under a unique name", () => {
      const urns = r.resources.map((x) => `${x.type}::${x.name}`);
      assert.strictEqual(new Set(urns).size, urns.length, urns.join("\n"));
    });

    it("creates the kind network with the configured subnet and a gateway in it", () => {
      const net = one(r, "docker:index/network:Network");
      assert.strictEqual(net.inputs.name, `kind-${stack.cluster}`);
      assert.deepStrictEqual(get(net.inputs, "ipamConfigs", 0, "subnet"), stack.subnet);
      assert.strictEqual(get(net.inputs, "ipamConfigs", 0, "gateway"), stack.subnet.replace(/0\/24$/, "1"));
    });

    it("runs kind create with the config on stdin: no default CNI, no kube-proxy, 1 control-plane and 2 workers", () => {
      const create = one(r, "command:local:Command", "lab-cluster");
      const cfg = parse(String(create.inputs.stdin)) as Obj;
      assert.deepStrictEqual(cfg.networking, { disableDefaultCNI: true, kubeProxyMode: "none" });
      assert.deepStrictEqual(
        (cfg.nodes as { role: string }[]).map((n) => n.role),
        ["control-plane", "worker", "worker"],
      );
      assert.match(
        String(create.inputs.create),
        new RegExp(`image=${stack.image.replace(/[.:@]/g, "\\\\?.").replace(/\//g, "/")}`),
      );
      assert.match(
        String(create.inputs.create),
        /kind create cluster --name "\$name" --image "\$image" --kubeconfig "\$kc" --config -/,
      );
      assert.match(String(create.inputs.create), new RegExp(`network=kind-${stack.cluster}`));
      assert.match(String(create.inputs.delete), /kind delete cluster --name "\$name"/);
    });

    it("keeps the kubeconfig secret and out of the command logs", async () => {
      const cmd = one(r, "command:local:Command", "lab-kubeconfig");
      assert.strictEqual(cmd.inputs.logging, "none");
      assert.strictEqual(await isSecret(r.rawOutputs.kubeconfig), true);
      assert.strictEqual(r.outputs.kubeconfig, FAKE_KUBECONFIG);
      const provider = one(r, "pulumi:providers:kubernetes");
      const kc = provider.inputs.kubeconfig as Obj | string;
      assert.ok(
        typeof kc === "object" && kc !== null && "value" in kc,
        "the provider gets the kubeconfig as a secret",
      );
      // The cluster instance: its name and the id of the create Command that made it.
      const cluster = one(r, "command:local:Command", "lab-cluster");
      assert.strictEqual(
        provider.inputs.clusterIdentifier,
        `${stack.cluster}/${engineLikeId(cluster.type, cluster.name, cluster.inputs)}`,
      );
    });

    it("never puts the kubeconfig in plaintext into any resource input", () => {
      assert.deepStrictEqual(plaintextHolders(r.resources, "client-key-data"), []);
      // The walker itself finds plaintext (and only plaintext).
      const leak = { ...r.resources[0], type: "t", name: "n", inputs: { x: FAKE_KUBECONFIG } };
      assert.deepStrictEqual(plaintextHolders([leak], "client-key-data"), ["t n"]);
    });

    it("publishes the node inventory from kubectl get nodes -o json", () => {
      assert.deepStrictEqual(
        (r.outputs.nodes as { name: string; role: string; internalIp: string }[]).map((n) => n.internalIp),
        ["172.18.0.4", "172.18.0.3", "172.18.0.2"],
      );
    });

    it(`installs the cilium chart ${stack.version} from helm.cilium.io into kube-system on the lab provider`, () => {
      const rel = one(r, "kubernetes:helm.sh/v3:Release");
      assert.strictEqual(rel.inputs.chart, "cilium");
      assert.strictEqual(rel.inputs.name, "cilium");
      assert.strictEqual(rel.inputs.version, stack.version);
      assert.strictEqual(rel.inputs.namespace, "kube-system");
      assert.deepStrictEqual(rel.inputs.repositoryOpts, { repo: "https://helm.cilium.io" });
      assert.match(String(rel.provider), /pulumi:providers:kubernetes::lab/);
      assert.strictEqual(r.outputs.ciliumVersion, stack.version);
    });

    it("writes native routing, strict KPR and BPF masquerade with the control-plane as API server", () => {
      const values = one(r, "kubernetes:helm.sh/v3:Release").inputs.values as Obj;
      assert.strictEqual(values.k8sServiceHost, "172.18.0.4");
      assert.strictEqual(values.k8sServicePort, 6443);
      assert.strictEqual(values.autoDirectNodeRoutes, true);
      assert.strictEqual(values.ipv4NativeRoutingCIDR, "10.0.0.0/8");
      assert.strictEqual(get(values, "bpf", "masquerade"), true);
      assert.strictEqual(get(values, "bpf", "monitorAggregation"), "none");
      assert.strictEqual(values.monitorAggregation, undefined);
      if (stack.version.startsWith("1.13")) {
        assert.strictEqual(values.kubeProxyReplacement, "strict");
        assert.strictEqual(values.tunnel, "disabled");
        assert.strictEqual(get(values, "ipam", "operator", "clusterPoolIPv4PodCIDR"), "10.0.0.0/8");
      } else {
        assert.strictEqual(values.kubeProxyReplacement, true);
        assert.strictEqual(values.routingMode, "native");
        assert.strictEqual(values.tunnel, undefined);
        assert.deepStrictEqual(get(values, "ipam", "operator", "clusterPoolIPv4PodCIDRList"), ["10.0.0.0/8"]);
      }
      assert.deepStrictEqual(r.outputs.ciliumValues, values);
    });

    it("runs the test DaemonSet privileged on every node, the control plane included", () => {
      const ds = ofType(r.resources, "kubernetes:apps/v1:DaemonSet").find(
        (d) => d.name === "workload-daemonset",
      );
      assert.ok(ds);
      assert.strictEqual(get(ds.inputs, "metadata", "name"), "evescn");
      assert.deepStrictEqual(get(ds.inputs, "spec", "selector", "matchLabels"), { app: "evescn" });
      const pod = get(ds.inputs, "spec", "template", "spec") as Obj;
      const keys = (pod.tolerations as Obj[]).map((t) => `${t.key}:${t.effect}`);
      assert.deepStrictEqual(keys, [
        "node-role.kubernetes.io/master:NoSchedule",
        "node-role.kubernetes.io/control-plane:NoSchedule",
      ]);
      assert.strictEqual(get(pod, "containers", 0, "securityContext", "privileged"), true);
      assert.strictEqual(get(pod, "containers", 0, "ports", 0, "containerPort"), 80);
      assert.match(String(get(pod, "containers", 0, "command", 2)), /PodName: %s \| PodIP: eth0 %s/);
    });

    it("runs the node probe on the host network, privileged, tolerating every taint", () => {
      const ds = ofType(r.resources, "kubernetes:apps/v1:DaemonSet").find(
        (d) => d.name === "workload-node-probe",
      );
      assert.ok(ds);
      const pod = get(ds.inputs, "spec", "template", "spec") as Obj;
      assert.strictEqual(pod.hostNetwork, true);
      assert.deepStrictEqual(pod.tolerations, [{ operator: "Exists" }]);
      assert.strictEqual(get(pod, "containers", 0, "securityContext", "privileged"), true);
    });

    it("exposes serversvc as NodePort 8080 -> 80 on nodePort 32000", () => {
      const svc = one(r, "kubernetes:core/v1:Service");
      assert.strictEqual(get(svc.inputs, "metadata", "name"), "serversvc");
      assert.strictEqual(get(svc.inputs, "spec", "type"), "NodePort");
      assert.deepStrictEqual(get(svc.inputs, "spec", "ports"), [
        { name: "cni", protocol: "TCP", port: 8080, targetPort: 80, nodePort: 32000 },
      ]);
      assert.strictEqual(r.outputs.nodePort, 32000);
    });

    it("creates the client pod net", () => {
      const pod = one(r, "kubernetes:core/v1:Pod");
      assert.strictEqual(get(pod.inputs, "metadata", "name"), "net");
      assert.deepStrictEqual(get(pod.inputs, "spec", "containers", 0, "command"), ["sleep", "infinity"]);
    });

    it("parents every child to its component and every Kubernetes object to the lab provider", () => {
      const components = r.resources.filter((x) => x.type.startsWith("lab:index:")).map((x) => x.type);
      assert.deepStrictEqual(
        components.sort(),
        [
          "lab:index:CiliumRelease",
          "lab:index:KindCluster",
          "lab:index:LabPreflight",
          "lab:index:LabWorkload",
        ]
          .concat(components.includes("lab:index:LabChecks") ? ["lab:index:LabChecks"] : [])
          .sort(),
      );
      for (const res of r.resources.filter((x) => x.type.startsWith("kubernetes:"))) {
        assert.match(String(res.provider), /::lab::/, `${res.name} must use the lab provider`);
      }
    });

    it("publishes the cluster name and workload names", () => {
      assert.strictEqual(r.outputs.clusterName, stack.cluster);
      assert.deepStrictEqual(r.outputs.workload, {
        namespace: "default",
        daemonSet: "evescn",
        service: "serversvc",
        client: "net",
        nodeProbe: "node-probe",
      });
    });
  });
}

describe("the stack with bad config (under mocks)", () => {
  it("declares nothing when a value is invalid", async () => {
    const err = await runLab({ config: { nodePort: "80" } }).then(
      () => assert.fail("expected a config error"),
      (e: Error & { resources?: unknown[] }) => e,
    );
    assert.match(err.message, /cilium-ebpf-lab:nodePort = "80": must be an integer in 30000-32767/);
    assert.deepStrictEqual(err.resources, []);
  });
});

describe("the stack with another chart source (ciliumChart, ciliumChartRepo, under mocks)", () => {
  it("installs a chart archive on disk, with no repository", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chart-"));
    const archive = path.join(dir, "cilium-1.13.0-rc5.tgz");
    fs.writeFileSync(archive, "");
    const rel = one(await runLab({ config: { ciliumChart: archive } }), "kubernetes:helm.sh/v3:Release");
    assert.strictEqual(rel.inputs.chart, archive);
    assert.strictEqual(rel.inputs.repositoryOpts, undefined);
    assert.strictEqual(rel.inputs.version, "1.13.0-rc5");
  });

  it("installs from a mirror repository (ciliumChartRepo)", async () => {
    const mirror = one(
      await runLab({ config: { ciliumChartRepo: "https://charts.example.internal/cilium/" } }),
      "kubernetes:helm.sh/v3:Release",
    );
    assert.strictEqual(mirror.inputs.chart, "cilium");
    assert.deepStrictEqual(mirror.inputs.repositoryOpts, { repo: "https://charts.example.internal/cilium" });
  });
});

describe("the stack with a declared datapath variant (datapathVariant, under mocks)", () => {
  it("installs legacy host routing, says so on the release, and hands the checks the declared difference", async () => {
    const r = await runLab({ config: { datapathVariant: "legacy-host-routing", clusterName: "lab-legacy" } });
    const rel = one(r, "kubernetes:helm.sh/v3:Release");
    assert.strictEqual(get(rel.inputs, "values", "bpf", "hostLegacyRouting"), true);
    assert.strictEqual(rel.inputs.description, "lab/datapath-variant=legacy-host-routing");
    const run = one(r, "command:local:Command", "checks-run");
    const create = groupWork(String(run.inputs.create));
    const differences = JSON.stringify([
      { key: "enable-host-legacy-routing", found: "true", lab: "false (BPF host routing)" },
    ]);
    assert.ok(create.includes(`--profile-differences ${shellJoin([differences])}`), create);
  });

  it("leaves the default (bpf) stack's inputs as they were: no description, no hostLegacyRouting, no differences", async () => {
    const r = await runLab({ config: { datapathVariant: "bpf" } });
    const rel = one(r, "kubernetes:helm.sh/v3:Release");
    assert.strictEqual(rel.inputs.description, undefined);
    assert.strictEqual(get(rel.inputs, "values", "bpf", "hostLegacyRouting"), undefined);
    const run = one(r, "command:local:Command", "checks-run");
    assert.doesNotMatch(String(run.inputs.create), /--profile-differences/);
  });
});
