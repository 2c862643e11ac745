import * as assert from "assert";
import { PassThrough } from "stream";
import { main } from "../../cli/abStack";

function io() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const text = (s: PassThrough) => String(s.read() ?? "");
  return { stdout, stderr, out: () => text(stdout), err: () => text(stderr) };
}

describe("cli/abStack", () => {
  it("prints its usage without exactly one stack name", async () => {
    for (const argv of [[], ["dev", "extra"]]) {
      const s = io();
      assert.strictEqual(await main(argv, s), 2);
      assert.match(s.err(), /usage: node cli\/run.js abStack STACK/);
    }
  });

  it("says why, writing nothing, when the stack cannot be derived", async () => {
    const s = io();
    assert.strictEqual(await main(["a b"], s), 1);
    assert.match(s.err(), /stack name "a b" must be letters, digits/);
    assert.strictEqual(s.out(), "");
  });
});
