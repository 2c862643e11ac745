import { strict as assert } from "node:assert";
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";

import { processGroupAlive } from "../../runner/processGroups";

/** The first line a child prints, or a failure after `ms`. */
function firstLine(child: ChildProcess, ms = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`no line in ${ms} ms: ${out}`)), ms);
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("\n")) {
        clearTimeout(timer);
        resolve(out.split("\n")[0]);
      }
    });
  });
}

function state(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
  } catch {
    return undefined;
  }
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("processGroupAlive (real processes, /proc)", function () {
  const started: ChildProcess[] = [];
  before(function () {
    if (process.platform !== "linux") this.skip();
  });
  after(() => {
    for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  });

  it("is true while a member runs and false once it has exited and been reaped", async () => {
    const child = spawn("sleep", ["30"], { detached: true, stdio: "ignore" });
    started.push(child);
    const pgid = child.pid!;
    assert.equal(processGroupAlive(pgid), true);
    const exited = new Promise((r) => child.once("exit", r));
    process.kill(-pgid, "SIGKILL");
    await exited;
    // Node reaps before 'exit': the group is now empty, which kill(-pgid, 0) answers with ESRCH.
    assert.equal(processGroupAlive(pgid), false);
  });

  it("is false for a group whose only member is a zombie (kill(-pgid, 0) succeeds: /proc decides)", async function () {
    if (!fs.existsSync("/usr/bin/python3") && !fs.existsSync("/bin/python3")) this.skip();
    // A parent outside the group forks a child that makes its own group and exits; the parent never
    // waits, so the group holds one zombie.
    const parent = spawn(
      "python3",
      [
        "-c",
        "import os, sys, time\n" +
          "pid = os.fork()\n" +
          "if pid == 0:\n    os.setpgid(0, 0)\n    os._exit(0)\n" +
          "print(pid, flush=True)\ntime.sleep(30)\n",
      ],
      { stdio: ["ignore", "pipe", "ignore"] },
    );
    started.push(parent);
    const zombie = Number(await firstLine(parent));
    await until(() => state(zombie) === "Z");
    // The kernel still counts the zombie as a member of its group...
    assert.doesNotThrow(() => process.kill(-zombie, 0));
    // ...and processGroupAlive does not.
    assert.equal(processGroupAlive(zombie), false);
  });

  it("is true for a group with a live member beside a zombie", async () => {
    // The shell (group leader, via detached) starts a short sleep and then becomes a long one, which
    // never reaps the short one: one zombie and one live member in the group.
    const child = spawn("sh", ["-c", "sleep 0.1 & exec sleep 30"], { detached: true, stdio: "ignore" });
    started.push(child);
    const pgid = child.pid!;
    await until(() => {
      const kids = fs.readdirSync("/proc").filter((e) => /^\d+$/.test(e) && e !== String(pgid));
      return kids.some((e) => {
        try {
          const f = fs.readFileSync(`/proc/${e}/stat`, "utf8");
          const fields = f.slice(f.lastIndexOf(")") + 2).split(" ");
          return Number(fields[2]) === pgid && fields[0] === "Z";
        } catch {
          return false;
        }
      });
    });
    assert.equal(processGroupAlive(pgid), true);
    process.kill(-pgid, "SIGKILL");
  });

  it("is false for a group that never existed", () => {
    // Above the largest pid_max Linux allows (4194304 on 64-bit: proc(5), /proc/sys/kernel/pid_max).
    assert.equal(processGroupAlive(4_194_305), false);
  });
});
