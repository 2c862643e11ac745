import { ALL_CHECKS } from "../checks/defs";
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { FakeCluster, clusterShape, installFakeCluster } from "./helpers/fakeCluster";
import { DEFAULT_TEST_IMAGE } from "../lib/configKeys";
import { nodeProbeDaemonSet } from "../lib/nodeProbeSpec";
import {
  FAKE_KUBECONFIG,
  FAKE_KUBECONFIG_REMOTE,
  plaintextHolders,
  isSecret,
  ofType,
  runLab,
  unwrap,
} from "./helpers/pulumiMocks";
import { groupWork } from "./helpers/processes";

type Obj = Record<string, unknown>;

describe("existing-cluster mode (under mocks, a fake kubectl answering with recorded clusters)", function () {
  // Each run starts real processes (the fake kubectl, the real kubectl for config view).
  this.timeout(90_000);
  let dir: string;
  let kubeconfigPath: string;
  let fake: FakeCluster | undefined;
  const writeKubeconfig = (name: string, text: string): string => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text, { mode: 0o600 });
    return file;
  };
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-kc-"));
    kubeconfigPath = writeKubeconfig("config", FAKE_KUBECONFIG_REMOTE);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  afterEach(() => {
    fake?.restore();
    fake = undefined;
  });
  const existing = (extra: Record<string, string> = {}) => ({
    config: { clusterMode: "existing", kubeconfigPath, context: "prod-admin", clusterName: "prod", ...extra },
  });

  it("reads the cluster before declaring anything, keeps one context, publishes no kubeconfig", async () => {
    fake = installFakeCluster(clusterShape("seed"));
    const r = await runLab(existing());
    assert.deepStrictEqual(ofType(r.resources, "docker:index/network:Network"), []);
    assert.deepStrictEqual(ofType(r.resources, "lab:index:KindCluster"), []);
    // Only reads: config view, then three gets (no exec, create or apply).
    const verbs = fake.calls().map((c) =>
      c.argv
        .filter((a) => !a.startsWith("-") && !a.includes("/"))
        .slice(0, 2)
        .join(" "),
    );
    assert.deepStrictEqual(verbs, ["config view", "get daemonsets", "get pods", "get nodes"]);
    assert.ok(fake.calls()[0].argv.join(" ").includes("config view --minify --flatten --kubeconfig"));
    assert.deepStrictEqual(fake.calls()[0].argv.slice(-2), ["--context", "prod-admin"]);
    // The gets use the minified kubeconfig in a private temporary file.
    for (const c of fake.calls().slice(1)) {
      assert.strictEqual(c.kubeconfigMode, "600");
      assert.match(c.kubeconfig ?? "", /current-context: prod-admin/);
      assert.doesNotMatch(c.kubeconfig ?? "", /OTHER-TEAM-TOKEN/);
    }
    const provider = ofType(r.resources, "pulumi:providers:kubernetes")[0];
    assert.strictEqual(provider.inputs.context, "prod-admin");
    // Unset, so PULUMI_K8S_DELETE_UNREACHABLE=true (the recovery when this cluster is gone) takes
    // effect: a set provider value overrides it (pulumi-kubernetes provider.go lines 619-632).
    assert.strictEqual(provider.inputs.deleteUnreachable, undefined);
    assert.deepStrictEqual(plaintextHolders(r.resources, "client-key-data"), []);
    const kc = await unwrap(r.rawOutputs.kubeconfig as string);
    assert.strictEqual(kc, "not published in existing mode");
    // No node inventory command any more: the nodes were read at program time (known at preview).
    assert.strictEqual(
      r.resources.find((x) => x.name === "existing-nodes"),
      undefined,
    );
    assert.strictEqual((r.outputs.nodes as Obj[]).length, 3);
    // Cilium gets the API server of the kubeconfig context (host and port), not a node address.
    const release = ofType(r.resources, "kubernetes:helm.sh/v3:Release")[0];
    const values = release.inputs.values as Obj;
    assert.strictEqual(values.k8sServiceHost, "172.18.0.4");
    assert.strictEqual(values.k8sServicePort, 6443);
    assert.deepStrictEqual(values.podAnnotations, { "cilium-ebpf-lab/stack": "cilium-ebpf-lab/test" });
    // destroy leaves the cluster's CNI alone unless asked.
    assert.strictEqual(release.options.retainOnDelete, true);
    const check = r.resources.find((x) => x.name === "checks-run");
    assert.ok(check);
    assert.match(groupWork(String(check.inputs.create)), /--kubeconfig .*config --context prod-admin/);
    assert.match(groupWork(String(check.inputs.create)), /--namespace cilium-ebpf-lab/);
  });

  it("puts the privileged pods in a namespace of their own, checked by a server dry run, with no node-probe resource (nodeProbe run)", async () => {
    fake = installFakeCluster(clusterShape("seed"));
    const r = await runLab(existing());
    const ns = ofType(r.resources, "kubernetes:core/v1:Namespace");
    assert.strictEqual(ns.length, 1);
    const meta = ns[0].inputs.metadata as { name: string; labels: Record<string, string> };
    assert.strictEqual(meta.name, "cilium-ebpf-lab");
    assert.strictEqual(meta.labels["pod-security.kubernetes.io/enforce"], "privileged");
    const admission = r.resources.find((x) => x.name === "workload-admission");
    assert.ok(admission);
    assert.match(String(admission.inputs.create), /create --dry-run=server -o name -f -/);
    const manifest = JSON.parse(String((admission.inputs.environment as Obj).LAB_ADMISSION_MANIFEST)) as {
      items: { metadata: { name: string; namespace: string }; spec: Obj }[];
    };
    // The runs will create the node probe: its pod template is dry-run too (test pods, probe, client).
    assert.deepStrictEqual(
      manifest.items.map((i) => [i.metadata.name, i.metadata.namespace]),
      [
        ["evescn-admission-check", "cilium-ebpf-lab"],
        ["node-probe-admission-check", "cilium-ebpf-lab"],
        ["net-admission-check", "cilium-ebpf-lab"],
      ],
    );
    assert.deepStrictEqual(
      manifest.items[1].spec,
      nodeProbeDaemonSet({ namespace: "cilium-ebpf-lab", image: DEFAULT_TEST_IMAGE }).spec.template.spec,
    );
    const daemonSets = ofType(r.resources, "kubernetes:apps/v1:DaemonSet");
    assert.deepStrictEqual(
      daemonSets.map((d) => (d.inputs.metadata as Obj).name),
      ["evescn"],
      "only the test DaemonSet: with nodeProbe run the stack declares no node probe",
    );
    assert.match(
      String((r.outputs.workload as Obj).nodeProbe),
      /created by each check run .* deleted when the run ends/,
    );
    // The runner gets what it needs to create the probe itself: the mode and the config's image.
    const check = r.resources.find((x) => x.name === "checks-run");
    assert.ok(check);
    const create = groupWork(String(check.inputs.create));
    assert.match(create, / --node-probe run --node-probe-image /);
    assert.ok(
      create.includes(`--node-probe-image '${DEFAULT_TEST_IMAGE}'`) ||
        create.includes(`--node-probe-image ${DEFAULT_TEST_IMAGE}`),
    );
    assert.match(create, /--namespace cilium-ebpf-lab/);
    // The measurement's node-to-node pair needs the probe too: its runner creates its own.
    const withPerf = await runLab(existing({ runPerformance: "true" }));
    const perf = withPerf.resources.find((x) => x.name === "perf-run");
    assert.match(String(perf?.inputs.create), / --node-probe run --node-probe-image /);
    await assert.rejects(
      runLab(existing({ namespace: "default" })),
      /namespace = "default": must be a namespace of the lab's own/,
    );
  });

  it("deploys the node probe only with nodeProbe keep (or the old true), in the lab's namespace; off tests no probe", async () => {
    fake = installFakeCluster(clusterShape("seed"));
    for (const value of ["keep", "true"]) {
      const r = await runLab(existing({ nodeProbe: value }));
      const probe = r.resources.find((x) => x.name === "workload-node-probe");
      assert.ok(probe, value);
      assert.strictEqual((probe.inputs.metadata as Obj).namespace, "cilium-ebpf-lab");
      const check = r.resources.find((x) => x.name === "checks-run");
      assert.doesNotMatch(String(check?.inputs.create), /--node-probe/, "the runner uses the kept probe");
    }
    for (const value of ["off", "false"]) {
      const r = await runLab(existing({ nodeProbe: value }));
      assert.strictEqual(
        r.resources.find((x) => x.name === "workload-node-probe"),
        undefined,
      );
      const admission = r.resources.find((x) => x.name === "workload-admission");
      const manifest = JSON.parse(String((admission?.inputs.environment as Obj).LAB_ADMISSION_MANIFEST)) as {
        items: { metadata: { name: string } }[];
      };
      assert.deepStrictEqual(
        manifest.items.map((i) => i.metadata.name),
        ["evescn-admission-check", "net-admission-check"],
      );
      const check = r.resources.find((x) => x.name === "checks-run");
      assert.match(String(check?.inputs.create), / --node-probe off /);
      assert.match(String((r.outputs.workload as Obj).nodeProbe), /not deployed \(nodeProbe: off\)/);
    }
    await assert.rejects(
      runLab(existing({ nodeProbe: "always" })),
      /nodeProbe = "always": must be run .*, keep or true .*, off or false/,
    );
  });

  it("refuses, with nothing declared, to install Cilium on the recorded EKS cluster", async () => {
    fake = installFakeCluster(clusterShape("eks"));
    const err = (await runLab(existing()).then(
      () => assert.fail("expected a refusal"),
      (e: unknown) => e,
    )) as Error & { resources: unknown[] };
    assert.deepStrictEqual(err.resources, []);
    assert.match(err.message, /the lab will not install Cilium here; nothing was created/);
    assert.match(err.message, /managed EKS cluster/);
    assert.match(err.message, /kube-proxy is running\. Found: DaemonSet kube-system\/kube-proxy/);
    assert.match(err.message, /Amazon VPC CNI \(aws-node\): DaemonSet kube-system\/aws-node/);
    assert.match(err.message, /ip-10-0-10-170\.ec2\.internal 10\.0\.10\.170 in podCidr 10\.0\.0\.0\/8/);
    assert.match(err.message, /docs\.cilium\.io\/en\/stable\/network\/kubernetes\/kubeproxy-free/);
    // Verifying a Cilium someone installed there is allowed (nothing is installed), judged against
    // that Cilium's own cilium-config; without one there is nothing to verify.
    await assert.rejects(
      runLab(existing({ installCilium: "false" })),
      /installCilium is false, but no namespace has a cilium-config ConfigMap/,
    );
  });

  it("verifies the cluster's own Cilium (installCilium false) against its cilium-config", async () => {
    fake = installFakeCluster({
      ...clusterShape("eks"),
      ciliumConfigs: JSON.parse(
        fs.readFileSync(
          path.join(__dirname, "fixtures", "cluster", "derived", "cilium-config-eni.json"),
          "utf8",
        ),
      ),
    });
    const r = await runLab(existing({ installCilium: "false" }));
    assert.deepStrictEqual(ofType(r.resources, "kubernetes:helm.sh/v3:Release"), []);
    assert.strictEqual((r.outputs.nodes as Obj[]).length, 2);
    const profile = r.outputs.clusterProfile as { summary: string; found: Obj };
    assert.match(
      profile.summary,
      /^differs from the lab profile: ipam eni \(lab: cluster-pool\); kube-proxy-replacement false/,
    );
    assert.strictEqual(profile.found.ipamMode, "eni");
    const check = r.resources.find((x) => x.name === "checks-run");
    assert.ok(check);
    const create = groupWork(String(check.inputs.create));
    assert.match(
      create,
      /--cilium-namespace kube-system --ipam-mode eni --profile-differences '\[\{"key":"ipam"/,
    );
    // Its cilium-config has no ipv4-native-routing-cidr: the checks judge against "unset", not 10.0.0.0/8.
    assert.match(create, / --native-cidr unset /);
  });

  it("stops preview with the keys to check when the cluster cannot be read", async () => {
    fake = installFakeCluster({
      ...clusterShape("seed"),
      failWith:
        "The connection to the server 172.18.0.4:6443 was refused - did you specify the right host or port?\n",
    });
    await assert.rejects(runLab({ ...existing(), preview: true }), (e: Error & { resources: unknown[] }) => {
      assert.match(e.message, /kubectl get daemonsets --all-namespaces -o json failed: The connection/);
      assert.match(e.message, /cilium-ebpf-lab:kubeconfigPath\/kubeconfig and cilium-ebpf-lab:context/);
      assert.deepStrictEqual(e.resources, []);
      return true;
    });
    await assert.rejects(
      runLab(existing({ context: "no-such-context" })),
      /context "no-such-context".*cannot locate context no-such-context|cannot locate context/,
    );
  });

  it("uninstalls Cilium on destroy only when asked, with cni.uninstall, where the chart has the key", async () => {
    fake = installFakeCluster(clusterShape("seed"));
    const r = await runLab(existing({ uninstallCiliumOnDestroy: "true", ciliumVersion: "1.18.12" }));
    const release = ofType(r.resources, "kubernetes:helm.sh/v3:Release")[0];
    assert.notStrictEqual(release.options.retainOnDelete, true);
    assert.deepStrictEqual((release.inputs.values as Obj).cni, { uninstall: true });
    const kept = await runLab(existing({ ciliumVersion: "1.18.12" }));
    const keptRelease = ofType(kept.resources, "kubernetes:helm.sh/v3:Release")[0];
    assert.strictEqual(keptRelease.options.retainOnDelete, true);
    assert.deepStrictEqual((keptRelease.inputs.values as Obj).cni, { uninstall: false });
    await assert.rejects(
      runLab(existing({ uninstallCiliumOnDestroy: "true" })),
      /uninstallCiliumOnDestroy = "true": must be false with Cilium 1.13.0-rc5: uninstalling needs a chart with cni.uninstall/,
    );
  });

  it("uses the managed endpoint's port 443, the k8sServicePort key, and refuses a loopback API server", async () => {
    fake = installFakeCluster(clusterShape("seed"));
    const managed = writeKubeconfig(
      "managed",
      FAKE_KUBECONFIG.replace(
        "https://127.0.0.1:40001",
        "https://0123456789ABCDEF.gr7.us-east-1.eks.amazonaws.com",
      ),
    );
    const r = await runLab(existing({ kubeconfigPath: managed }));
    const values = ofType(r.resources, "kubernetes:helm.sh/v3:Release")[0].inputs.values as Obj;
    assert.strictEqual(
      values.k8sServiceHost,
      "0123456789ABCDEF.gr7.us-east-1.eks.amazonaws.com".toLowerCase(),
    );
    assert.strictEqual(values.k8sServicePort, 443);
    const port = await runLab(existing({ k8sServicePort: "8443", k8sServiceHost: "10.1.2.3" }));
    const v2 = ofType(port.resources, "kubernetes:helm.sh/v3:Release")[0].inputs.values as Obj;
    assert.deepStrictEqual([v2.k8sServiceHost, v2.k8sServicePort], ["10.1.2.3", 8443]);
    await assert.rejects(
      runLab(existing({ k8sServicePort: "70000" })),
      /k8sServicePort = "70000": must be a TCP port/,
    );
    const loop = writeKubeconfig(
      "loop",
      FAKE_KUBECONFIG, // its server is https://127.0.0.1:40001
    );
    await assert.rejects(
      runLab(existing({ kubeconfigPath: loop })),
      /loopback address.*set cilium-ebpf-lab:k8sServiceHost and cilium-ebpf-lab:k8sServicePort/s,
    );
  });

  it("keeps a kubeconfig given as a secret value out of every plaintext input, reduced to one context", async () => {
    fake = installFakeCluster(clusterShape("seed"));
    const r = await runLab({
      config: {
        clusterMode: "existing",
        kubeconfig: FAKE_KUBECONFIG,
        clusterName: "prod",
        k8sServiceHost: "10.1.2.3",
      },
    });
    assert.deepStrictEqual(plaintextHolders(r.resources, "client-key-data"), []);
    const check = r.resources.find((x) => x.name === "checks-run");
    assert.ok(check);
    assert.match(groupWork(String(check.inputs.create)), /printf '%s\\n' "\$LAB_KUBECONFIG" >"\$kc"/);
    // Secret inputs reach the mocks wrapped as { [sig]: secretSig, value } (here the whole environment).
    const kc = JSON.stringify(check.inputs.environment);
    assert.match(String(kc), /client-key-data/);
    assert.doesNotMatch(String(kc), /OTHER-TEAM-TOKEN/);
    assert.strictEqual(await isSecret(r.rawOutputs.checks), false);
    const values = ofType(r.resources, "kubernetes:helm.sh/v3:Release")[0].inputs.values as Obj;
    assert.strictEqual(values.k8sServiceHost, "10.1.2.3");
  });

  it("rejects existing mode without a kubeconfig, and kind-only keys in kind mode", async () => {
    await assert.rejects(
      runLab({ config: { clusterMode: "existing" } }),
      /exactly one of kubeconfigPath or kubeconfig/,
    );
    await assert.rejects(runLab({ config: { kubeconfigPath } }), /only used with clusterMode existing/);
    await assert.rejects(
      runLab({ config: { clusterMode: "existing", kubeconfig: FAKE_KUBECONFIG, nodePort: "1" } }),
      (e: Error) => !e.message.includes("client-key-data") && /nodePort/.test(e.message),
    );
  });
});

