import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
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

  it("logs every argv exactly, whichever of its two halves answered, with the kubeconfig's mode", () => {
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
});
