import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { USAGE } from "../../cli/checkArgs";

const ROOT = path.join(__dirname, "..", "..");

// eslint-disable-next-line @typescript-eslint/no-require-imports
const launcher = require("../../cli/run.js") as {
  compiledIsFresh(root: string, name: string): boolean;
};

/** A throwaway tree shaped like the project: cli/check.ts, checks/types.ts, bin/cli/check.js, bin/.built. */
function makeTree(): { root: string; touch(rel: string, secondsAgo: number): void; remove(): void } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "lab-launcher-"));
  const touch = (rel: string, secondsAgo: number): void => {
    const p = path.join(root, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    if (!fs.existsSync(p)) fs.writeFileSync(p, "");
    const t = Date.now() / 1000 - secondsAgo;
    fs.utimesSync(p, t, t);
  };
  return { root, touch, remove: () => fs.rmSync(root, { recursive: true, force: true }) };
}

describe("cli/run.js: which program it starts", () => {
  let tree: ReturnType<typeof makeTree>;
  beforeEach(() => {
    tree = makeTree();
    tree.touch("cli/check.ts", 100);
    tree.touch("checks/types.ts", 100);
    tree.touch("data/cilium-chart-index.json", 100);
    tree.touch("bin/cli/check.js", 50);
  });
  afterEach(() => tree.remove());

  it("uses the compiled JavaScript when the build stamp is newer than every source", () => {
    tree.touch("bin/.built", 50);
    assert.equal(launcher.compiledIsFresh(tree.root, "check"), true);
  });

  it("falls back to the TypeScript when any source below a runner folder changed after the build", () => {
    tree.touch("bin/.built", 50);
    tree.touch("checks/types.ts", 10);
    assert.equal(launcher.compiledIsFresh(tree.root, "check"), false);
  });

  it("falls back when the chart index data changed after the build", () => {
    tree.touch("bin/.built", 50);
    tree.touch("data/cilium-chart-index.json", 10);
    assert.equal(launcher.compiledIsFresh(tree.root, "check"), false);
  });

  it("falls back when nothing was built (no stamp) or the program is missing from bin/", () => {
    assert.equal(launcher.compiledIsFresh(tree.root, "check"), false);
    tree.touch("bin/.built", 50);
    assert.equal(launcher.compiledIsFresh(tree.root, "perf"), false);
  });
});

describe("cli/run.js as a real process", () => {
  it("runs the check program with its own flags", function () {
    this.timeout(60000);
    const r = spawnSync(process.execPath, ["cli/run.js", "check", "--help"], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 60000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, USAGE);
  });

  it("refuses an unknown program with exit 2 and the list of programs", () => {
    const r = spawnSync(process.execPath, ["cli/run.js", "main"], { cwd: ROOT, encoding: "utf8" });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /usage: node cli\/run\.js check\|perf\|report\|preflight\|e2eReport/);
  });
});
