import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { CONFIG_KEYS, ConfigError, DEFAULT_TEST_IMAGE, cidrsOverlap, validateConfig } from "../../lib/config";

/** A bad input: the key, the value, and a fragment the message must contain. */
export interface BadInput {
  readonly name: string;
  readonly config: Record<string, string>;
  readonly key: string;
  readonly expect: RegExp;
}

/** Named bad inputs: each must stop the program with a message naming key, value and what is allowed. */
export const BAD_INPUTS: readonly BadInput[] = [
  {
    name: "malformed native CIDR",
    config: { nativeRoutingCidr: "10.0.0/8" },
    key: "nativeRoutingCidr",
    expect: /IPv4 CIDR/,
  },
  {
    name: "native CIDR with host bits",
    config: { nativeRoutingCidr: "10.1.2.3/8" },
    key: "nativeRoutingCidr",
    expect: /host bits set; did you mean 10\.0\.0\.0\/8/,
  },
  {
    name: "native CIDR prefix over 32",
    config: { nativeRoutingCidr: "10.0.0.0/33" },
    key: "nativeRoutingCidr",
    expect: /0-32/,
  },
  {
    name: "IPv6 native CIDR",
    config: { nativeRoutingCidr: "fd00::/8" },
    key: "nativeRoutingCidr",
    expect: /IPv4 CIDR/,
  },
  {
    name: "native CIDR that does not contain the pod CIDR",
    config: { nativeRoutingCidr: "10.0.0.0/16", podCidr: "10.0.0.0/8" },
    key: "nativeRoutingCidr",
    expect: /must contain podCidr 10\.0\.0\.0\/8/,
  },
  {
    name: "pod CIDR outside the native CIDR",
    config: { podCidr: "192.168.0.0/16" },
    key: "nativeRoutingCidr",
    expect: /must contain podCidr 192\.168\.0\.0\/16/,
  },
  { name: "pod CIDR without prefix", config: { podCidr: "10.0.0.0" }, key: "podCidr", expect: /IPv4 CIDR/ },
  {
    name: "mask size not longer than the pod CIDR",
    config: { podCidrMaskSize: "8" },
    key: "podCidrMaskSize",
    expect: /from 9 to 30/,
  },
  {
    name: "mask size over 30",
    config: { podCidrMaskSize: "31" },
    key: "podCidrMaskSize",
    expect: /from 9 to 30/,
  },
  {
    name: "node network overlapping the native CIDR",
    config: { nodeNetwork: "10.18.0.0/16" },
    key: "nodeNetwork",
    expect: /must not overlap nativeRoutingCidr/,
  },
  {
    name: "node network too small",
    config: { nodeNetwork: "172.18.0.0/30" },
    key: "nodeNetwork",
    expect: /\/28 or larger/,
  },
  { name: "NodePort below the range", config: { nodePort: "8080" }, key: "nodePort", expect: /30000-32767/ },
  { name: "NodePort above the range", config: { nodePort: "32768" }, key: "nodePort", expect: /30000-32767/ },
  { name: "NodePort not a number", config: { nodePort: "32k" }, key: "nodePort", expect: /30000-32767/ },
  { name: "zero workers", config: { workers: "0" }, key: "workers", expect: /from 1 to 10/ },
  { name: "negative workers", config: { workers: "-1" }, key: "workers", expect: /from 1 to 10/ },
  { name: "fractional workers", config: { workers: "1.5" }, key: "workers", expect: /from 1 to 10/ },
  {
    name: "cluster name with uppercase",
    config: { clusterName: "Lab" },
    key: "clusterName",
    expect: /DNS-1123/,
  },
  {
    name: "cluster name with underscore",
    config: { clusterName: "my_lab" },
    key: "clusterName",
    expect: /DNS-1123/,
  },
  {
    name: "cluster name ending in a dash",
    config: { clusterName: "lab-" },
    key: "clusterName",
    expect: /DNS-1123/,
  },
  {
    name: "cluster name too long for kind node hostnames",
    config: { clusterName: "a".repeat(50) },
    key: "clusterName",
    expect: /at most 49/,
  },
  {
    name: "cluster name over 32 characters with Cilium 1.18",
    config: { ciliumVersion: "1.18.12", nodeImage: "kindest/node:v1.33.1" },
    key: "clusterName",
    expect: /at most 32 characters with Cilium 1\.18\.12/,
  },
  {
    name: "Cilium version too old",
    config: { ciliumVersion: "1.12.9" },
    key: "ciliumVersion",
    expect: /Cilium release version in/,
  },
  {
    name: "Cilium version too new",
    config: { ciliumVersion: "1.21.0" },
    key: "ciliumVersion",
    expect: /Cilium release version in/,
  },
  {
    name: "Cilium version with a v prefix",
    config: { ciliumVersion: "v1.13.0" },
    key: "ciliumVersion",
    expect: /Cilium release version in/,
  },
  {
    name: "Cilium version that is not semver",
    config: { ciliumVersion: "latest" },
    key: "ciliumVersion",
    expect: /Cilium release version in/,
  },
  {
    name: "Kubernetes too old for Cilium 1.16+",
    config: { ciliumVersion: "1.16.19", clusterName: "lab", nodeImage: "kindest/node:v1.20.15" },
    key: "nodeImage",
    expect: /Kubernetes >= 1\.21/,
  },
  {
    name: "node image with a command substitution",
    config: { nodeImage: "kindest/node:$(reboot)" },
    key: "nodeImage",
    expect: /image reference/,
  },
  {
    name: "node image with a semicolon",
    config: { nodeImage: "kindest/node:v1.23.4; rm -rf /" },
    key: "nodeImage",
    expect: /image reference/,
  },
  {
    name: "test image with backticks",
    config: { testImage: "`id`/netshoot" },
    key: "testImage",
    expect: /image reference/,
  },
  {
    name: "test image with a quote",
    config: { testImage: "nicolaka/netshoot:v0.13'" },
    key: "testImage",
    expect: /image reference/,
  },
  {
    name: "test image with a newline",
    config: { testImage: "nicolaka/netshoot\nv0.13" },
    key: "testImage",
    expect: /image reference/,
  },
  {
    name: "image digest too short",
    config: { testImage: "nicolaka/netshoot@sha256:abc" },
    key: "testImage",
    expect: /image reference/,
  },
  {
    name: "registry mirrors not JSON",
    config: { registryMirrors: "harbor.evescn.com" },
    key: "registryMirrors",
    expect: /JSON object/,
  },
  {
    name: "registry mirror endpoint with a quote",
    config: { registryMirrors: '{"harbor.evescn.com":["https://x\\" ]"]}' },
    key: "registryMirrors",
    expect: /http\(s\) URLs/,
  },
  {
    name: "registry mirror host with a space",
    config: { registryMirrors: '{"harbor evescn":["https://harbor.evescn.com"]}' },
    key: "registryMirrors",
    expect: /bad entry/,
  },
  {
    name: "namespace with uppercase",
    config: { namespace: "Default" },
    key: "namespace",
    expect: /DNS-1123/,
  },
  { name: "app label with a slash", config: { appLabel: "a/b" }, key: "appLabel", expect: /label value/ },
  {
    name: "runChecks not a boolean",
    config: { runChecks: "yes" },
    key: "runChecks",
    expect: /true or false/,
  },
  {
    name: "check timeout too long",
    config: { checkTimeoutSeconds: "600" },
    key: "checkTimeoutSeconds",
    expect: /5 to 120/,
  },
  {
    name: "checks run id with a space",
    config: { checksRunId: "a b" },
    key: "checksRunId",
    expect: /A-Za-z0-9/,
  },
  { name: "a misspelt key", config: { nodeport: "32000" }, key: "nodeport", expect: /unknown key/ },
  {
    name: "node network name with a slash",
    config: { nodeNetworkName: "kind/lab" },
    key: "nodeNetworkName",
    expect: /Docker network name/,
  },
];

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
