import { strict as assert } from "assert";
import * as full from "semver";

import * as lib from "../../lib/semver";

describe("lib/semver (the functions the lab uses, loaded one module each)", () => {
  it("gives the very functions of the semver package's index", () => {
    for (const [name, fn] of Object.entries(lib)) {
      assert.equal(typeof fn, "function", name);
      assert.equal(fn, (full as unknown as Record<string, unknown>)[name], name);
    }
    assert.deepEqual(Object.keys(lib).sort(), [
      "coerce",
      "gt",
      "gte",
      "lt",
      "major",
      "minor",
      "parse",
      "satisfies",
      "valid",
    ]);
  });
});
