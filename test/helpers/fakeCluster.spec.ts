import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

import { clusterShape, installFakeCluster, type FakeCluster } from "./fakeCluster";

const CONTEXT_KUBECTL = path.join(__dirname, "..", "fixtures", "context", "kubectl");
const readList = (file: string) =>
  JSON.parse(fs.readFileSync(path.join(CONTEXT_KUBECTL, file), "utf8")) as {
    items: { metadata: { namespace: string; labels?: Record<string, string> } }[];
  };

describe("the fake kubectl of existing mode (sh front and Node script agree)", () => {
  let fake: FakeCluster | undefined;
  afterEach(() => {
    fake?.restore();
    fake = undefined;
  });

  /** What the front prints, and what the Node script behind it prints for the same argv. */
  const both = (f: FakeCluster, argv: string[]) => {
    const env = { ...process.env };
    const front = spawnSync(path.join(f.dir, "kubectl"), argv, { env, encoding: "utf8" });
    const node = spawnSync(process.execPath, [path.join(f.dir, "kubectl-node.js"), ...argv], {
      env,
      encoding: "utf8",
    });
    return { front, node };
  };

  it("answers every namespace and label selector of the recorded pods as the Node filter does", () => {
    // The seed lab's recorded pods, several namespaces and labels, some pods sharing a label.
    const pods = ["pods-cilium.json", "pods-evescn.json", "pods-node-probe.json"].flatMap(
      (f) => readList(f).items,
    );
    fake = installFakeCluster({
      ...clusterShape("seed"),
      pods: { apiVersion: "v1", kind: "List", items: pods },
    });
    const selections = new Set<string>();
    for (const p of pods) {
      for (const [k, v] of Object.entries(p.metadata.labels ?? {}))
        selections.add(`${p.metadata.namespace} ${k}=${v}`);
    }
    assert.ok(selections.size >= 8, `only ${selections.size} label pairs recorded`);
    const queries = [
      ...[...selections].map((s) => s.split(" ")),
      ["kube-system", "k8s-app=nope"],
      ["nope", "k8s-app=cilium"],
      ["kube-system", "k8s-app=cilium,io.cilium/app=agent"],
      ["kube-system", "k8s-app!=cilium"],
    ];
    let nonEmpty = 0;
    for (const [ns, sel] of queries) {
      const argv = ["--kubeconfig", "/nonexistent", "get", "pods", "-n", ns, "-l", sel, "-o", "json"];
      const { front, node } = both(fake, argv);
      assert.equal(front.status, 0, `${ns} ${sel}: ${front.stderr}`);
      assert.equal(node.status, 0, `${ns} ${sel}: ${node.stderr}`);
      assert.deepEqual(JSON.parse(front.stdout), JSON.parse(node.stdout), `${ns} ${sel}`);
      if ((JSON.parse(front.stdout) as { items: unknown[] }).items.length > 0) nonEmpty++;
    }
    assert.equal(nonEmpty, selections.size);
    // Both halves logged every call.
    assert.equal(fake.calls().length, 2 * queries.length);
  });

  it("gives the static kube-proxy pod of the GKE shape to its component selector only", () => {
    fake = installFakeCluster(clusterShape("gke"));
    const get = (sel: string) =>
      JSON.parse(both(fake!, ["get", "pods", "-n", "kube-system", "-l", sel, "-o", "json"]).front.stdout) as {
        items: { metadata: { name: string } }[];
      };
    assert.deepEqual(
      get("component=kube-proxy").items.map((p) => p.metadata.name),
      ["kube-proxy-gke-gke-test-default-pool-e5de334e-i8hi"],
    );
    assert.deepEqual(get("k8s-app=kube-proxy").items, []);
  });
});
