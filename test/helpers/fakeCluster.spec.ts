import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
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
