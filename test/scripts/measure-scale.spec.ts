import { strict as assert } from "node:assert";
import * as path from "node:path";

import { measure } from "../../scripts/measure-scale";

const ROOT = path.join(__dirname, "..", "..");

/**
 * Issue 25 item 1: the whole run of the real check CLI at 200 nodes, discovery and `--node-device auto`
 * included, against the fake kubectl of scripts/measure-scale.ts (a shell script, no network). Before
 * the fix the detection exec'd every node's agent and then its node probe, all at once, outside the
 * limiter: 436 execs, 125 at once.
 */
describe("a 200-node run with --node-device auto (scripts/measure-scale.ts)", function () {
  this.timeout(120_000);

  it("makes at most 60 execs, never more than --max-execs at once, and the dry run counts detection", async () => {
    // 5: the largest group that must run at once (redirect-peer-cross-node: the ping, the pod's capture,
    // two veth captures and the destination agent's trace); the limiter clamps a larger group to the
    // limit and admits it whole (runner/schedule.ts), so a smaller limit is exceeded by design.
    const f = await measure(ROOT, "one", 200, { nodeDevice: "auto", maxExecs: 5 });
    assert.ok(f.execs <= 60, JSON.stringify(f));
    assert.ok(f.maxExecsAtOnce <= 5, JSON.stringify(f));
    // The nine documents and cilium-config (the native-routing CIDR: read when --native-cidr is not given).
    assert.equal(f.gets, 10, JSON.stringify(f));
    // The sample's 3 status execs are in the plan; the fake agents show no device, so each of the 3
    // nodes also fell back to its probe's route: the run made exactly the plan plus those 3.
    assert.deepEqual(f.plannedDeviceExecs, { execs: 3, fallbackAtMost: 3 });
    assert.equal(f.execs, (f.plannedExecs ?? NaN) + 3, JSON.stringify(f));
  });
});