describe("check wiring (under mocks)", () => {
  it("declares one Command running every check, re-run by checksRunId, failing up only when asked", async () => {
    const r = await runLab({ config: { checksRunId: "2026-11-25", failOnCheckFailure: "true" } });
    const cmds = r.resources.filter((x) => x.name.startsWith("checks-"));
    assert.deepStrictEqual(
      cmds.map((c) => c.name),
      ["checks-run"],
      "one runner: discovery once, one Node process, one exec bound for the run",
    );
    for (const c of cmds) {
      assert.match(
        groupWork(String(c.inputs.create)),
        new RegExp(`--only ${ALL_CHECKS.map((d) => d.name).join(",")} `),
      );
      // checksRunId first, then what the verdicts describe (test/lifecycle.spec.ts covers those).
      assert.strictEqual((c.inputs.triggers as string[])[0], "2026-11-25");
      assert.strictEqual((c.inputs.triggers as string[]).length, 4);
      assert.match(groupWork(String(c.inputs.create)), /--fail-on-failure/);
      assert.match(groupWork(String(c.inputs.create)), /^timeout --kill-after=10 600 node/);
      assert.match(
        groupWork(String(c.inputs.create)),
        /--kind-cluster cilium-kubeproxy-replacement-ebpf --node-device eth0/,
      );
    }
  });

  it("runs no check when runChecks is false", async () => {
    const r = await runLab({ config: { runChecks: "false" } });
    assert.deepStrictEqual(ofType(r.resources, "lab:index:LabChecks"), []);
    assert.deepStrictEqual(r.outputs.checks, { summary: "checks not run (runChecks: false)", results: [] });
  });

  it("gives identical inputs to every resource on two runs with the same config", async () => {
    const a = await runLab({ stackFile: "Pulumi.dev.yaml" });
    const b = await runLab({ stackFile: "Pulumi.dev.yaml" });
    const inputs = (r: typeof a) =>
      r.resources
        .map((x) => [x.type, x.name, x.inputs])
        .sort((p, q) => String(p[1]).localeCompare(String(q[1])));
    assert.deepStrictEqual(inputs(a), inputs(b));
  });
});

