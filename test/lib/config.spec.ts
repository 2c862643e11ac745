import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { CONFIG_KEYS, ConfigError, DEFAULT_TEST_IMAGE, cidrsOverlap, validateConfig } from "../../lib/config";
import { BAD_INPUTS } from "./badInputs";

function errorOf(config: Record<string, string>): ConfigError {
  try {
    validateConfig(config);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    return e;
  }
  assert.fail(`expected ${JSON.stringify(config)} to be rejected`);
}

describe("lab config", () => {
  it("applies the lab's defaults when nothing is set (the seed's versions, a node subnet outside Docker's pools)", () => {
    const cfg = validateConfig({});
    assert.deepStrictEqual(
      {
        clusterName: cfg.clusterName,
        nodeImage: cfg.nodeImage,
        workers: cfg.workers,
        ciliumVersion: cfg.ciliumVersion,
        nativeRoutingCidr: cfg.nativeRoutingCidr,
        podCidr: cfg.podCidr,
        podCidrMaskSize: cfg.podCidrMaskSize,
        nodeNetwork: cfg.nodeNetwork,
        nodeNetworkName: cfg.nodeNetworkName,
        nodePort: cfg.nodePort,
        testImage: cfg.testImage,
        kubernetesVersion: cfg.kubernetesVersion,
        appLabel: cfg.appLabel,
      },
      {
        clusterName: "cilium-kubeproxy-replacement-ebpf",
        nodeImage:
          "kindest/node:v1.23.17@sha256:e5fd1d9cd7a9a50939f9c005684df5a6d145e8d695e78463637b79464292e66c",
        workers: 2,
        ciliumVersion: "1.13.0-rc5",
        nativeRoutingCidr: "10.0.0.0/8",
        podCidr: "10.0.0.0/8",
        podCidrMaskSize: 24,
        nodeNetwork: "172.16.10.0/24",
        nodeNetworkName: "kind-cilium-kubeproxy-replacement-ebpf",
        nodePort: 32000,
        testImage: DEFAULT_TEST_IMAGE,
        kubernetesVersion: "1.23.17",
        appLabel: "evescn",
      },
    );
  });

  it("accepts the seed's registry mirror and a digest-pinned node image", () => {
    const cfg = validateConfig({
      registryMirrors: '{"harbor.evescn.com":["https://harbor.evescn.com"]}',
      nodeImage:
        "kindest/node:v1.33.1@sha256:050072256b9a903bd914c0b2866828150cb229cea0efe5892e2b644d5dd3b34f",
      ciliumVersion: "1.18.12",
      clusterName: "lab",
    });
    assert.deepStrictEqual(cfg.registryMirrors, { "harbor.evescn.com": ["https://harbor.evescn.com"] });
    assert.strictEqual(cfg.kubernetesVersion, "1.33.1");
  });

  it(`has at least 30 named bad inputs (${BAD_INPUTS.length})`, () => {
    assert.ok(BAD_INPUTS.length >= 30);
    assert.strictEqual(new Set(BAD_INPUTS.map((b) => b.name)).size, BAD_INPUTS.length);
  });

  for (const bad of BAD_INPUTS) {
    it(`rejects ${bad.name}, naming the key, the value and what is allowed`, () => {
      const err = errorOf(bad.config);
      const problem = err.problems.find((p) => p.key === bad.key);
      assert.ok(problem, `no problem reported for ${bad.key}: ${err.message}`);
      const value = bad.config[bad.key] ?? problem.value;
      assert.strictEqual(problem.value, value);
      assert.match(problem.allowed, bad.expect);
      assert.ok(err.message.includes(`cilium-ebpf-lab:${bad.key} = ${JSON.stringify(value)}`), err.message);
    });
  }

  it("reports every bad key at once", () => {
    const err = errorOf({ nodePort: "1", workers: "0", clusterName: "X" });
    assert.deepStrictEqual(err.problems.map((p) => p.key).sort(), ["clusterName", "nodePort", "workers"]);
  });

  it("knows when two CIDRs overlap", () => {
    assert.strictEqual(cidrsOverlap("10.0.0.0/8", "10.18.0.0/16"), true);
    assert.strictEqual(cidrsOverlap("172.18.0.0/16", "10.0.0.0/8"), false);
    assert.strictEqual(cidrsOverlap("172.18.0.0/16", "172.18.128.0/17"), true);
  });

  it("documents every key in Pulumi.yaml with the same default", () => {
    const project = parse(fs.readFileSync(path.resolve(__dirname, "../../Pulumi.yaml"), "utf8")) as {
      config: Record<string, { default?: unknown; description?: string; type: string }>;
    };
    // Secret keys are left out of Pulumi.yaml: Pulumi rejects a secret key with a default.
    const documented = Object.entries(CONFIG_KEYS).filter(([, spec]) => !spec.secret);
    assert.deepStrictEqual(Object.keys(project.config).sort(), documented.map(([k]) => k).sort());
    for (const [key, spec] of documented) {
      const declared = project.config[key];
      const declaredDefault =
        typeof declared.default === "object" ? JSON.stringify(declared.default) : String(declared.default);
      assert.strictEqual(declaredDefault, spec.default, `default of ${key}`);
      assert.ok(declared.description, `description of ${key}`);
    }
  });

  for (const file of ["Pulumi.dev.yaml", "Pulumi.current.yaml"]) {
    it(`accepts ${file}`, () => {
      const doc = parse(fs.readFileSync(path.resolve(__dirname, "../..", file), "utf8")) as {
        config: Record<string, string>;
      };
      const raw: Record<string, string> = {};
      for (const [k, v] of Object.entries(doc.config)) raw[k.replace(/^cilium-ebpf-lab:/, "")] = String(v);
      assert.doesNotThrow(() => validateConfig(raw));
    });
  }
});
