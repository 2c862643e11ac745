/**
 * The mocks' resource graph (./engine.ts `declare`, index.ts under Pulumi mocks) against what the real
 * engine analyzed in a preview of the same stack (test/fixtures/engine/lab-dev and lab-current:
 * Pulumi CLI v3.248.0, pulumi-command v1.2.1 and pulumi-docker v5.1.0 built here). Every resource the
 * engine analyzed is compared with the mock of the same type and name: its parent and its inputs,
 * which are what the policies read. Each difference is explained below.
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { PROJECT } from "../helpers/pulumiMocks";
import { declare } from "./engine";
import { calls, loadRecording } from "./replay";

const ROOT = path.resolve(__dirname, "..", "..");

/**
 * Explained differences put back: the recording's program directory (a copy of this repository) as
 * this repository's root (the preflight Command runs there: `dir`, and inside `create`), and the
 * stack's name as the mocks' (`test`, in the stack label `cilium-ebpf-lab/<stack>`).
 */
function relocated(value: unknown, programDir: string, stackName: string): unknown {
  return JSON.parse(
    JSON.stringify(value)
      .split(programDir)
      .join(ROOT)
      .split(`${PROJECT}/${stackName}`)
      .join(`${PROJECT}/test`),
  );
}

/** The resource name at the end of a URN, with its type (`type::name`). */
const tail = (urn: string) => urn.split("::").slice(-2).join("::");

for (const [stack, file] of [
  ["lab-dev", "Pulumi.dev.yaml"],
  ["lab-current", "Pulumi.current.yaml"],
] as const) {
  describe(`the mocks against the real engine's preview of ${file}`, () => {
    const real = calls(loadRecording(`${stack}/analyzer.jsonl`), "Analyze").map((c) => c.request);
    const preflight = real.find((r) => r.name === "preflight-run");
    const programDir = String((preflight?.properties as Record<string, unknown>)?.dir);
    const stackName = stack === "lab-dev" ? "dev" : "current";

    it("analyzed the same resources, with the same parents and inputs", async () => {
      const mock = await declare("first-preview", { stackFile: file });
      const compared: string[] = [];
      for (const r of real) {
        const type = String(r.type);
        // Explained: the engine also analyzes the stack resource and the default providers (the
        // mocks leave them out); the pack judges none of them (every policy answered not applicable).
        if (type === "pulumi:pulumi:Stack" || type.startsWith("pulumi:providers:")) continue;
        const m = mock.find((x) => x.type === type && x.name === r.name);
        assert.ok(m, `${type} ${String(r.name)} is not in the mocks`);
        assert.deepEqual(
          relocated(r.properties, programDir, stackName),
          m.inputs,
          `${type} ${String(r.name)}`,
        );
        // A child's parent is in its options; the mocks' URN names the parent's type in its own.
        const parent = String((r.options as Record<string, unknown>)?.parent ?? "");
        if (!parent.includes("pulumi:pulumi:Stack")) {
          assert.ok(tail(m.urn).startsWith(`${parent.split("::")[2]}$`), `${type} ${String(r.name)} parent`);
        }
        compared.push(`${type} ${String(r.name)}`);
      }
      assert.deepEqual(compared.sort(), [
        "command:local:Command preflight-run",
        "lab:index:KindCluster lab",
        "lab:index:LabChecks checks",
        "lab:index:LabPreflight preflight",
        "lab:index:LabWorkload workload",
      ]);
      // Explained: the real preview stopped in the program at KindCluster's docker.getNetwork invoke
      // (no Docker daemon here), so the resources declared after it (the Docker network, the kind
      // Commands, the Kubernetes provider and everything on it) never reached the engine; the mocks
      // answer the invoke and declare them (18 in all, the stack's Docker provider `lab-docker` among
      // them: the real preview analyzed it too, as a provider, skipped above).
      assert.equal(mock.length, 18);
    });
  });
}
