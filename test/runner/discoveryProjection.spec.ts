import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";

import { parse as parseYaml } from "yaml";

import { NATIVE_CIDR_UNSET } from "../../checks/types";
import { buildLabContext } from "../../runner/contextBuilder";
import { discoverLabContext, discoveryQueries } from "../../runner/discovery";
import {
  PROJECTIONS,
  parseDiscoveryOutput,
  parseProjection,
  projectionArrays,
  projectionTemplate,
} from "../../runner/discoveryProjection";
import { DOC_KEYS, type ContextOptions, type DocKey, type KubectlDocs } from "../../runner/discoveryTypes";
import { KubectlExecutor } from "../../runner/executor";
import { objectsFromDocs } from "../helpers/fakeApiObjects";
import { REAL_KUBECTL, runRealKubectl, startFakeApiServer } from "../helpers/fakeApiServer";
import { SEED_CONTEXT_FILE, seedDocs } from "../helpers/fakes";
import { syntheticContext, syntheticDocs } from "../helpers/syntheticLab";

describe("discovery's projection (-o jsonpath-as-json)", () => {
  it("ranges over a list's items, reads one object directly, escapes dots in keys", () => {
    assert.equal(projectionTemplate("service"), "{.metadata.name}{.spec.type}{.spec.clusterIP}{.spec.ports}");
    assert.match(projectionTemplate("nodes"), /^\{range \.items\[\*\]\}.*\{end\}$/);
    assert.ok(projectionTemplate("nodes").includes("{.metadata.annotations.k3s\\.io/node-args}"));
  });

  it("refuses output whose value count does not fit the fields, or that is not JSON arrays", () => {
    assert.throws(() => parseProjection("service", '[\n    "svc"\n]\n'), /printed 1 values for 4 fields/);
    assert.throws(() => projectionArrays("No resources found\n"));
    assert.deepEqual(parseProjection("testPods", ""), { kind: "List", items: [] });
  });

  it("still reads a full -o json document (recordings and doubles made before the projection)", () => {
    const docs = seedDocs();
    assert.deepEqual(parseDiscoveryOutput("nodes", JSON.stringify(docs.nodes)), docs.nodes);
  });
});

/** Every discovery get, run by the real kubectl against a fake API server serving these documents. */
async function projectedWithRealKubectl(
  docs: KubectlDocs,
  options: ContextOptions = {},
): Promise<{ docs: KubectlDocs; projectedBytes: number; fullBytes: number }> {
  const server = await startFakeApiServer({ objects: objectsFromDocs(Object.values(docs)) });
  try {
    const queries = discoveryQueries(options);
    const runs = await Promise.all(DOC_KEYS.map((k) => runRealKubectl(server, queries[k])));
    const out: KubectlDocs = {};
    let projectedBytes = 0;
    DOC_KEYS.forEach((k, i) => {
      assert.equal(runs[i].exitCode, 0, `${k}: ${runs[i].stderr}`);
      projectedBytes += Buffer.byteLength(runs[i].stdout);
      out[k] = parseDiscoveryOutput(k, runs[i].stdout);
    });
    const fullBytes = DOC_KEYS.reduce((a, k) => a + Buffer.byteLength(JSON.stringify(docs[k])), 0);
    return { docs: out, projectedBytes, fullBytes };
  } finally {
    await server.close();
  }
}

