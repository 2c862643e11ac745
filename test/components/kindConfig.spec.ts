import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import {
  controlPlaneIp,
  kindConfig,
  kindConfigYaml,
  kindCreateScript,
  kindDeleteScript,
  kindKubeconfigScript,
  nodeInventoryScript,
  parseNodeInventory,
} from "../../components/kindConfig";
import { NODES_JSON } from "../helpers/pulumiMocks";
import { makeStubs, runScript, shellcheck } from "../helpers/stubs";

const SEED_CONFIG = fs.readFileSync(
  path.resolve(__dirname, "../fixtures/kind/seed-kind-config.yaml"),
  "utf8",
);
const NASTY = "lab'$(touch /tmp/pwned)`id`;\nx";

describe("kind config", () => {
  it("equals the seed's kind config for 2 workers and the seed's mirror", () => {
    const ours = kindConfig({
      workers: 2,
      registryMirrors: { "harbor.evescn.com": ["https://harbor.evescn.com"] },
    });
    assert.deepStrictEqual(ours, parse(SEED_CONFIG));
  });

  it("has one control-plane and N workers, no default CNI and no kube-proxy", () => {
    const cfg = parse(kindConfigYaml({ workers: 4 })) as {
      networking: Record<string, unknown>;
      nodes: { role: string }[];
      containerdConfigPatches?: unknown;
    };
    assert.deepStrictEqual(cfg.networking, { disableDefaultCNI: true, kubeProxyMode: "none" });
    assert.deepStrictEqual(
      cfg.nodes.map((n) => n.role),
      ["control-plane", "worker", "worker", "worker", "worker"],
    );
    assert.strictEqual(cfg.containerdConfigPatches, undefined);
  });
});

