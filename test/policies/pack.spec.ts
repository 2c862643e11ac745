import * as assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import * as path from "node:path";
import {
  ResourceValidationPolicy,
  StackValidationPolicy,
  UnknownValueError,
  unknownCheckingProxy,
} from "@pulumi/policy";
import * as proxyModule from "@pulumi/policy/proxy";
import { ciliumValues } from "../../components/ciliumValues";
import { INDEXED_VERSIONS } from "../../lib/chartIndex";
import { policies } from "../../policies/policies";
import {
  NotApplicable,
  TYPE,
  V13,
  V18,
  configDefaults,
  helmRelease,
  labStack,
  resourceArgs,
  runPoliciesOnResources,
  stackArgs,
  withValue,
} from "./helpers";

const POLICIES_DIR = path.join(__dirname, "..", "..", "policies");

const MANDATORY = [
  "cilium-native-routing-required",
  "cilium-kube-proxy-replacement-required",
  "cilium-bpf-masquerade-required",
  "cilium-direct-node-routes-required",
  "cilium-k8s-service-host-required",
  "cilium-host-legacy-routing-disallowed",
  "cilium-config-datapath-required",
  "kind-default-cni-disabled",
  "kind-kube-proxy-disabled",
  "kube-proxy-disallowed",
  "native-cidr-node-network-disjoint",
];
const ADVISORY = ["cilium-unknown-values-reported", "nodeport-in-range", "control-plane-taint-tolerated"];

