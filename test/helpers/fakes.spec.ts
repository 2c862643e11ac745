import * as assert from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RUN_PROBE_LABEL, runNodeProbeDaemonSet } from "../../lib/nodeProbeSpec";
import { makeFakeBin } from "./fakes";

describe("the fake kubectl of the runner tests", () => {
  const run = (args: string[]) => {
    const fake = makeFakeBin();
    try {
      return spawnSync(path.join(fake.dir, "kubectl"), args, {
        env: { ...process.env, ...fake.env },
        encoding: "utf8",
      });
    } finally {
      fake.remove();
    }
  };

  for (const cmd of [
    ["ping", "-c", "1", "10.0.2.202"],
    ["sh", "-c", "ping -n -c 3 10.0.2.202"],
    ["timeout", "5", "curl", "http://172.18.0.2:32000"],
    ["sh", "-c", "echo x; tcpdump -i eth0"],
  ]) {
    it(`refuses to run ${JSON.stringify(cmd)} on this machine`, () => {
      const r = run(["exec", "-n", "default", "net", "--", ...cmd]);
      assert.strictEqual(r.status, 126);
      assert.match(r.stderr, /refusing to run/);
    });
  }

  it("still runs harmless commands locally", () => {
    const r = run(["exec", "-n", "default", "net", "--", "echo", "ping 10.0.2.202"]);
    assert.strictEqual(r.status, 0);
    assert.strictEqual(r.stdout, "ping 10.0.2.202\n");
  });

  it("refuses a multi-line script with a network command on any line", () => {
    const r = run(["exec", "-n", "default", "net", "--", "sh", "-c", "echo ok\nip route"]);
    assert.strictEqual(r.status, 126);
  });

  it("runs the program, not a shell builtin: echo keeps its backslashes as /bin/echo does", () => {
    const r = run(["exec", "-n", "default", "net", "--", "echo", "a\\c b"]);
    assert.strictEqual(r.stdout, "a\\c b\n");
  });

  it("logs every argv exactly, whatever the verb, with the kubeconfig's mode", () => {
    const fake = makeFakeBin();
    const kubeconfig = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "fake-kc-")), "config");
    fs.writeFileSync(kubeconfig, "", { mode: 0o600 });
    const awkward = `q"uote \\ back\tslash\nnew line \u0001\u001f é ''`;
    const calls = [
      ["--kubeconfig", kubeconfig, "exec", "-n", "default", "net", "--", "echo", awkward, ""],
      ["--kubeconfig", kubeconfig, "get", "nodes", "-o", "json"],
      ["get", "pods", "-n", "default", "-l", "app=nothing", "-o", "json"],
      ["create", "-f", "/nonexistent", awkward],
    ];
    try {
      const codes = calls.map(
        (args) =>
          spawnSync(path.join(fake.dir, "kubectl"), args, {
            env: { ...process.env, ...fake.env },
            encoding: "utf8",
          }).status,
      );
      assert.deepStrictEqual(codes, [0, 0, 1, 1]);
      const logged = fake.kubectlCalls();
      assert.deepStrictEqual(
        logged.map((c) => c.argv),
        calls,
      );
      assert.deepStrictEqual(
        logged.map((c) => [c.kubeconfig, c.kubeconfigMode, c.kubeconfigExists]),
        [
          [kubeconfig, "600", true],
          [kubeconfig, "600", true],
          [undefined, undefined, false],
          [undefined, undefined, false],
        ],
      );
    } finally {
      fake.remove();
      fs.rmSync(path.dirname(kubeconfig), { recursive: true, force: true });
    }
  });
  it("logs concurrent calls whole, lines longer than one 4096-byte write included", async () => {
    const fake = makeFakeBin();
    // 24 calls at once, each with a distinct argv of ~1.5 KB (short) or ~9 KB (long: the cat path).
    const argvs = Array.from({ length: 24 }, (_, i) => [
      "get",
      "nodes",
      `--label-columns=${String(i).padStart(2, "0")}${"x".repeat(i % 2 === 0 ? 1500 : 9000)}`,
    ]);
    try {
      await Promise.all(
        argvs.map(
          (args) =>
            new Promise<void>((resolve, reject) => {
              const child = spawn(path.join(fake.dir, "kubectl"), args, {
                env: { ...process.env, ...fake.env },
                stdio: "ignore",
              });
              child.on("error", reject);
              child.on("exit", () => resolve());
            }),
        ),
      );
      const logged = fake.kubectlCalls().map((c) => c.argv[2]);
      assert.deepStrictEqual([...logged].sort(), argvs.map((a) => a[2]).sort());
    } finally {
      fake.remove();
    }
  });

  it("keeps a run's probe: create logs its manifest, lists it, gives pods on its nodes with its labels, deletes it", () => {
    const fake = makeFakeBin({ FAKE_KUBECTL_PROBE_PENDING: "1" });
    const kubectl = (args: string[], input?: string) =>
      spawnSync(path.join(fake.dir, "kubectl"), args, {
        env: { ...process.env, ...fake.env },
        encoding: "utf8",
        input,
      });
    const worker = "cilium-kubeproxy-replacement-ebpf-worker";
    const ds = runNodeProbeDaemonSet({ namespace: "lab-probe", image: "nicolaka/netshoot:v0.13" }, "abc123", [
      worker,
    ]);
    const name = ds.metadata.name;
    try {
      const created = kubectl(["create", "-f", "-", "-o", "name"], JSON.stringify(ds));
      assert.equal(created.status, 0, created.stderr);
      assert.equal(created.stdout, `daemonset.apps/${name}\n`);
      assert.deepEqual(JSON.parse(fake.kubectlCalls()[0].input ?? ""), ds);
      const [kept] = fake.probeDaemonSets();
      assert.match(kept.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.ok(Math.abs(Date.parse(kept.metadata.creationTimestamp) - Date.now()) < 5000);

      const listed = JSON.parse(
        kubectl(["get", "daemonsets", "-n", "lab-probe", "-l", RUN_PROBE_LABEL, "-o", "json"]).stdout,
      );
      assert.deepEqual(
        listed.items.map((d: { metadata: { name: string } }) => d.metadata.name),
        [name],
      );

      type Pod = {
        metadata: { namespace: string; labels: object };
        spec: { nodeName: string };
        status: { phase: string };
      };
      const pods = (sel: string): Pod[] =>
        JSON.parse(kubectl(["get", "pods", "-n", "lab-probe", "-l", sel, "-o", "json"]).stdout).items;
      const mine = pods(`${RUN_PROBE_LABEL}=abc123`);
      // Only the node of its affinity, with the DaemonSet's pod labels and namespace, Pending as asked.
      assert.deepEqual(
        mine.map((p) => p.spec.nodeName),
        [worker],
      );
      assert.deepEqual(mine[0].metadata.labels, ds.spec.template.metadata.labels);
      assert.equal(mine[0].metadata.namespace, "lab-probe");
      assert.equal(mine[0].status.phase, "Pending");
      assert.deepEqual(pods(`${RUN_PROBE_LABEL}=other`), []);

      assert.equal(
        kubectl(["delete", "daemonset", name, "-n", "lab-probe"]).stdout,
        `daemonset.apps "${name}" deleted\n`,
      );
      assert.deepEqual(fake.probeDaemonSets(), []);
      const again = kubectl(["delete", "daemonset", name, "-n", "lab-probe"]);
      assert.equal(again.status, 1);
      assert.match(again.stderr, /NotFound/);
      assert.equal(kubectl(["delete", "daemonset", name, "-n", "lab-probe", "--ignore-not-found"]).status, 0);
    } finally {
      fake.remove();
    }
  });

  it("gives a probe without node affinity a pod on every recorded node", () => {
    const fake = makeFakeBin();
    const kubectl = (args: string[], input?: string) =>
      spawnSync(path.join(fake.dir, "kubectl"), args, {
        env: { ...process.env, ...fake.env },
        encoding: "utf8",
        input,
      });
    try {
      const ds = runNodeProbeDaemonSet({ namespace: "default", image: "nicolaka/netshoot:v0.13" }, "def456");
      assert.equal(kubectl(["create", "-f", "-", "-o", "name"], JSON.stringify(ds)).status, 0);
      const out = kubectl(["get", "pods", "-n", "default", "-l", `${RUN_PROBE_LABEL}=def456`, "-o", "json"]);
      const items = JSON.parse(out.stdout).items as { status: { phase: string } }[];
      assert.equal(items.length, 3);
      assert.ok(items.every((p) => p.status.phase === "Running"));
    } finally {
      fake.remove();
    }
  });
});
