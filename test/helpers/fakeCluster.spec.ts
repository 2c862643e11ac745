import { strict as assert } from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { clusterShape, installFakeCluster, type FakeCluster } from "./fakeCluster";

type Pod = { metadata: { name: string; namespace: string; labels?: Record<string, string> } };
type PodList = { items: Pod[] };

const CONTEXT_KUBECTL = path.join(__dirname, "..", "fixtures", "context", "kubectl");
const readList = (file: string) =>
  JSON.parse(fs.readFileSync(path.join(CONTEXT_KUBECTL, file), "utf8")) as PodList;

describe("the fake kubectl of existing mode: pods by namespace and label selector", () => {
  let fake: FakeCluster | undefined;
  afterEach(() => {
    fake?.restore();
    fake = undefined;
  });

  const getPods = (f: FakeCluster, ns: string, sel: string) => {
    const argv = ["--kubeconfig", "/nonexistent", "get", "pods", "-n", ns, "-l", sel, "-o", "json"];
    const r = spawnSync(path.join(f.dir, "kubectl"), argv, { encoding: "utf8" });
    assert.equal(r.status, 0, `${ns} ${sel}: ${r.stderr}`);
    return JSON.parse(r.stdout) as PodList & { kind: string };
  };

  it("answers each namespace and key=value pair with the pods holding it, in order; anything else with none", () => {
    // The seed lab's recorded pods: several namespaces and labels, some pods sharing a label.
    const pods = ["pods-cilium.json", "pods-evescn.json", "pods-node-probe.json"].flatMap(
      (f) => readList(f).items,
    );
    fake = installFakeCluster({
      ...clusterShape("seed"),
      pods: { apiVersion: "v1", kind: "List", items: pods },
    });
    // An equality selector as the API server applies it: same namespace, label key present with that value.
    const holding = (ns: string, k: string, v: string) =>
      pods.filter((p) => p.metadata.namespace === ns && p.metadata.labels?.[k] === v);
    const pairs = new Set(
      pods.flatMap((p) =>
        Object.entries(p.metadata.labels ?? {}).map(([k, v]) => `${p.metadata.namespace} ${k} ${v}`),
      ),
    );
    assert.ok(pairs.size >= 8, `only ${pairs.size} label pairs recorded`);
    for (const pair of pairs) {
      const [ns, k, v] = pair.split(" ");
      const got = getPods(fake, ns, `${k}=${v}`);
      assert.equal(got.kind, "List");
      assert.deepEqual(got.items, holding(ns, k, v), pair);
      assert.ok(got.items.length > 0, pair);
    }
    for (const [ns, sel] of [
      ["kube-system", "k8s-app=nope"],
      ["nope", "k8s-app=cilium"],
      ["kube-system", "k8s-app=cilium,io.cilium/app=agent"],
      ["kube-system", "k8s-app!=cilium"],
    ]) {
      assert.deepEqual(getPods(fake, ns, sel).items, [], `${ns} ${sel}`);
    }
    // Every call was logged.
    assert.equal(fake.calls().length, pairs.size + 4);
  });

  it("gives the static kube-proxy pod of the GKE shape to its component selector only", () => {
    fake = installFakeCluster(clusterShape("gke"));
    const names = (sel: string) => getPods(fake!, "kube-system", sel).items.map((p) => p.metadata.name);
    assert.deepEqual(names("component=kube-proxy"), ["kube-proxy-gke-gke-test-default-pool-e5de334e-i8hi"]);
    assert.deepEqual(names("k8s-app=kube-proxy"), []);
  });
});