describe("performance wiring (under mocks)", () => {
  it("measures nothing unless runPerformance is true", async () => {
    const r = await runLab({});
    assert.deepStrictEqual(ofType(r.resources, "lab:index:LabPerformance"), []);
    assert.match(String((r.outputs.performance as Obj).summary), /not measured/);
  });

  it("runs one bounded measurement after the checks and publishes what the runner printed", async () => {
    const doc = JSON.parse(
      fs.readFileSync(path.join(__dirname, "fixtures", "report", "seed-stack-output.json"), "utf8"),
    ) as { performance: Obj };
    const r = await runLab({
      config: { runPerformance: "true", perfDurationSeconds: "5", perfStreams: "2", perfPingSamples: "50" },
      commandStdout: (name) =>
        name === "perf-run" ? JSON.stringify({ performance: doc.performance }) : undefined,
    });
    const cmd = r.resources.find((x) => x.name === "perf-run");
    assert.ok(cmd);
    assert.match(
      groupWork(String(cmd.inputs.create)),
      /^timeout --kill-after=10 \d+ node cli\/run\.js perf --kind-cluster cilium-kubeproxy-replacement-ebpf/,
    );
    assert.match(
      groupWork(String(cmd.inputs.create)),
      /--duration 5 --omit 1 --streams 2 --repeats 5 --samples 50 --rr-samples 1000 --port 5201 --datapath-profile lab /,
    );
    assert.deepStrictEqual(r.outputs.performance, doc.performance);
  });

  it("installs the measurement datapath and tells the runner so only when performance is measured", async () => {
    const measured = await runLab({ config: { runPerformance: "true", perfProfile: "measurement" } });
    const values = ofType(measured.resources, "kubernetes:helm.sh/v3:Release")[0].inputs.values as Obj;
    assert.deepStrictEqual(values.debug, { enabled: false });
    assert.deepStrictEqual(values.hubble, { enabled: false });
    assert.deepStrictEqual((values.bpf as Obj).monitorAggregation, "medium");
    const cmd = measured.resources.find((x) => x.name === "perf-run");
    assert.match(String(cmd?.inputs.create), /--datapath-profile measurement /);
    // Without runPerformance the profile changes nothing: the write-up's debug datapath.
    const lab = await runLab({ config: { perfProfile: "measurement" } });
    const labValues = ofType(lab.resources, "kubernetes:helm.sh/v3:Release")[0].inputs.values as Obj;
    assert.deepStrictEqual(labValues.debug, { enabled: true, verbose: "datapath" });
    assert.strictEqual(labValues.hubble, undefined);
  });

  it("publishes a problem, not figures, when the runner printed nothing usable", async () => {
    const r = await runLab({
      config: { runPerformance: "true" },
      commandStdout: (n) => (n === "perf-run" ? "oops" : undefined),
    });
    const perf = r.outputs.performance as { pairs: unknown[]; problems: string[] };
    assert.deepStrictEqual(perf.pairs, []);
    assert.match(perf.problems[0], /printed no \{ performance \} document/);
  });
});
