import * as assert from "node:assert/strict";
import * as path from "node:path";

import { projectRoot } from "../../lib/projectRoot";

const ROOT = path.join(__dirname, "..", "..");

describe("projectRoot", () => {
  it("finds the folder holding Pulumi.yaml from a source folder and from a compiled one below bin/", () => {
    assert.equal(projectRoot(path.join(ROOT, "cli")), ROOT);
    assert.equal(projectRoot(path.join(ROOT, "bin", "cli")), ROOT);
  });

  it("says where it looked when no folder above holds Pulumi.yaml", () => {
    assert.throws(() => projectRoot("/proc/self"), /no Pulumi\.yaml in \/proc\/self or any folder above it/);
  });
});
