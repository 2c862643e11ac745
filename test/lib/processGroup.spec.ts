/**
 * lib/processGroup.ts: a Command's work in its own process group, ended whole when Pulumi kills the
 * Command's shell (SIGKILL from Go's exec.CommandContext on cancel: see the module's comment).
 */
import * as assert from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { inOwnProcessGroup } from "../../lib/processGroup";
import { treeOf } from "../../scripts/procTree";
import { running, until } from "../helpers/processes";
import { shellcheck } from "../helpers/stubs";

describe("lib/processGroup", function () {
  this.timeout(30000);

  it("passes stdin, stdout and the work's exit status through, and passes shellcheck", function () {
    const script = inOwnProcessGroup("cat; echo done; exit 3", { graceSeconds: 5 });
    const r = spawnSync("/bin/sh", ["-c", script], { input: "config\n", encoding: "utf8", timeout: 10000 });
    assert.strictEqual(r.stdout, "config\ndone\n");
    assert.strictEqual(r.status, 3);
    const sc = shellcheck(script);
    if (!sc.available) {
      if (process.env.CI) assert.fail("shellcheck is not installed");
      this.skip();
    }
    assert.strictEqual(sc.output, "");
  });

  it("ends the whole group, after the work's own trap ran, when the Command's shell is SIGKILLed", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pg-"));
    try {
      // The work: a trap that records its cleanup, and a long child (like kind create) whose pid is kept.
      const work = [
        `trap 'echo cleaned >"${dir}/cleanup"; exit 130' TERM`,
        `sleep 60 & echo $! >"${dir}/child"`,
        "wait",
      ].join("\n");
      const child = spawn("/bin/sh", ["-c", inOwnProcessGroup(work, { graceSeconds: 5 })], {
        stdio: ["pipe", "ignore", "ignore"],
      });
      child.stdin.end();
      assert.ok(await until(() => fs.existsSync(path.join(dir, "child")), 5000), "the work started");
      assert.ok(
        await until(() => /^\d+\n$/.test(fs.readFileSync(path.join(dir, "child"), "utf8")), 5000),
        "the work wrote its child's pid",
      );
      const sleeper = Number(fs.readFileSync(path.join(dir, "child"), "utf8"));
      assert.ok(running(sleeper));
      // The outer shell starts the work first, then its watcher: killed in between, nothing would
      // watch (a window of one fork, said in issue 21's note). Wait for the watcher, so the test
      // kills the shell where Pulumi's cancel meets it, not inside that window (this failed once in a
      // full parallel run: the work had started, the watcher not yet). Tree: the shell, the work, its
      // sleep, the watcher.
      assert.ok(await until(() => treeOf(child.pid!).length >= 4, 5000), "the watcher started");
      child.kill("SIGKILL");
      assert.ok(await until(() => !running(sleeper), 8000), "the work's child must be ended with its group");
      assert.strictEqual(fs.readFileSync(path.join(dir, "cleanup"), "utf8"), "cleaned\n");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
