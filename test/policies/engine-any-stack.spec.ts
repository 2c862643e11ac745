/**
 * The pack on resources another stack could declare (defect 3), and the README's violation sample
 * (defect 5), called the way the engine calls it (./engine.ts).
 */
import * as assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { specialAssetSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { printViolation } from "./display";
import { EngineResource, analyze, declare, extraResource, kubeProxyDaemonSet, violations } from "./engine";

type Obj = Record<string, unknown>;

function named(rs: EngineResource[], name: string): EngineResource {
  const r = rs.find((x) => x.name === name);
  assert.ok(r, `no resource ${name}`);
  return r;
}

describe("the pack on resources of any stack (defect 3), as the engine calls it", () => {
  let base: EngineResource[];
  before(async () => {
    base = await declare("first-preview", { stackFile: "Pulumi.current.yaml" });
  });

  const run = async (...extra: EngineResource[]) =>
    violations(await analyze([...structuredClone(base), ...extra], "first-preview")).filter((d) =>
      extra.some((e) => e.urn === d.urn),
    );

  it("judges the config a kind Command pipes from a heredoc into kind create cluster --config=-", async () => {
    const cmd = extraResource("command:local:Command", "other-kind", {
      create: [
        "set -eu",
        "cat <<EOF | kind create cluster --name other --config=-",
        "kind: Cluster",
        "apiVersion: kind.x-k8s.io/v1alpha4",
        "networking:",
        "  disableDefaultCNI: true",
        "EOF",
        "",
      ].join("\n"),
    });
    const found = await run(cmd);
    assert.deepEqual(
      found.map((d) => d.policy),
      ["kind-kube-proxy-disabled"],
    );
    assert.match(
      found[0].message,
      /found networking\.kubeProxyMode unset \(kind then installs kube-proxy in iptables mode\) in the kind config of kind create cluster in this Command \(a heredoc\)/,
    );
  });

  it("judges a --config file the command writes, and a kind create cluster without --config", async () => {
    const written = extraResource("command:local:Command", "file-kind", {
      create: [
        "dir=$(mktemp -d)",
        "cat > \"$dir/kind.yaml\" <<'EOF'",
        "kind: Cluster",
        "apiVersion: kind.x-k8s.io/v1alpha4",
        "networking:",
        "  kubeProxyMode: none",
        "EOF",
        'kind create cluster --config "$dir/kind.yaml"',
      ].join("\n"),
    });
    const bare = extraResource("command:local:Command", "bare-kind", {
      create: "kind create cluster --name x",
    });
    const found = await run(written, bare);
    assert.deepEqual(
      found.map((d) => [d.policy, d.urn.split("::").pop()]),
      [
        ["kind-default-cni-disabled", "file-kind"],
        ["kind-default-cni-disabled", "bare-kind"],
        ["kind-kube-proxy-disabled", "bare-kind"],
      ],
    );
    assert.match(found[0].message, /\(the file \$dir\/kind\.yaml the command writes\)/);
    assert.match(found[1].message, /without --config \(kind's defaults, so kind then installs kindnet\)/);
  });

  it("reads a --config file from the Command's dir, and never blocks when it cannot (issue 23)", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "kind-config-"));
    const kindYaml = (networking: string[]) =>
      ["kind: Cluster", "apiVersion: kind.x-k8s.io/v1alpha4", "networking:", ...networking, ""].join("\n");
    writeFileSync(
      path.join(dir, "kind.yaml"),
      kindYaml(["  disableDefaultCNI: true", "  kubeProxyMode: none"]),
    );
    writeFileSync(path.join(dir, "proxy.yaml"), kindYaml(["  disableDefaultCNI: true"]));
    const command = (name: string, file: string) =>
      extraResource("command:local:Command", name, { create: `kind create cluster --config ${file}`, dir });
    const found = await run(
      command("compliant", "kind.yaml"),
      command("with-proxy", "proxy.yaml"),
      command("no-file", "missing.yaml"),
    );
    assert.deepEqual(
      found.map((d) => [d.policy, d.urn.split("::").pop()]),
      [["kind-kube-proxy-disabled", "with-proxy"]],
    );
    assert.match(found[0].message, new RegExp(`\\(the file ${path.join(dir, "proxy.yaml")}\\)`));
  });

  it("judges Cilium installed by helm.v4.Chart and helm.v3.Chart, version-aware", async () => {
    const v4 = extraResource(
      "kubernetes:helm.sh/v4:Chart",
      "cilium-v4",
      {
        chart: "oci://quay.io/cilium/charts/cilium",
        version: "1.18.12",
        values: { routingMode: "tunnel" },
      },
      { custom: false },
    );
    const v3 = extraResource(
      "kubernetes:helm.sh/v3:Chart",
      "cilium-v3",
      {
        chart: "cilium",
        fetchOpts: { repo: "https://helm.cilium.io", version: "1.13.0-rc5" },
        values: { tunnel: "vxlan" },
      },
      { custom: false },
    );
    const found = (await run(v4, v3)).filter((d) => d.policy === "cilium-native-routing-required");
    assert.deepEqual(
      found.map((d) => d.message.split("\n")[1]),
      [
        "Cilium must route natively: found routingMode=tunnel; set routingMode: native (the stack writes it from lab config; remove the override)",
        "Cilium must route natively: found tunnel=vxlan on chart 1.13.0-rc5; set tunnel: disabled (charts before 1.14 have no routingMode; the stack writes it from lab config; remove the override)",
      ],
    );
    const unsupported = extraResource(
      "kubernetes:helm.sh/v4:Chart",
      "cilium-new",
      { chart: "cilium", version: "1.21.0" },
      { custom: false },
    );
    assert.ok((await run(unsupported)).some((d) => /found chart version 1\.21\.0/.test(d.message)));
  });

  it("merges readable valueYamlFiles under the values, and names the ones it cannot read", async () => {
    // A Chart component: a helm.v3.Release never shows valueYamlFiles to the pack, the provider's Check
    // merges them into values first (recorded: test/fixtures/engine/values-file, test/policies/replay.spec.ts).
    const release = named(structuredClone(base), "cilium-release");
    const withFile = extraResource(
      "kubernetes:helm.sh/v3:Chart",
      "cilium-files",
      {
        chart: "cilium",
        fetchOpts: { repo: "https://helm.cilium.io", version: (release.inputs as Obj).version },
        values: { ...(release.inputs.values as Obj), bpf: { monitorAggregation: "none" } },
        valueYamlFiles: [
          { [specialSigKey]: specialAssetSig, text: "bpf:\n  masquerade: false\n" },
          { [specialSigKey]: specialAssetSig, path: "/nonexistent/cilium-values.yaml" },
          // Relative: read from the program's directory, this repository (policies/lib/programDir.ts).
          { [specialSigKey]: specialAssetSig, path: "Pulumi.dev.yaml" },
        ],
      },
      { custom: false },
    );
    const found = await run(withFile);
    assert.deepEqual(found.map((d) => d.policy).sort(), [
      "cilium-bpf-masquerade-required",
      "cilium-unknown-values-reported",
      "cilium-unknown-values-reported",
    ]);
    const unknownValues = found.filter((d) => d.policy === "cilium-unknown-values-reported");
    assert.match(unknownValues[0].message, /could not read a values file: found valueYamlFiles\[1\]: ENOENT/);
    // Pulumi.dev.yaml was read: its top-level `config` is no Cilium value.
    assert.match(unknownValues[1].message, /found config=\{"cilium-ebpf-lab:clusterName"/);
  });
});

describe("the README's violation sample (defect 5)", () => {
  it("is what the CLI prints for a kube-proxy DaemonSet at the first preview", async () => {
    const rs = [...(await declare("first-preview", { stackFile: "Pulumi.dev.yaml" })), kubeProxyDaemonSet()];
    const [d] = violations(await analyze(rs, "first-preview"));
    const readme = readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8");
    const m = /<!-- policy-violation-sample -->\n```text\n([\s\S]*?)\n```/.exec(readme);
    assert.ok(m, "README lacks the marked violation sample");
    const lines = m[1].split("\n");
    const violationLines = lines.slice(lines.findIndex((l) => l.startsWith("        - ")));
    assert.equal(violationLines.join("\n"), printViolation(d));
  });
});

describe("the A/B's declared variant (datapathVariant legacy-host-routing), as the engine calls the pack", () => {
  for (const phase of ["first-preview", "up"] as const) {
    it(`accepts the variant stack of Pulumi.dev.yaml whole at ${phase}, and rejects its values undeclared`, async () => {
      const rs = await declare(phase, {
        stackFile: "Pulumi.dev.yaml",
        config: {
          datapathVariant: "legacy-host-routing",
          clusterName: "lab-legacy",
          nodeNetwork: "172.16.11.0/24",
        },
      });
      assert.deepEqual(violations(await analyze(rs, phase)), []);
      const release = rs.find((r) => r.type === "kubernetes:helm.sh/v3:Release");
      assert.ok(release);
      delete release.inputs.description;
      const found = violations(await analyze(rs, phase));
      assert.deepEqual(
        found.map((d) => d.policy),
        ["cilium-host-legacy-routing-disallowed"],
      );
    });
  }
});