describe("the fake kubectl of existing mode: its call log", () => {
  let fake: FakeCluster | undefined;
  let tmp: string | undefined;
  afterEach(() => {
    fake?.restore();
    fake = undefined;
    if (tmp !== undefined) fs.rmSync(tmp, { recursive: true, force: true });
    tmp = undefined;
  });

  const run = (f: FakeCluster, argv: string[]) =>
    spawnSync(path.join(f.dir, "kubectl"), argv, { encoding: "utf8" });

  it("keeps each kubeconfig's content and mode as they were at the call", () => {
    fake = installFakeCluster(clusterShape("seed"));
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fake-cluster-log-"));
    const kcs = [
      ["a", 0o600],
      ["b", 0o640],
      ["c", 0o666], // a plain copy would take the umask off (022: 644)
    ].map(([name, mode]) => {
      const file = path.join(tmp!, String(name));
      fs.writeFileSync(file, `kubeconfig ${name}\n`, { mode: Number(mode) });
      fs.chmodSync(file, Number(mode)); // whatever the umask
      return file;
    });
    for (const kc of kcs)
      assert.equal(run(fake, ["--kubeconfig", kc, "get", "nodes", "-o", "json"]).status, 0);
    // A kubeconfig that does not exist: no mode, no content.
    assert.equal(run(fake, ["--kubeconfig", path.join(tmp, "none"), "get", "nodes"]).status, 0);
    for (const kc of kcs) fs.writeFileSync(kc, "changed after the call\n");
    assert.deepEqual(
      fake.calls().map((c) => [c.kubeconfigMode, c.kubeconfig]),
      [
        ["600", "kubeconfig a\n"],
        ["640", "kubeconfig b\n"],
        ["666", "kubeconfig c\n"],
        [undefined, undefined],
      ],
    );
  });

  it("logs every call whole, concurrent ones and lines longer than one 4096-byte write included", async () => {
    fake = installFakeCluster(clusterShape("seed"));
    const dir = fake.dir;
    // 24 calls at once, each with a distinct argv of ~1.5 KB (short) or ~9 KB (long: the cat path).
    const argvs = Array.from({ length: 24 }, (_, i) => [
      "get",
      "nodes",
      "-o",
      "json",
      `--label-columns=${String(i).padStart(2, "0")}${"x".repeat(i % 2 === 0 ? 1500 : 9000)}`,
    ]);
    await Promise.all(
      argvs.map(
        (argv) =>
          new Promise<void>((resolve, reject) => {
            const child = spawn(path.join(dir, "kubectl"), argv, { stdio: "ignore" });
            child.on("error", reject);
            child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))));
          }),
      ),
    );
    const logged = fake.calls().map((c) => c.argv[4]);
    assert.deepEqual([...logged].sort(), argvs.map((a) => a[4]).sort());
  });
});

describe("the fake kubectl of existing mode: what it does not answer", () => {
  let fake: FakeCluster | undefined;
  afterEach(() => {
    fake?.restore();
    fake = undefined;
  });
  const run = (f: FakeCluster, argv: string[]) =>
    spawnSync(path.join(f.dir, "kubectl"), argv, { encoding: "utf8" });

  it("refuses anything but its reads (exit 1), and logs the call", () => {
    fake = installFakeCluster(clusterShape("seed"));
    const argv = ["exec", "-n", "default", "net", "--", "ping", "-c", "1", "10.0.0.1"];
    const r = run(fake, argv);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^fake kubectl: refusing exec -n default net -- ping/);
    assert.deepEqual(
      fake.calls().map((c) => c.argv),
      [argv],
    );
  });

  it("answers every get of a failing cluster with its stderr and exit 1", () => {
    fake = installFakeCluster({ ...clusterShape("seed"), failWith: "Unable to connect to the server\n" });
    for (const argv of [
      ["get", "nodes", "-o", "json"],
      ["get", "pods", "-n", "kube-system", "-l", "k8s-app=cilium", "-o", "json"],
    ]) {
      const r = run(fake, argv);
      assert.equal(r.status, 1, argv.join(" "));
      assert.equal(r.stdout, "");
      assert.equal(r.stderr, "Unable to connect to the server\n");
    }
    assert.equal(fake.calls().length, 2);
  });
});
