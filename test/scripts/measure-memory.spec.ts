import { strict as assert } from "node:assert";
import * as fs from "node:fs";

import { labDocs, measureRun } from "../../scripts/measure-memory";
import { treeOf } from "../../scripts/procTree";
import { REAL_KUBECTL } from "../helpers/fakeApiServer";

/**
 * The invariants scripts/measure-memory.ts measured, kept from regressing on a small run: the real
 * runner and the real kubectl against the fake API server, the process tree sampled from /proc.
 */
describe("a check run's process tree (real runner, real kubectl, fake API server)", function () {
  before(function () {
    if (!fs.existsSync(REAL_KUBECTL)) {
      console.warn(`    skipped: ${REAL_KUBECTL} is absent (this test drives the real kubectl)`);
      this.skip();
    }
  });

  it("finds a process and its children in /proc", () => {
    assert.ok(treeOf(process.pid).includes(process.pid));
    assert.deepEqual(treeOf(-1), []);
  });

  it("keeps kubectl exec within --max-execs, one get per document, and the tree far under 1 GB", async () => {
    const m = await measureRun({
      docs: labDocs(3),
      // Per-node checks, a recorded ping, and a capture with its traffic (a ready group of 2, admitted
      // together; a group larger than --max-execs is admitted whole: runner/schedule.ts ExecLimiter).
      args: ["--only", "node-routes,ping-cross-node,redirect-neigh", "--max-execs", "2"],
      // Each exec held 0.5 s (the measurement's default), and first until two run at once (a latch,
      // up to 5 s): the bound is reached however slowly kubectl starts on a loaded machine, and a
      // runner that ran one at a time would show 1 (issue 21; 0.1 s holds alone once left them apart).
      execMs: 500,
      holdUntilAtOnce: 2,
      intervalMs: 10,
    });
    assert.equal(m.exitCode, 0, m.stderrTail);
    // The bound was reached (so it is what held the count), and never passed.
    assert.equal(m.execsAtOnce, 2, JSON.stringify(m));
    assert.ok(m.kubectlExec <= 2, JSON.stringify(m));
    assert.ok(m.kubectlGet <= 9, JSON.stringify(m));
    assert.ok(m.recordedAnswers >= 1 && (m.verdicts.pass ?? 0) >= 1, JSON.stringify(m));
    // One runner (compiled, or ts-node when bin/ is stale): measured 52-56 MB compiled.
    assert.ok(m.rootRssMb < 250, `runner peak RSS ${m.rootRssMb} MB`);
    assert.ok(m.treePssMb < 1024, `tree peak PSS ${m.treePssMb} MB`);
  });
});
