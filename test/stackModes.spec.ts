import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { FAKE_KUBECONFIG, plaintextHolders, isSecret, ofType, runLab } from "./helpers/pulumiMocks";

type Obj = Record<string, unknown>;

describe("existing-cluster mode (under mocks)", () => {
  let dir: string;
  let kubeconfigPath: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-kc-"));
    kubeconfigPath = path.join(dir, "config");
    fs.writeFileSync(kubeconfigPath, FAKE_KUBECONFIG, { mode: 0o600 });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("declares no kind or docker resource and reads nodes from the given cluster", async () => {
    const r = await runLab({
      config: { clusterMode: "existing", kubeconfigPath, context: "prod-admin", clusterName: "prod" },
    });
    assert.deepStrictEqual(ofType(r.resources, "docker:index/network:Network"), []);
    assert.deepStrictEqual(ofType(r.resources, "lab:index:KindCluster"), []);
    const inventory = r.resources.find((x) => x.name === "existing-nodes");
    assert.ok(inventory);
    assert.match(
      String(inventory.inputs.create),
      /kubectl --kubeconfig "\$kc" --context "\$ctx" get nodes -o json/,
    );
    assert.match(
      String(inventory.inputs.create),
      new RegExp(`kc=${kubeconfigPath.replace(/[/.]/g, "\\$&")}`),
    );
    const provider = ofType(r.resources, "pulumi:providers:kubernetes")[0];
    assert.strictEqual(provider.inputs.context, "prod-admin");
    // Provider inputs reach the mocks serialized as strings.
    assert.strictEqual(String(provider.inputs.deleteUnreachable), "false");
    assert.strictEqual(await isSecret(r.rawOutputs.kubeconfig), true);
    assert.strictEqual((r.outputs.nodes as Obj[]).length, 3);
    // Cilium is installed (installCilium defaults to true) against the control-plane's address.
    const values = ofType(r.resources, "kubernetes:helm.sh/v3:Release")[0].inputs.values as Obj;
    assert.strictEqual(values.k8sServiceHost, "172.18.0.4");
    const check = r.resources.find((x) => x.name === "checks-cilium-agent-status");
    assert.ok(check);
    assert.match(String(check.inputs.create), /--kubeconfig .*config --context prod-admin/);
    assert.doesNotMatch(String(check.inputs.create), /--kind-cluster/);
    // Not kind: the runner detects the node device instead of assuming eth0.
    assert.match(String(check.inputs.create), /--node-device auto/);
  });

  it("verifies the Cilium already running when installCilium is false", async () => {
    const r = await runLab({
      config: { clusterMode: "existing", kubeconfigPath, installCilium: "false", clusterName: "prod" },
    });
    assert.deepStrictEqual(ofType(r.resources, "kubernetes:helm.sh/v3:Release"), []);
    assert.strictEqual(ofType(r.resources, "lab:index:LabChecks").length, 1);
    assert.match(String(r.outputs.ciliumVersion), /not installed by the stack/);
  });

  it("keeps a kubeconfig given as a secret value out of every plaintext input, and the results readable", async () => {
    const r = await runLab({
      config: {
        clusterMode: "existing",
        kubeconfig: FAKE_KUBECONFIG,
        clusterName: "prod",
        k8sServiceHost: "10.1.2.3",
      },
    });
    assert.deepStrictEqual(plaintextHolders(r.resources, "client-key-data"), []);
    const check = r.resources.find((x) => x.name === "checks-ping-cross-node");
    assert.ok(check);
    assert.match(String(check.inputs.create), /printf '%s\\n' "\$LAB_KUBECONFIG" >"\$kc"/);
    assert.match(String(check.inputs.create), /--kubeconfig "\$kc"$/m);
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
  it("declares one Command per check, re-run by checksRunId, failing up only when asked", async () => {
    const r = await runLab({ config: { checksRunId: "2026-11-25", failOnCheckFailure: "true" } });
    const cmds = r.resources.filter((x) => x.name.startsWith("checks-"));
    assert.ok(cmds.length >= 14, `found ${cmds.length}`);
    for (const c of cmds) {
      assert.deepStrictEqual(c.inputs.triggers, ["2026-11-25"]);
      assert.match(String(c.inputs.create), /--fail-on-failure/);
      assert.match(String(c.inputs.create), /^timeout --kill-after=10 600 node/);
      assert.match(
        String(c.inputs.create),
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
      String(cmd.inputs.create),
      /^timeout --kill-after=10 \d+ node -r ts-node\/register\/transpile-only cli\/perf\.ts --kind-cluster cilium-kubeproxy-replacement-ebpf/,
    );
    assert.match(
      String(cmd.inputs.create),
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
