/**
 * The pack fed what the real engine sent it (issue 23): the Analyze and AnalyzeStack requests of
 * `pulumi preview --policy-pack` runs of Pulumi CLI v3.248.0, recorded in test/fixtures/engine
 * (SOURCES.md there: commands, versions, the pack's commit). Replayed through @pulumi/policy's own
 * handlers (./replay.ts), today's pack must answer what the recorded pack answered: the same
 * violations, the same refusals. The recordings of the old pack (commit 1955ded) show the defects
 * this issue fixed, and today's pack must answer those requests differently.
 */
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { Diag, FIXTURES, calls, loadRecording, recordedDiags, replay } from "./replay";

const CURRENT = ["empty", "kind-command", "kind-config-file", "typo-resource", "typo-stack"];

/** The CLI's output of a recording. */
function cli(name: string): string {
  return readFileSync(path.join(FIXTURES, name, "cli.txt"), "utf8");
}

const sorted = (ds: readonly Diag[]) =>
  [...ds].sort((a, b) => `${a.urn}${a.policyName}`.localeCompare(`${b.urn}${b.policyName}`));

describe("the pack replaying the real engine's requests (test/fixtures/engine)", () => {
  for (const name of CURRENT) {
    it(`${name}: answers every recorded Analyze/AnalyzeStack request as the recorded pack did`, async () => {
      const rec = loadRecording(`${name}/analyzer.jsonl`);
      const replayed = await replay(rec);
      // At least the stack resource's Analyze (a refusal there ends the preview).
      assert.ok(replayed.length >= 1);
      for (const { call, now } of replayed) {
        if (call.errors !== undefined) {
          // The engine got an error (the gRPC status text holds the pack's message).
          assert.ok(now.error !== undefined, `${call.method} ${String(call.request.urn)}: no error now`);
          const first = now.error.split("\n").find((l) => l.startsWith("Error: policy ")) ?? now.error;
          assert.ok(
            call.errors.some((e) => e.includes(first.replace(/^Error: /, ""))),
            first,
          );
        } else {
          assert.equal(now.error, undefined, `${call.method}: ${now.error}`);
          assert.deepEqual(sorted(now.diags), sorted(recordedDiags(call.response)));
        }
      }
    });
  }

  it("the engine analyzes the stack resource first, so a resource policy's typo stops even an empty stack", () => {
    const rec = loadRecording("typo-resource/analyzer.jsonl");
    const [first] = calls(rec, "Analyze");
    assert.equal(first.request.type, "pulumi:pulumi:Stack");
    assert.match(String(first.errors), /unknown config property "checkKindConfg"/);
    assert.match(cli("typo-resource"), /rc=1\n$/);
    // The pack of 1955ded checked a policy's config only on resources of its type: the same preview passed.
    assert.match(cli("typo-resource-1955ded"), /rc=0\n$/);
  });

  it("a stack policy's typo stops the preview at AnalyzeStack", () => {
    const [stack] = calls(loadRecording("typo-stack/analyzer.jsonl"), "AnalyzeStack");
    assert.match(String(stack.errors), /unknown config property "extraNodeNetworkz"/);
  });

  it("AnalyzeStack runs even when Analyze reported mandatory violations (a violation is no failed step)", () => {
    const rec = loadRecording("kind-command/analyzer.jsonl");
    const violated = calls(rec, "Analyze").flatMap((c) => recordedDiags(c.response));
    assert.deepEqual(violated.map((d) => d.policyName).sort(), [
      "kind-default-cni-disabled",
      "kind-kube-proxy-disabled",
    ]);
    assert.equal(calls(rec, "AnalyzeStack").filter((c) => c.response !== undefined).length, 1);
  });

  it("kind --config kind.yaml in the program's directory: read and passed now; blocked by the pack of 1955ded", async () => {
    const old = loadRecording("kind-config-file-1955ded/analyzer.jsonl");
    const oldDiags = calls(old, "Analyze").flatMap((c) => recordedDiags(c.response));
    assert.equal(oldDiags.filter((d) => d.enforcementLevel === "MANDATORY").length, 2);
    // The same requests, answered by today's pack: no violation. Replayed here, the pack finds no
    // directory of the project `violations` up its process chain (this runner's is cilium-ebpf-lab),
    // so it cannot read kind.yaml and the kind policies are not applicable: never a mandatory
    // violation. Under the real CLI it found and read the file (cli.txt of kind-config-file).
    const now = await replay(old);
    assert.deepEqual(
      now.flatMap((r) => r.now.diags),
      [],
    );
    assert.match(cli("kind-config-file"), /rc=0\n$/);
    // Under the real CLI the pack found the program's directory and read the file: the kind policies
    // judged the Command (they are not among its not-applicable policies) and found nothing.
    const real = calls(loadRecording("kind-config-file/analyzer.jsonl"), "Analyze").find(
      (c) => c.request.type === "command:local:Command",
    );
    const notApplicable = ((real?.response?.notApplicable ?? []) as { policyName: string }[]).map(
      (n) => n.policyName,
    );
    assert.ok(notApplicable.length > 0);
    assert.ok(
      !notApplicable.includes("kind-default-cni-disabled") &&
        !notApplicable.includes("kind-kube-proxy-disabled"),
    );
  });

  it("the README quotes what the CLI printed when the pack's SDK is missing", () => {
    const line = cli("pack-sdk-missing")
      .split("\n")
      .find((l) => l.startsWith("error: policy pack "));
    assert.ok(line);
    const readme = readFileSync(path.join(FIXTURES, "..", "..", "..", "README.md"), "utf8");
    assert.ok(readme.includes(`\n${line}\n`), line);
  });
});
