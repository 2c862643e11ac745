import * as assert from "assert";
import { validateConfig } from "../../lib/config";
import {
  variantOfDescription,
  variantProfileDifferences,
  variantReleaseDescription,
} from "../../lib/configVariant";
import { withClusterDifferences, parseProfileDifferences } from "../../runner/profileVerdicts";
import type { LabContext } from "../../checks/types";

describe("lib/configVariant: the declared datapath variant", () => {
  it("defaults to bpf, which declares nothing (no description, no differences)", () => {
    assert.strictEqual(validateConfig({}).datapathVariant, "bpf");
    assert.strictEqual(variantReleaseDescription("bpf"), undefined);
    assert.strictEqual(variantProfileDifferences("bpf"), undefined);
  });

  it("hands the runner enable-host-legacy-routing=true for legacy-host-routing, in the shape it parses", () => {
    const json = variantProfileDifferences("legacy-host-routing");
    assert.ok(json);
    const parsed = parseProfileDifferences(json);
    assert.deepStrictEqual(parsed, [
      { key: "enable-host-legacy-routing", found: "true", lab: "false (BPF host routing)" },
    ]);
    const ctx = withClusterDifferences({} as LabContext, parsed);
    assert.deepStrictEqual(
      ctx.clusterDifferences?.map((d) => d.key),
      ["enable-host-legacy-routing"],
    );
  });

  it("reads back only the description it writes, and only for a non-default variant", () => {
    assert.strictEqual(
      variantReleaseDescription("legacy-host-routing"),
      "lab/datapath-variant=legacy-host-routing",
    );
    assert.strictEqual(
      variantOfDescription("lab/datapath-variant=legacy-host-routing"),
      "legacy-host-routing",
    );
    for (const other of [
      undefined,
      1,
      "",
      "lab/datapath-variant=bpf",
      "lab/datapath-variant=tunnel",
      "legacy-host-routing",
    ]) {
      assert.strictEqual(variantOfDescription(other), undefined, String(other));
    }
  });
});