describe("the cilium-ebpf-lab policy pack", () => {
  it("has every policy once, with the agreed enforcement level", () => {
    const names = policies.map((p) => p.name);
    assert.deepEqual([...names].sort(), [...MANDATORY, ...ADVISORY].sort());
    for (const p of policies) {
      assert.equal(p.enforcementLevel, MANDATORY.includes(p.name) ? "mandatory" : "advisory", p.name);
    }
  });

  it("declares each policy's fields in the order name, description, enforcementLevel, configSchema, validate*", () => {
    for (const p of policies) {
      assert.deepEqual(Object.keys(p), [
        "name",
        "description",
        "enforcementLevel",
        "configSchema",
        "validateStack" in p ? "validateStack" : "validateResource",
      ]);
      assert.match(p.name, /^[a-z0-9]+(-[a-z0-9]+)*$/);
    }
  });

  it("gives every policy a config schema whose properties all have defaults", () => {
    for (const p of policies) {
      const properties = p.configSchema?.properties ?? {};
      assert.ok(Object.keys(properties).length > 0, p.name);
      assert.ok(!("enforcementLevel" in properties), `${p.name}: the engine reserves enforcementLevel`);
      for (const [key, schema] of Object.entries(properties)) {
        assert.ok(
          typeof schema === "object" && schema.default !== undefined,
          `${p.name}.${key} has no default`,
        );
      }
    }
  });

  it("keeps one policy per file under rules/, named after it, with a doc comment linking its source", () => {
    for (const p of policies) {
      const source = readFileSync(path.join(POLICIES_DIR, "rules", `${p.name}.ts`), "utf8");
      const doc = /^\/\*\*([\s\S]*?)\*\//.exec(source);
      assert.ok(doc, `${p.name}: no leading doc comment`);
      assert.ok(doc[1].includes(`${p.name}:`), `${p.name}: the doc comment does not name the policy`);
      assert.match(doc[1], /Source: https:\/\/(docs\.cilium\.io|kubernetes\.io)\//, p.name);
      assert.match(source, new RegExp(`name: "${p.name}"`));
    }
  });

  it("constructs the PolicyPack only in index.ts (constructing it starts the analyzer server)", () => {
    assert.doesNotMatch(readFileSync(path.join(POLICIES_DIR, "policies.ts"), "utf8"), /new PolicyPack/);
    const index = readFileSync(path.join(POLICIES_DIR, "index.ts"), "utf8");
    assert.match(index, /new PolicyPack\("cilium-ebpf-lab", \{ policies \}\);/);
  });

  it("ships PulumiPolicy.yaml (nodejs) and a versioned package.json without dependencies of its own (defect 6)", () => {
    assert.match(readFileSync(path.join(POLICIES_DIR, "PulumiPolicy.yaml"), "utf8"), /^runtime: nodejs$/m);
    const pkg = JSON.parse(readFileSync(path.join(POLICIES_DIR, "package.json"), "utf8"));
    assert.equal(pkg.name, "cilium-ebpf-lab-policies");
    assert.equal(pkg.version, "0.1.0");
    assert.equal(pkg.main, "index.ts");
    // One locked install: a dependency list here would make the CLI's hint ("npm install in
    // .../policies") build a second, unlocked copy of @pulumi/pulumi next to the root's.
    assert.equal(pkg.dependencies, undefined);
    assert.equal(pkg.devDependencies, undefined);
    // Following that hint runs the root's locked install instead, and writes no lock file here.
    assert.match(pkg.scripts.install, /cd \.\. && npm ci\b/);
    assert.match(readFileSync(path.join(POLICIES_DIR, ".npmrc"), "utf8"), /^package-lock=false$/m);
  });

  it("imports only packages the root package.json declares, resolved from the root node_modules", () => {
    const root = JSON.parse(readFileSync(path.join(POLICIES_DIR, "..", "package.json"), "utf8"));
    const declared = { ...root.dependencies, ...root.devDependencies };
    const files = [
      "index.ts",
      "policies.ts",
      ...readdirSync(path.join(POLICIES_DIR, "lib")).map((f) => `lib/${f}`),
      ...readdirSync(path.join(POLICIES_DIR, "rules")).map((f) => `rules/${f}`),
    ];
    const bare = new Set<string>();
    for (const f of files) {
      const text = readFileSync(path.join(POLICIES_DIR, f), "utf8");
      for (const m of text.matchAll(/from "([^".][^"]*)"/g)) if (!m[1].startsWith("node:")) bare.add(m[1]);
    }
    assert.ok(bare.size > 0);
    for (const name of bare) {
      const pkgName = name.startsWith("@") ? name.split("/").slice(0, 2).join("/") : name.split("/")[0];
      assert.ok(declared[pkgName] !== undefined, `${name} is not declared in the root package.json`);
      const resolved = require.resolve(name, { paths: [POLICIES_DIR] });
      assert.ok(
        resolved.startsWith(path.join(POLICIES_DIR, "..", "node_modules") + path.sep),
        `${name} resolves to ${resolved}`,
      );
    }
    // @pulumi/policy needs the SDK as a peer: the root's single copy.
    assert.ok(declared["@pulumi/pulumi"] !== undefined);
  });

  it("depends on nothing of this stack's components: what it shares with them is in lib/ (issue 23)", () => {
    // Follows every relative import from the entry point, as Node would load the pack.
    const root = path.resolve(POLICIES_DIR, "..");
    const seen = new Set<string>();
    const queue = [path.join(POLICIES_DIR, "index.ts")];
    while (queue.length > 0) {
      const file = queue.pop() as string;
      if (seen.has(file)) continue;
      seen.add(file);
      if (file.endsWith(".json")) continue;
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/from "(\.{1,2}\/[^"]*)"/g)) {
        const base = path.resolve(path.dirname(file), m[1]);
        queue.push(
          [base, `${base}.ts`, path.join(base, "index.ts")].find(
            (f) => existsSync(f) && statSync(f).isFile(),
          ) ?? assert.fail(`${m[1]} in ${file}`),
        );
      }
    }
    const outside = [...seen]
      .map((f) => path.relative(root, f))
      .filter((f) => !["policies", "lib", "data"].includes(f.split(path.sep)[0]));
    assert.deepEqual(outside, []);
    assert.ok(seen.has(path.join(root, "lib", "valuePaths.ts")));
  });

  it("is applied by every pulumi up/preview command the README shows (issue 23)", () => {
    const readme = readFileSync(path.join(POLICIES_DIR, "..", "README.md"), "utf8");
    const blocks = [...readme.matchAll(/```(?:sh|bash)\n([\s\S]*?)```/g)].flatMap((m) => m[1].split("\n"));
    // Code spans with arguments: `pulumi up` alone in prose names the command, it is no command line.
    const spans = [
      ...readme.replace(/```[\s\S]*?```/g, "").matchAll(/`([^`\n]*pulumi (?:up|preview) [^`\n]*)`/g),
    ].map((m) => m[1]);
    const commands = [...blocks, ...spans].filter((l) => /\bpulumi (up|preview)\b/.test(l));
    assert.ok(commands.length > 0);
    assert.deepEqual(
      commands.filter((c) => !/--policy-pack policies/.test(c)),
      [],
    );
  });

  describe("on the stack the lab declares", () => {
    it("reports nothing for 1.13.0-rc5 on kindest/node:v1.23.4", async () => {
      assert.deepEqual(await runPoliciesOnResources(labStack(V13)), []);
    });

    it("reports nothing for 1.18.12 on a 1.33 node image", async () => {
      assert.deepEqual(
        await runPoliciesOnResources(labStack(V18, "kindest/node:v1.33.1@sha256:0123456789abcdef")),
        [],
      );
    });

    for (const version of INDEXED_VERSIONS) {
      it(`reports nothing for the values ciliumValues() writes for ${version}`, async () => {
        const values = ciliumValues(version, {
          clusterName: "cilium-ebpf-lab",
          k8sServiceHost: "172.18.0.2",
          nativeRoutingCidr: "10.0.0.0/8",
          podCidr: "10.0.0.0/8",
          podCidrMaskSize: 24,
        });
        assert.deepEqual(await runPoliciesOnResources([helmRelease(version, values)]), []);
      });
    }

    it("reports each violation with its policy and level", async () => {
      const stack = labStack(V13).map((r) =>
        r.type === TYPE.helmRelease
          ? withValue(withValue(r, "tunnel", "vxlan"), "monitorAggregation", "none")
          : r,
      );
      const violations = await runPoliciesOnResources(stack);
      assert.deepEqual(
        violations.map((v) => [v.policy, v.level]),
        [
          ["cilium-native-routing-required", "mandatory"],
          ["cilium-unknown-values-reported", "advisory"],
        ],
      );
      assert.equal(
        violations[0].message,
        "Cilium must route natively: found tunnel=vxlan on chart 1.13.0-rc5; set tunnel: disabled (charts before 1.14 have no routingMode; the stack writes it from lab config; remove the override)",
      );
    });

    it("applies a policy config file's levels (per policy, then all) and disables policies", async () => {
      const stack = labStack(V18).map((r) =>
        r.type === TYPE.helmRelease ? withValue(r, "routingMode", "tunnel") : r,
      );
      const advisory = await runPoliciesOnResources(stack, { "cilium-native-routing-required": "advisory" });
      assert.deepEqual(
        advisory.map((v) => v.level),
        ["advisory"],
      );
      assert.deepEqual(await runPoliciesOnResources(stack, { all: "disabled" }), []);
      const mixed = await runPoliciesOnResources(stack, {
        all: "disabled",
        "cilium-native-routing-required": { enforcementLevel: "mandatory" },
      });
      assert.deepEqual(
        mixed.map((v) => v.policy),
        ["cilium-native-routing-required"],
      );
    });
  });

  describe("at preview, with values the engine does not know yet", () => {
    const sentinel = (proxyModule as unknown as { unknownStringValue: string }).unknownStringValue;
    const release = withValue(helmRelease(V18), "k8sServiceHost", sentinel);

    it("lets the engine's UnknownValueError escape from a policy that needs the value", async () => {
      const policy = policies.find(
        (p) => p.name === "cilium-k8s-service-host-required",
      ) as ResourceValidationPolicy;
      const args = resourceArgs(release, configDefaults(policy));
      const validate = policy.validateResource as NonNullable<ResourceValidationPolicy["validateResource"]>;
      await assert.rejects(
        async () =>
          Array.isArray(validate)
            ? undefined
            : validate({ ...args, props: unknownCheckingProxy(args.props) }, () => undefined),
        UnknownValueError,
      );
    });

    it("judges everything else: resource policies that do not need the value, and stack policies", async () => {
      for (const p of policies) {
        if (p.name === "cilium-k8s-service-host-required") continue;
        const messages: string[] = [];
        if ("validateStack" in p) {
          const args = stackArgs(
            labStack(V18).map((r) => (r.type === TYPE.helmRelease ? release : r)),
            configDefaults(p),
          );
          const resources = args.resources.map((r) => ({ ...r, props: unknownCheckingProxy(r.props) }));
          await (p as StackValidationPolicy).validateStack({ ...args, resources }, (m) => messages.push(m));
        } else {
          const args = resourceArgs(release, configDefaults(p));
          const validate = (p as ResourceValidationPolicy).validateResource;
          if (validate === undefined || Array.isArray(validate)) continue;
          try {
            await validate({ ...args, props: unknownCheckingProxy(args.props) }, (m) => messages.push(m));
          } catch (err) {
            if (!(err instanceof NotApplicable)) throw err;
          }
        }
        assert.deepEqual(messages, [], p.name);
      }
    });
  });
});
