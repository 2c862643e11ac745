import * as assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { specialAssetSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { helmValuesOf } from "../../../policies/lib/helmValues";
import { ancestorDirs, programDir, projectOfUrn } from "../../../policies/lib/programDir";

describe("policies/lib/programDir", () => {
  const root = mkdtempSync(path.join(tmpdir(), "program-dir-"));
  const other = path.join(root, "other");
  const program = path.join(root, "program");
  mkdirSync(other);
  mkdirSync(program);
  writeFileSync(path.join(other, "Pulumi.yaml"), "name: someone-else\nruntime: nodejs\n");
  writeFileSync(path.join(program, "Pulumi.yaml"), "name: lab\nruntime: nodejs\n");
  writeFileSync(path.join(program, "values.yaml"), "routingMode: tunnel\n");

  it("is the first candidate holding a Pulumi.yaml of the project", () => {
    assert.equal(programDir("lab", [root, other, program]), program);
    assert.equal(programDir(undefined, [root, other, program]), other);
    assert.equal(programDir("nobody", [root, other, program]), undefined);
  });

  it("reads the project from a URN", () => {
    assert.equal(projectOfUrn("urn:pulumi:dev::lab::kubernetes:helm.sh/v3:Release::cilium"), "lab");
    assert.equal(projectOfUrn("not-a-urn"), undefined);
  });

  it("finds the ancestors' working directories (this test's runner started in the repository)", () => {
    const dirs = ancestorDirs();
    assert.ok(dirs.length > 0);
    assert.equal(programDir("cilium-ebpf-lab", dirs), path.resolve(__dirname, "..", "..", ".."));
  });

  it("resolves a relative FileAsset of Helm values against the program's directory (issue 23)", async () => {
    const props = { valueYamlFiles: [{ [specialSigKey]: specialAssetSig, path: "values.yaml" }] };
    assert.deepEqual(await helmValuesOf(props, program), {
      values: { routingMode: "tunnel" },
      unreadable: [],
    });
    const elsewhere = await helmValuesOf(props, other);
    assert.match(elsewhere.unreadable[0], /^valueYamlFiles\[0\]: ENOENT/);
    const nowhere = await helmValuesOf(props, undefined);
    assert.deepEqual(nowhere.unreadable, [
      "valueYamlFiles[0]: values.yaml: relative, and the program's directory was not found",
    ]);
  });
});
