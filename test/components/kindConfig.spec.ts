import * as assert from "assert";
import { spawn, spawnSync } from "child_process";
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
  kindUpdateScript,
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

/** The create's trap deleting what it left. */
const DELETE_LAB = ["kind", "delete", "cluster", "--name", "lab"];

/** The kind subcommands called, in order ("get clusters", "create cluster", ...). */
function kindVerbs(stubs: ReturnType<typeof makeStubs>): string[] {
  return stubs
    .calls()
    .filter((c) => c[0] === "kind")
    .map((c) => c.slice(1, 3).join(" "));
}

/** A kind call without its `--kubeconfig <file of this run>` (checked separately where it matters). */
function sansKubeconfig(call: string[] | undefined): string[] | undefined {
  const i = call?.indexOf("--kubeconfig") ?? -1;
  return call && i >= 0 ? [...call.slice(0, i), ...call.slice(i + 2)] : call;
}

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
  const STACK = "cilium-ebpf-lab/test";
  const URN = "urn:pulumi:test::cilium-ebpf-lab::lab:index:KindCluster$command:local:Command::lab-cluster";
  const create = (timeoutSeconds?: number) =>
    kindCreateScript({
      clusterName: "lab",
      nodeImage: "kindest/node:v1.23.4",
      networkName: "kind-lab",
      stackLabel: STACK,
      timeoutSeconds,
    });
  const scripts = {
    create: create(),
    update: kindUpdateScript("lab", URN),
    delete: kindDeleteScript("lab"),
    kubeconfig: kindKubeconfigScript("lab"),
    inventory: nodeInventoryScript("lab"),
    nasty: kindCreateScript({ clusterName: NASTY, nodeImage: NASTY, networkName: NASTY, stackLabel: NASTY }),
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

  /**
   * A docker stub: `network inspect -f ...` prints the owner label $OWNER, `ps -a ... {{.Networks}}`
   * prints $NETS (one line per node container), `inspect --type container ... <node>` an id.
   */
  const DOCKER = [
    'case "$1 $2" in',
    '  "network inspect") printf "%s\\n" "$OWNER";;',
    '  "ps -a") printf "%b" "$NETS";;',
    '  "inspect --type") echo "cp-container-id";;',
    "esac",
  ].join("\n");
  /** A kind stub that lists $CLUSTERS, and runs $CREATE on create. */
  const KIND = [
    'case "$1 $2" in',
    '  "get clusters") printf "%b" "$CLUSTERS";;',
    '  "create cluster") eval "$CREATE";;',
    "esac",
  ].join("\n");

  it("creates the cluster with the config on stdin on the stack's Docker network and prints only its identity", () => {
    const stubs = makeStubs({
      kind: `${KIND}\necho "KIND_NET=$KIND_EXPERIMENTAL_DOCKER_NETWORK"`,
      docker: DOCKER,
    });
    try {
      const r = runScript(scripts.create, stubs, {
        stdin: kindConfigYaml({ workers: 2 }),
        env: { CLUSTERS: "other\\n", CREATE: "true" },
      });
      assert.strictEqual(r.status, 0, r.stderr);
      // kind's own output goes to stderr: stdout is the control-plane container's id alone.
      assert.strictEqual(r.stdout, "cp-container-id\n");
      assert.match(r.stderr, /KIND_NET=kind-lab/);
      const calls = stubs.calls();
      assert.deepStrictEqual(calls[0], ["kind", "get", "clusters"]);
      assert.deepStrictEqual(sansKubeconfig(calls[1]), [
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
      // kind writes the context into a file of this run (removed at exit), then it is merged into
      // the user's kubeconfig (lock contention there no longer fails a finished create).
      const kc = calls[1][calls[1].indexOf("--kubeconfig") + 1];
      assert.match(kc, /^\/tmp\/tmp\./);
      assert.ok(!fs.existsSync(kc), "the run's kubeconfig is removed");
      assert.deepStrictEqual(calls[2], ["kind", "export", "kubeconfig", "--name", "lab"]);
      assert.deepStrictEqual(calls[3], [
        "docker",
        "inspect",
        "--type",
        "container",
        "-f",
        "{{.Id}}",
        "--",
        "lab-control-plane",
      ]);
      assert.ok(!calls.some((c) => c[1] === "delete"), "a finished create deletes nothing");
      assert.deepStrictEqual(stubs.stdin("kind"), [kindConfigYaml({ workers: 2 })]);
    } finally {
      stubs.remove();
    }
  });

  it("keeps a finished cluster when the user's kubeconfig is locked for a while (kind's lock has no real retry)", () => {
    const locked = path.resolve(__dirname, "../fixtures/kind/kind-export-kubeconfig-locked.stderr");
    // export fails twice with kind's lock error, then succeeds.
    const kind = `${KIND}\n[ "$1 $2" = "export kubeconfig" ] || exit 0\nn=$(cat "$STUB_DIR/n" 2>/dev/null || echo 0)\necho $((n + 1)) >"$STUB_DIR/n"\n[ "$n" -ge 2 ] && exit 0\ncat '${locked}' >&2; exit 1`;
    const stubs = makeStubs({ kind, docker: DOCKER });
    try {
      const r = runScript(scripts.create, stubs, { env: { CLUSTERS: "", CREATE: "true" } });
      assert.strictEqual(r.status, 0, r.stderr);
      assert.strictEqual(r.stdout, "cp-container-id\n");
      assert.match(r.stderr, /failed to lock config file/);
      assert.deepStrictEqual(kindVerbs(stubs), [
        "get clusters",
        "create cluster",
        "export kubeconfig",
        "export kubeconfig",
        "export kubeconfig",
      ]);
    } finally {
      stubs.remove();
    }
  });

  it("refuses to create when a cluster of that name exists that is not this stack's, saying how to fix it", () => {
    const stubs = makeStubs({ kind: KIND, docker: DOCKER });
    try {
      // The lab's nodes on kind's own network "kind" (kind's default), the stack's network unlabelled.
      const r = runScript(scripts.create, stubs, {
        env: { CLUSTERS: "other\\nlab\\n", OWNER: "", NETS: "kind\\nkind\\n", CREATE: "true" },
      });
      assert.strictEqual(r.status, 1);
      assert.match(r.stderr, /kind cluster lab already exists and is not managed by this stack/);
      assert.match(r.stderr, /kind delete cluster --name lab/);
      assert.ok(
        !stubs.calls().some((c) => c[1] === "create" || c[1] === "delete"),
        "nothing created or deleted",
      );
    } finally {
      stubs.remove();
    }
  });

  it("refuses when only some of the cluster's nodes sit on this stack's network", () => {
    const stubs = makeStubs({ kind: KIND, docker: DOCKER });
    try {
      const r = runScript(scripts.create, stubs, {
        env: { CLUSTERS: "lab\\n", OWNER: STACK, NETS: "kind-lab\\nkind\\n", CREATE: "true" },
      });
      assert.strictEqual(r.status, 1);
      assert.ok(!stubs.calls().some((c) => c[1] === "delete"));
    } finally {
      stubs.remove();
    }
  });

  it("removes the leftovers of an earlier unfinished create of this stack, then creates", () => {
    const stubs = makeStubs({ kind: KIND, docker: DOCKER });
    try {
      const r = runScript(scripts.create, stubs, {
        env: { CLUSTERS: "lab\\n", OWNER: STACK, NETS: "kind-lab\\nkind-lab\\n", CREATE: "true" },
      });
      assert.strictEqual(r.status, 0, r.stderr);
      assert.match(r.stderr, /earlier, unfinished create of this stack/);
      assert.deepStrictEqual(kindVerbs(stubs), [
        "get clusters",
        "delete cluster",
        "create cluster",
        "export kubeconfig",
      ]);
    } finally {
      stubs.remove();
    }
  });

  it("deletes the node containers when kind create fails half-way", () => {
    const stubs = makeStubs({ kind: KIND, docker: DOCKER });
    try {
      const r = runScript(scripts.create, stubs, { env: { CLUSTERS: "", CREATE: "exit 1" } });
      assert.notStrictEqual(r.status, 0);
      assert.match(r.stderr, /did not finish: deleting the node containers/);
      assert.deepStrictEqual(sansKubeconfig(stubs.calls().at(-1)), DELETE_LAB);
      assert.strictEqual(r.stdout, "", "no identity for a failed create");
    } finally {
      stubs.remove();
    }
  });

  it("deletes the node containers when timeout kills kind create (kind has no signal handler)", () => {
    const stubs = makeStubs({ kind: KIND, docker: DOCKER });
    try {
      const r = runScript(create(1), stubs, { env: { CLUSTERS: "", CREATE: "sleep 5" } });
      assert.strictEqual(r.status, 124, r.stderr);
      assert.deepStrictEqual(sansKubeconfig(stubs.calls().at(-1)), DELETE_LAB);
    } finally {
      stubs.remove();
    }
  });

  it("deletes the node containers at once when its shell is terminated mid-create", async () => {
    const stubs = makeStubs({ kind: KIND, docker: DOCKER });
    try {
      const child = spawn("/bin/sh", ["-c", scripts.create], {
        env: { ...process.env, PATH: `${stubs.dir}:${process.env.PATH}`, CLUSTERS: "", CREATE: "sleep 30" },
        stdio: ["pipe", "pipe", "pipe"],
      });
      child.stdin.end("kind: Cluster\n");
      const started = Date.now();
      while (!stubs.calls().some((c) => c[1] === "create") && Date.now() - started < 5000) {
        await new Promise((r) => setTimeout(r, 50));
      }
      child.kill("SIGTERM");
      const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
      assert.ok(Date.now() - started < 15000, "the shell must not wait for kind to finish");
      assert.strictEqual(code, 130);
      assert.deepStrictEqual(sansKubeconfig(stubs.calls().at(-1)), DELETE_LAB);
    } finally {
      stubs.remove();
    }
  });

  it("update (script text changed) never creates: it prints the live cluster's identity", () => {
    const stubs = makeStubs({ kind: KIND, docker: DOCKER });
    try {
      const r = runScript(scripts.update, stubs, { env: { CLUSTERS: "lab\\n" } });
      assert.strictEqual(r.status, 0, r.stderr);
      assert.strictEqual(r.stdout, "cp-container-id\n");
      assert.ok(!stubs.calls().some((c) => c[1] === "create" || c[1] === "delete"));
    } finally {
      stubs.remove();
    }
  });

  it("update fails with a recovery that works on released Pulumi CLIs (destroy, then up) when the cluster was deleted outside Pulumi", () => {
    const stubs = makeStubs({ kind: KIND, docker: DOCKER });
    try {
      const r = runScript(scripts.update, stubs, { env: { CLUSTERS: "" } });
      assert.strictEqual(r.status, 1);
      assert.ok(
        r.stderr.includes(
          "Recreate the lab: bash scripts/lab.sh destroy test && bash scripts/lab.sh up test",
        ),
        r.stderr,
      );
      assert.ok(
        !r.stderr.includes(`pulumi up --replace '${URN}'`),
        "no recovery that fails on released CLIs",
      );
      assert.ok(!stubs.calls().some((c) => c[1] === "create"));
    } finally {
      stubs.remove();
    }
  });

  it("passes hostile names to kind as single literal arguments", () => {
    const stubs = makeStubs({ kind: "true", docker: "true" });
    try {
      const r = runScript(scripts.nasty, stubs);
      assert.strictEqual(r.status, 0, r.stderr);
      const created = stubs.calls().find((c) => c[1] === "create");
      assert.deepStrictEqual(sansKubeconfig(created), [
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

  /** kind with the Docker daemon stopped: its real stderr shape and exit status 1 (fixtures/kind/SOURCES.md). */
  const KIND_DOCKER_DOWN = `cat '${path.resolve(__dirname, "../fixtures/kind/kind-get-clusters-docker-down.stderr")}' >&2; exit 1`;

  it("create and destroy stop (delete nothing, keep the cluster in the state) when kind cannot list clusters", () => {
    for (const script of [scripts.create, scripts.delete]) {
      const stubs = makeStubs({ kind: KIND_DOCKER_DOWN, docker: DOCKER });
      try {
        const r = runScript(script, stubs, { stdin: "kind: Cluster\n" });
        assert.strictEqual(r.status, 1);
        assert.doesNotMatch(r.stdout, /already gone/);
        assert.match(r.stderr, /Cannot connect to the Docker daemon[^]*cannot list kind clusters/);
        // No create, no delete, and no delete from the create's EXIT trap.
        assert.deepStrictEqual(kindVerbs(stubs), ["get clusters"]);
      } finally {
        stubs.remove();
      }
    }
  });

  it("create and destroy stop when kind is not on PATH", () => {
    const stubs = makeStubs({ docker: DOCKER });
    try {
      const env = { PATH: `${stubs.dir}:/usr/bin:/bin` };
      for (const script of [scripts.create, scripts.delete, scripts.update]) {
        const r = spawnSync("/bin/sh", ["-c", script], { input: "", env, encoding: "utf8" });
        assert.strictEqual(r.status, 1, r.stderr);
        assert.match(r.stderr, /cannot list kind clusters/);
      }
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
