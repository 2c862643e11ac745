import * as assert from "assert";
import { spawnSync } from "child_process";
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
});
