/**
 * The lab's lifecycle recoveries, run in miniature by the real Pulumi CLI v3.248.0 (our SDK's) and
 * v3.259.0 (the newest tag in the snapshot read), with pulumi-command
 * v1.2.1 (test/fixtures/engine/lifecycle, SOURCES.md there): a "cluster" Command and a "release"
 * Command whose delete fails (as a Helm release's delete fails on a cluster that is gone),
 * `deletedWith` the cluster and replaced with it. What README "Lifecycle" says rests on these runs.
 */
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";

const DIR = path.join(__dirname, "fixtures", "engine", "lifecycle");

function step(run: string, name: string): string {
  return readFileSync(path.join(DIR, run, name), "utf8");
}

/** The resources whose provider Delete the engine called, with whether it failed. */
function deletes(run: string): { name: string; failed: boolean }[] {
  return readFileSync(path.join(DIR, run, "deletes.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as { request: { urn: string }; errors?: string[] | null })
    .map((c) => ({ name: c.request.urn.split("::").pop() as string, failed: (c.errors ?? []).length > 0 }));
}

for (const [version, suffix] of [
  ["v3.248.0", ""],
  ["v3.259.0", "-v3.259.0"],
] as const) {
  describe(`lifecycle recoveries through the real CLI ${version} (recorded)`, () => {
    it("replacing the deletedWith target create-first skips the dependent's delete: up --replace passes", () => {
      assert.match(step(`deleted-with${suffix}`, "2-replace.txt"), /\+-2 replaced[\s\S]*rc=0\n$/);
      assert.deepEqual(
        deletes(`deleted-with${suffix}`).map((d) => d.name),
        ["cluster", "cluster"],
      );
    });

    it("replacing it delete-first (the lab's kind cluster) deletes the dependent first: up --replace fails", () => {
      const replace = step(`deleted-with-dbr${suffix}`, "2-replace.txt");
      assert.match(replace, /command:local:Command release \*\*deleting failed\*\*/);
      assert.match(replace, /rc=1\n$/);
      assert.deepEqual(deletes(`deleted-with-dbr${suffix}`)[0], { name: "release", failed: true });
    });

    it("destroy skips the dependent's delete in both shapes", () => {
      for (const run of [`deleted-with${suffix}`, `deleted-with-dbr${suffix}`]) {
        assert.match(step(run, "3-destroy.txt"), /rc=0\n$/, run);
        assert.ok(!deletes(run).some((d) => d.name === "release" && !d.failed), run);
      }
      assert.equal(deletes(`deleted-with-dbr${suffix}`).filter((d) => d.name === "release").length, 1);
    });
  });
}