describe("kind scripts", () => {
  const scripts = {
    create: kindCreateScript({
      clusterName: "lab",
      nodeImage: "kindest/node:v1.23.4",
      networkName: "kind-lab",
    }),
    delete: kindDeleteScript("lab"),
    kubeconfig: kindKubeconfigScript("lab"),
    inventory: nodeInventoryScript("lab"),
    nasty: kindCreateScript({ clusterName: NASTY, nodeImage: NASTY, networkName: NASTY }),
  };

  for (const [name, script] of Object.entries(scripts)) {
    it(`generates a ${name} script that passes shellcheck`, function () {
      const r = shellcheck(script);
      if (!r.available) {
        if (process.env.CI) assert.fail("shellcheck is not installed");
        this.skip();
      }
      assert.strictEqual(r.output, "");
    });
  }

  it("creates the cluster with the config on stdin on the stack's Docker network", () => {
    const stubs = makeStubs({
      kind: 'case "$1 $2" in "get clusters") echo other;; esac; echo "KIND_NET=$KIND_EXPERIMENTAL_DOCKER_NETWORK"',
    });
    try {
      const r = runScript(scripts.create, stubs, { stdin: kindConfigYaml({ workers: 2 }) });
      assert.strictEqual(r.status, 0, r.stderr);
      assert.match(r.stdout, /KIND_NET=kind-lab/);
      const calls = stubs.calls();
      assert.deepStrictEqual(calls[0], ["kind", "get", "clusters"]);
      assert.deepStrictEqual(calls[1], [
        "kind",
        "create",
        "cluster",
        "--name",
        "lab",
        "--image",
        "kindest/node:v1.23.4",
        "--config",
        "-",
      ]);
      assert.deepStrictEqual(stubs.stdin("kind"), [kindConfigYaml({ workers: 2 })]);
    } finally {
      stubs.remove();
    }
  });

  it("refuses to create when a cluster of that name already exists, saying how to fix it", () => {
    const stubs = makeStubs({ kind: 'case "$1 $2" in "get clusters") printf "other\\nlab\\n";; esac' });
    try {
      const r = runScript(scripts.create, stubs);
      assert.strictEqual(r.status, 1);
      assert.match(r.stderr, /kind cluster lab already exists/);
      assert.match(r.stderr, /kind delete cluster --name lab/);
      assert.ok(!stubs.calls().some((c) => c[1] === "create"), "kind create must not run");
    } finally {
      stubs.remove();
    }
  });

  it("passes hostile names to kind as single literal arguments", () => {
    const stubs = makeStubs({ kind: "true" });
    try {
      const r = runScript(scripts.nasty, stubs);
      assert.strictEqual(r.status, 0, r.stderr);
      const create = stubs.calls().find((c) => c[1] === "create");
      assert.deepStrictEqual(create, [
        "kind",
        "create",
        "cluster",
        "--name",
        NASTY,
        "--image",
        NASTY,
        "--config",
        "-",
      ]);
      assert.ok(!fs.existsSync("/tmp/pwned"));
    } finally {
      stubs.remove();
    }
  });

  it("deletes the cluster on destroy", () => {
    const stubs = makeStubs({ kind: 'case "$1 $2" in "get clusters") echo lab;; esac' });
    try {
      const r = runScript(scripts.delete, stubs);
      assert.strictEqual(r.status, 0, r.stderr);
      assert.deepStrictEqual(stubs.calls()[1], ["kind", "delete", "cluster", "--name", "lab"]);
    } finally {
      stubs.remove();
    }
  });

  it("succeeds on destroy when the cluster was already deleted by hand", () => {
    const stubs = makeStubs({
      kind: 'case "$1 $2" in "get clusters") echo "No kind clusters found." >&2;; esac',
    });
    try {
      const r = runScript(scripts.delete, stubs);
      assert.strictEqual(r.status, 0, r.stderr);
      assert.match(r.stdout, /already gone/);
      assert.ok(!stubs.calls().some((c) => c[1] === "delete"));
    } finally {
      stubs.remove();
    }
  });

  it("reads the node inventory through a 0600 temp kubeconfig that is removed afterwards", () => {
    const stubs = makeStubs({
      kind: 'echo "apiVersion: v1 # secret"',
      kubectl: [
        "kc=$2",
        'stat -c "%a" "$kc" >"$STUB_DIR/mode"',
        'printf "%s" "$kc" >"$STUB_DIR/path"',
        "echo '{\"items\":[]}'",
      ].join("\n"),
    });
    try {
      const r = runScript(scripts.inventory, stubs);
      assert.strictEqual(r.status, 0, r.stderr);
      assert.strictEqual(r.stdout.trim(), '{"items":[]}');
      assert.doesNotMatch(r.stdout + r.stderr, /secret/);
      assert.strictEqual(fs.readFileSync(path.join(stubs.dir, "mode"), "utf8").trim(), "600");
      const kc = fs.readFileSync(path.join(stubs.dir, "path"), "utf8");
      assert.ok(!fs.existsSync(kc), "the temp kubeconfig must be removed");
      const kubectl = stubs.calls().find((c) => c[0] === "kubectl");
      assert.deepStrictEqual(kubectl?.slice(3), ["get", "nodes", "-o", "json"]);
    } finally {
      stubs.remove();
    }
  });
});

describe("node inventory", () => {
  it("reads name, role and internal IP of the seed's nodes", () => {
    const nodes = parseNodeInventory(NODES_JSON);
    assert.deepStrictEqual(
      nodes.map((n) => [n.name, n.role, n.internalIp]),
      [
        ["cilium-kubeproxy-replacement-ebpf-control-plane", "control-plane", "172.18.0.4"],
        ["cilium-kubeproxy-replacement-ebpf-worker", "worker", "172.18.0.3"],
        ["cilium-kubeproxy-replacement-ebpf-worker2", "worker", "172.18.0.2"],
      ],
    );
    assert.strictEqual(controlPlaneIp(nodes), "172.18.0.4");
  });

  it("treats a node labelled only master (Kubernetes < 1.20) as control-plane", () => {
    const doc = JSON.parse(NODES_JSON) as { items: { metadata: { labels: Record<string, string> } }[] };
    delete doc.items[0].metadata.labels["node-role.kubernetes.io/control-plane"];
    assert.strictEqual(parseNodeInventory(JSON.stringify(doc))[0].role, "control-plane");
  });

  it("rejects output without items and nodes without an InternalIP", () => {
    assert.throws(() => parseNodeInventory("{}"), /no items/);
    assert.throws(() => parseNodeInventory('{"items":[{"metadata":{"name":"n"}}]}'), /InternalIP/);
    assert.throws(() => controlPlaneIp([]), /no control-plane/);
  });
});