describe("discovery's projection as the real kubectl renders it", function () {
  before(function () {
    if (!fs.existsSync(REAL_KUBECTL)) {
      console.warn(`    skipped: ${REAL_KUBECTL} is absent (these tests drive the real kubectl)`);
      this.skip();
    }
  });

  it("gives the seed lab's context, problems included, as the full documents do", async () => {
    const full = seedDocs();
    const { docs } = await projectedWithRealKubectl(full);
    assert.deepEqual(buildLabContext(docs), buildLabContext(full));
    assert.deepEqual(buildLabContext(docs).context, JSON.parse(fs.readFileSync(SEED_CONTEXT_FILE, "utf8")));
  });

  it("keeps what other shapes need: roles, IPv6 first, k3s node-args, pods not Running, multi-pool CIDRs", async () => {
    const full = seedDocs();
    const [cp, w1, w2] = full.nodes.items;
    delete cp.metadata.labels["node-role.kubernetes.io/control-plane"]; // master label only
    w1.status.addresses.unshift({ type: "InternalIP", address: "fd00::3" });
    // A value with a tab, a newline and quotes: JSON-escaped by kubectl, read back unchanged.
    cp.metadata.annotations["k3s.io/node-args"] = JSON.stringify(["server", "--node-label", 'a\tb\n"c"']);
    delete full.testPods.items[0].status.podIP;
    full.testPods.items[1].metadata.deletionTimestamp = "2026-12-01T00:00:00Z";
    const cn = full.ciliumNodes.items.find(
      (c: { metadata: { name: string } }) => c.metadata.name === w2.metadata.name,
    );
    cn.spec.ipam = { pools: { allocated: [{ pool: "default", cidrs: ["10.9.0.0/24"] }] } };
    const options = { ipamMode: "multi-pool" };
    const { docs } = await projectedWithRealKubectl(full, options);
    const projected = buildLabContext(docs, options);
    assert.deepEqual(projected, buildLabContext(full, options));
    // The shapes did reach the context: otherwise this test proves nothing.
    assert.ok(projected.problems.some((p) => /is being deleted/.test(p.message)));
    assert.ok(projected.problems.some((p) => /has no pod IP/.test(p.message)));
    assert.equal(
      (docs.nodes as { items: { metadata: { annotations: Record<string, string> } }[] }).items[0].metadata
        .annotations["k3s.io/node-args"],
      cp.metadata.annotations["k3s.io/node-args"],
    );
  });

  it("reads the native-routing CIDR from cilium-config, and 'unset' from a real one without it (EKS)", async () => {
    // The seed's cilium-config sets it: the context carries it, as before.
    const { docs } = await projectedWithRealKubectl(seedDocs());
    assert.equal(buildLabContext(docs).context?.nativeRoutingCidr, "10.0.0.0/8");
    // A real cilium-config with no ipv4-native-routing-cidr (eks-cilium, ENI IPAM): "unset", never
    // the lab's 10.0.0.0/8.
    const eksConfig = parseYaml(
      fs.readFileSync(
        path.join(__dirname, "..", "fixtures", "cluster", "eks-cilium", "cilium-config.yaml"),
        "utf8",
      ),
    ) as { data: Record<string, string> };
    assert.equal(eksConfig.data["ipv4-native-routing-cidr"], undefined);
    const withEks = { ...seedDocs(), ciliumConfig: eksConfig };
    const projected = await projectedWithRealKubectl(withEks);
    assert.deepEqual(projected.docs.ciliumConfig, { metadata: { name: "cilium-config" } });
    assert.equal(buildLabContext(projected.docs).context?.nativeRoutingCidr, NATIVE_CIDR_UNSET);
  });

  it("prints exactly the projected fields of a real EKS node list (test/fixtures/cluster/eks)", async () => {
    const eks = JSON.parse(
      fs.readFileSync(path.join(__dirname, "..", "fixtures", "cluster", "eks", "nodes.json"), "utf8"),
    );
    const server = await startFakeApiServer({ objects: objectsFromDocs([eks]) });
    try {
      const r = await runRealKubectl(server, discoveryQueries().nodes);
      assert.equal(r.exitCode, 0, r.stderr);
      // Our belief of the projection, computed here from the whole objects: kubectl must agree.
      const expected = (eks.items as Record<string, unknown>[]).map((item) => {
        const o: Record<string, unknown> = {};
        for (const field of PROJECTIONS.nodes) {
          let v: unknown = item;
          for (const k of field) v = (v as Record<string, unknown> | undefined)?.[k];
          if (v === undefined) continue;
          let cur = o;
          for (const k of field.slice(0, -1)) cur = (cur[k] ??= {}) as Record<string, unknown>;
          cur[field[field.length - 1]] = v;
        }
        return o;
      });
      assert.deepEqual(parseDiscoveryOutput("nodes", r.stdout), { kind: "List", items: expected });
      assert.ok(Buffer.byteLength(r.stdout) < JSON.stringify(eks).length / 4);
    } finally {
      await server.close();
    }
  });

  it("reads a 200-node synthetic lab in a fraction of the bytes, to the same context", async () => {
    const full = syntheticDocs(syntheticContext(200)) as Record<DocKey, unknown>;
    const { docs, projectedBytes, fullBytes } = await projectedWithRealKubectl(full);
    assert.deepEqual(buildLabContext(docs), buildLabContext(full));
    assert.equal(buildLabContext(docs).context?.nodes.length, 200);
    assert.ok(projectedBytes < fullBytes / 2, `${projectedBytes} of ${fullBytes} bytes`);
  });

  it("discovers the seed lab through the runner's KubectlExecutor and the real kubectl", async () => {
    const server = await startFakeApiServer({ objects: objectsFromDocs(Object.values(seedDocs())) });
    try {
      const executor = new KubectlExecutor({
        kubeconfig: server.kubeconfig,
        kubectl: REAL_KUBECTL,
        env: server.env,
      });
      const d = await discoverLabContext(executor);
      assert.deepEqual(d.problems, []);
      assert.deepEqual(d.context, JSON.parse(fs.readFileSync(SEED_CONTEXT_FILE, "utf8")));
      const lists = server
        .requests()
        .filter((r) => /^\/api\/v1\/(nodes|namespaces\/[^/]+\/pods)$/.test(r.path));
      assert.ok(lists.length >= 6);
    } finally {
      await server.close();
    }
  });
});
