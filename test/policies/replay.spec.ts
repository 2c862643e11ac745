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

const CURRENT = [
  "empty",
  "kind-command",
  "kind-config-file",
  "typo-resource",
  "typo-stack",
  "kube-proxy-daemonset",
  "tunnel-values",
  "legacy-host-routing",
  "helm-v3-chart",
  "helm-v4-chart",
  "helm-v4-render",
  "helm-v4-kube-proxy",
  "values-file",
  "compliant",
  "lab-dev",
  "lab-current",
  "phase-up",
  "phase-preview-after-up",
  // The same runs through the CLI built from v3.259.0, the newest tag.
  "kube-proxy-daemonset-v3.259.0",
  "helm-v4-render-v3.259.0",
  "typo-resource-v3.259.0",
];

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

  /** The one violation a recording's preview printed, and the policy that reported it. */
  function violated(name: string): string[] {
    return calls(loadRecording(`${name}/analyzer.jsonl`), "Analyze").flatMap((c) =>
      recordedDiags(c.response)
        .filter((d) => d.enforcementLevel === "MANDATORY")
        .map((d) => d.policyName),
    );
  }

  it("each policy's violation through the real CLI: the policy, and the preview stopped", () => {
    const expected: Record<string, string[]> = {
      "kube-proxy-daemonset": ["kube-proxy-disallowed"],
      "tunnel-values": ["cilium-native-routing-required"],
      "legacy-host-routing": ["cilium-host-legacy-routing-disallowed"],
      "helm-v3-chart": ["cilium-native-routing-required"],
      "helm-v4-kube-proxy": ["kube-proxy-disallowed"],
      "values-file": ["cilium-native-routing-required"],
      "kind-command": ["kind-default-cni-disabled", "kind-kube-proxy-disabled"],
      compliant: [],
    };
    for (const [name, policies] of Object.entries(expected)) {
      assert.deepEqual(violated(name).sort(), policies, name);
      assert.match(cli(name), policies.length > 0 ? /rc=1\n$/ : /rc=0\n$/, name);
      for (const p of policies) assert.match(cli(name), new RegExp(`- \\[mandatory\\]  ${p}  \\(`), name);
    }
  });

  it("a helm.v3.Release reaches the pack after the provider's Check: value files merged into values", () => {
    const [release] = calls(loadRecording("values-file/analyzer.jsonl"), "Analyze").filter(
      (c) => c.request.type === "kubernetes:helm.sh/v3:Release",
    );
    const props = release.request.properties as Record<string, unknown>;
    // pulumi-kubernetes v4.32.0 provider/pkg/provider/helm_release.go decodeRelease (lines 289-326).
    assert.equal(props.valueYamlFiles, undefined);
    assert.equal((props.values as Record<string, unknown>).routingMode, "tunnel");
    // Check also adds the provider's defaults (an autonamed release, the default namespace).
    assert.match(String(props.name), /^cilium-[0-9a-f]{8}$/);
    assert.equal(props.namespace, "default");
  });

  it("a helm.v4.Chart with no reachable cluster never reaches the pack: the provider's Construct fails first", () => {
    const types = calls(loadRecording("helm-v4-chart/analyzer.jsonl"), "Analyze").map((c) => c.request.type);
    assert.ok(!types.includes("kubernetes:helm.sh/v4:Chart"));
    assert.match(
      cli("helm-v4-chart"),
      /configured Kubernetes cluster is unreachable: unable to load schema information from the API server/,
    );
  });

  it("the lab in kind mode stops in the program without a Docker daemon (docker.getNetwork at preview)", () => {
    for (const stack of ["lab-dev", "lab-current"]) {
      const preview = JSON.parse(readFileSync(path.join(FIXTURES, stack, "preview.json"), "utf8")) as {
        diagnostics: { message: string; severity: string }[];
      };
      const errors = preview.diagnostics.filter((d) => d.severity === "error").map((d) => d.message);
      assert.ok(
        errors.some((m) =>
          m.includes(
            "invocation of docker:index/getNetwork:getNetwork returned an error: docker native provider returned an unexpected error from Configure: failed to connect to any docker daemon",
          ),
        ),
        stack,
      );
      assert.equal(calls(loadRecording(`${stack}/analyzer.jsonl`), "AnalyzeStack").length, 0, stack);
    }
  });

  it("a helm.v4.Chart reaches the pack with empty inputs; its rendered cilium-config is judged (1955ded let it pass)", async () => {
    const rec = loadRecording("helm-v4-render/analyzer.jsonl");
    const analyzed = calls(rec, "Analyze");
    const chart = analyzed.find((c) => c.request.type === "kubernetes:helm.sh/v4:Chart");
    assert.deepEqual(chart?.request.properties, {});
    assert.deepEqual(recordedDiags(chart?.response), []);
    const configMap = analyzed.find((c) => c.request.name === "cilium:default/cilium-config");
    assert.equal((configMap?.request.options as Record<string, unknown>).parent, chart?.request.urn);
    assert.deepEqual(violated("helm-v4-render"), ["cilium-config-datapath-required"]);
    assert.match(
      cli("helm-v4-render"),
      /found tunnel=vxlan and no routing-mode \(want tunnel: disabled before 1\.14\) in ConfigMap cilium-config/,
    );
    // The pack before this issue: the same preview passed.
    assert.match(cli("helm-v4-render-1955ded"), /✅ cilium-ebpf-lab@v0\.1\.0[\s\S]*rc=0\n$/);
    // Today's pack answers the old recording's requests with the violation.
    const now = await replay(loadRecording("helm-v4-render-1955ded/analyzer.jsonl"));
    assert.deepEqual(
      now.flatMap((r) => r.now.diags).map((d) => d.policyName),
      ["cilium-config-datapath-required"],
    );
  });

  it("the README's violation sample is what the real CLI printed (the header names the --policy-pack path given)", () => {
    const readme = readFileSync(path.join(FIXTURES, "..", "..", "..", "README.md"), "utf8");
    const m = /<!-- policy-violation-sample -->\n```text\n([\s\S]*?)\n```/.exec(readme);
    assert.ok(m);
    const printed = cli("kube-proxy-daemonset").split("\n");
    for (const line of m[1].split("\n")) {
      const expected = line.replace("(local: policies)", "(local: /work/build/i23/run/lab/policies)");
      assert.ok(printed.includes(expected), line);
    }
  });

  it("at up and at the preview after it, AnalyzeStack sees every resource's outputs (the Commands' stdout)", () => {
    for (const name of ["phase-up", "phase-preview-after-up"]) {
      const [stack] = calls(loadRecording(`${name}/analyzer.jsonl`), "AnalyzeStack");
      const resources = stack.request.resources as {
        type: string;
        name: string;
        properties: Record<string, unknown>;
      }[];
      const cluster = resources.find((r) => r.name === "cluster");
      assert.match(String(cluster?.properties.stdout), /^cluster-\d+$/, name);
      assert.match(cli(name), /rc=0\n$/, name);
    }
  });
});
