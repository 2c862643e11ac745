import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import Ajv from "ajv";
import { parse } from "yaml";
import { CiliumSettings, ciliumValues } from "../../components/ciliumValues";
import { flattenValuePaths } from "../../lib/valuePaths";
import { INDEXED_VERSIONS, indexedVersionFor, keyStatus } from "../../lib/chartIndex";

/** The seed's settings, with a cluster name short enough for the 1.16+ charts. */
const SETTINGS: CiliumSettings = {
  clusterName: "cilium-ebpf-lab",
  k8sServiceHost: "172.18.0.2",
  nativeRoutingCidr: "10.0.0.0/8",
  podCidr: "10.0.0.0/8",
  podCidrMaskSize: 24,
};

const SHARED_CHARTS = path.resolve(__dirname, "..", "..", "..", "shared", "cilium-chart");

/** Supported versions beyond the indexed ones: the builder decides by semver, not by the index. */
const OTHER_VERSIONS = ["1.13.0", "1.13.3", "1.14.0", "1.14.0-rc.1", "1.15.4", "1.16.0", "1.18.5", "1.20.3"];

const COMMON = {
  k8sServiceHost: "172.18.0.2",
  k8sServicePort: 6443,
  debug: { enabled: true, verbose: "datapath" },
  bpf: { masquerade: true, monitorAggregation: "none" },
  cluster: { name: "cilium-ebpf-lab" },
  autoDirectNodeRoutes: true,
  ipv4NativeRoutingCIDR: "10.0.0.0/8",
};

/** What 1.13 (rc5 included) gets: the seed's own spelling. */
const EXPECTED_1_13 = {
  ...COMMON,
  kubeProxyReplacement: "strict",
  tunnel: "disabled",
  ipam: {
    mode: "cluster-pool",
    operator: { clusterPoolIPv4PodCIDR: "10.0.0.0/8", clusterPoolIPv4MaskSize: 24 },
  },
};

/** What 1.14 and later get. */
const EXPECTED_1_14_ON = {
  ...COMMON,
  kubeProxyReplacement: true,
  routingMode: "native",
  ipam: {
    mode: "cluster-pool",
    operator: { clusterPoolIPv4PodCIDRList: ["10.0.0.0/8"], clusterPoolIPv4MaskSize: 24 },
  },
};

const EXPECTED: [string, Record<string, unknown>][] = [
  ["1.13.0-rc5", EXPECTED_1_13],
  ["1.13.0", EXPECTED_1_13],
  ["1.13.3", EXPECTED_1_13],
  ["1.13.18", EXPECTED_1_13],
  ["1.14.0-rc.1", EXPECTED_1_14_ON],
  ["1.14.0", EXPECTED_1_14_ON],
  ["1.14.19", EXPECTED_1_14_ON],
  ["1.15.4", EXPECTED_1_14_ON],
  ["1.15.19", EXPECTED_1_14_ON],
  ["1.16.0", EXPECTED_1_14_ON],
  ["1.16.19", EXPECTED_1_14_ON],
  ["1.17.18", EXPECTED_1_14_ON],
  ["1.18.5", EXPECTED_1_14_ON],
  ["1.18.12", EXPECTED_1_14_ON],
  ["1.19.6", EXPECTED_1_14_ON],
  ["1.20.0", EXPECTED_1_14_ON],
  ["1.20.3", EXPECTED_1_14_ON],
];

describe("components/ciliumValues", () => {
  describe("values per Cilium version", () => {
    for (const [version, expected] of EXPECTED) {
      it(`writes exactly the expected values for ${version}`, () => {
        assert.deepEqual(ciliumValues(version, SETTINGS), expected);
      });
    }

    it("writes the seed's flags in 1.13.0-rc5 spelling, with bpf.monitorAggregation for monitorAggregation", () => {
      assert.deepEqual(flattenValuePaths(ciliumValues("1.13.0-rc5", SETTINGS)).sort(), [
        "autoDirectNodeRoutes",
        "bpf.masquerade",
        "bpf.monitorAggregation",
        "cluster.name",
        "debug.enabled",
        "debug.verbose",
        "ipam.mode",
        "ipam.operator.clusterPoolIPv4MaskSize",
        "ipam.operator.clusterPoolIPv4PodCIDR",
        "ipv4NativeRoutingCIDR",
        "k8sServiceHost",
        "k8sServicePort",
        "kubeProxyReplacement",
        "tunnel",
      ]);
    });

    it("passes the settings through: host, port, CIDRs, mask size and cluster name", () => {
      const v = ciliumValues("1.18.12", {
        clusterName: "other",
        k8sServiceHost: "192.168.10.4",
        k8sServicePort: 7443,
        nativeRoutingCidr: "10.244.0.0/16",
        podCidr: "10.244.0.0/16",
        podCidrMaskSize: 26,
      });
      assert.equal(v.k8sServiceHost, "192.168.10.4");
      assert.equal(v.k8sServicePort, 7443);
      assert.equal(v.ipv4NativeRoutingCIDR, "10.244.0.0/16");
      assert.deepEqual(v.ipam, {
        mode: "cluster-pool",
        operator: { clusterPoolIPv4PodCIDRList: ["10.244.0.0/16"], clusterPoolIPv4MaskSize: 26 },
      });
      assert.deepEqual(v.cluster, { name: "other" });
    });

    it("writes k8sServicePort as the number 6443 when no port is given", () => {
      assert.strictEqual(ciliumValues("1.20.0", SETTINGS).k8sServicePort, 6443);
    });
  });

  describe("the measurement datapath profile", () => {
    it("turns debug, per-packet monitor events and Hubble off, and changes nothing else", () => {
      for (const version of ["1.13.0-rc5", "1.20.0"]) {
        const lab = ciliumValues(version, SETTINGS);
        const m = ciliumValues(version, { ...SETTINGS, datapathProfile: "measurement" });
        assert.deepEqual(m.debug, { enabled: false });
        assert.deepEqual(m.bpf, { masquerade: true, monitorAggregation: "medium" });
        assert.deepEqual(m.hubble, { enabled: false });
        const { debug: _d, bpf: _b, hubble: _h, ...rest } = m;
        const { debug: _ld, bpf: _lb, ...labRest } = lab;
        assert.deepEqual(rest, labRest);
        assert.deepEqual(ciliumValues(version, { ...SETTINGS, datapathProfile: "lab" }), lab);
      }
    });

    for (const version of INDEXED_VERSIONS) {
      it(`writes only paths present or commented in the ${version} chart (measurement profile)`, () => {
        const v = ciliumValues(version, { ...SETTINGS, datapathProfile: "measurement" });
        assert.deepEqual(
          flattenValuePaths(v).filter((p) => keyStatus(version, p) === undefined),
          [],
        );
      });
    }
  });

  describe("only keys that exist in the chart of the version", () => {
    for (const version of INDEXED_VERSIONS) {
      it(`writes only paths present or commented in the ${version} chart`, () => {
        const unknown = flattenValuePaths(ciliumValues(version, SETTINGS)).filter(
          (p) => keyStatus(version, p) === undefined,
        );
        assert.deepEqual(unknown, []);
      });
    }

    for (const version of OTHER_VERSIONS) {
      it(`writes only paths known to ${indexedVersionFor(version)}, the chart that ${version} is judged by`, () => {
        const judge = indexedVersionFor(version);
        const unknown = flattenValuePaths(ciliumValues(version, SETTINGS)).filter(
          (p) => keyStatus(judge, p) === undefined,
        );
        assert.deepEqual(unknown, []);
      });
    }

    for (const version of [...INDEXED_VERSIONS, ...OTHER_VERSIONS]) {
      it(`writes no removed or misspelled key for ${version}`, () => {
        const v = ciliumValues(version, SETTINGS);
        const paths = flattenValuePaths(v);
        const is113 = version.startsWith("1.13.");
        assert.ok(!paths.includes("monitorAggregation"), "no top-level monitorAggregation");
        if (is113) {
          assert.equal(v.tunnel, "disabled");
          assert.equal(v.kubeProxyReplacement, "strict");
          assert.ok(!("routingMode" in v), "routingMode does not exist in 1.13");
          assert.ok(paths.includes("ipam.operator.clusterPoolIPv4PodCIDR"));
        } else {
          assert.ok(!("tunnel" in v), "tunnel is deprecated in 1.14 and fails validate.yaml from 1.15");
          assert.strictEqual(v.kubeProxyReplacement, true);
          assert.equal(v.routingMode, "native");
          assert.ok(!paths.includes("ipam.operator.clusterPoolIPv4PodCIDR"), "removed in 1.14");
          assert.ok(paths.includes("ipam.operator.clusterPoolIPv4PodCIDRList"));
        }
      });
    }
  });

  describe("rejections", () => {
    for (const version of ["1.12.9", "1.21.0", "1.21.0-pre.0", "latest", "", "v1.18.5"]) {
      it(`throws for the unsupported version ${JSON.stringify(version)}, naming the supported range`, () => {
        assert.throws(() => ciliumValues(version, SETTINGS), /not supported.*>=1\.13\.0-rc5 <1\.21\.0-0/);
      });
    }

    it("accepts the seed's 33-character cluster name up to 1.15 and rejects it from 1.16 (validate.yaml)", () => {
      const seed = { ...SETTINGS, clusterName: "cilium-kubeproxy-replacement-ebpf" };
      assert.deepEqual(ciliumValues("1.15.19", seed).cluster, { name: "cilium-kubeproxy-replacement-ebpf" });
      assert.throws(() => ciliumValues("1.16.19", seed), /at most 32 characters/);
    });

    it("rejects a cluster name with characters validate.yaml refuses from 1.16", () => {
      assert.throws(() => ciliumValues("1.18.12", { ...SETTINGS, clusterName: "Lab_1" }), /clusterName/);
      assert.throws(() => ciliumValues("1.18.12", { ...SETTINGS, clusterName: "lab-" }), /clusterName/);
    });

    const bad: [string, Partial<CiliumSettings>, RegExp][] = [
      ["an empty k8sServiceHost", { k8sServiceHost: "" }, /k8sServiceHost/],
      ["port 0", { k8sServicePort: 0 }, /k8sServicePort/],
      ["a fractional port", { k8sServicePort: 6443.5 }, /k8sServicePort/],
      ["a native CIDR that is no CIDR", { nativeRoutingCidr: "10.0.0.0" }, /nativeRoutingCidr/],
      ["an IPv6 pod CIDR", { podCidr: "fd00::/8" }, /podCidr/],
      ["a mask size shorter than the pod CIDR's prefix", { podCidrMaskSize: 4 }, /podCidrMaskSize/],
      ["a mask size over 32", { podCidrMaskSize: 33 }, /podCidrMaskSize/],
      ["an empty cluster name", { clusterName: "" }, /clusterName/],
    ];
    for (const [what, override, message] of bad) {
      it(`throws for ${what}`, () => {
        assert.throws(() => ciliumValues("1.13.0-rc5", { ...SETTINGS, ...override }), message);
      });
    }
  });

  describe("hostLegacyRouting (datapathVariant legacy-host-routing)", () => {
    for (const version of INDEXED_VERSIONS) {
      it(`writes bpf.hostLegacyRouting: true for ${version}, a key its chart index has, and nothing else changes`, () => {
        const legacy = ciliumValues(version, { ...SETTINGS, hostLegacyRouting: true });
        const plain = ciliumValues(version, SETTINGS);
        assert.equal((legacy.bpf as Record<string, unknown>).hostLegacyRouting, true);
        assert.equal(keyStatus(version, "bpf.hostLegacyRouting"), "present");
        assert.deepEqual({ ...legacy, bpf: plain.bpf }, plain);
        assert.equal("hostLegacyRouting" in (plain.bpf as Record<string, unknown>), false);
        assert.deepEqual(ciliumValues(version, { ...SETTINGS, hostLegacyRouting: false }), plain);
      });
    }

    it("finds bpf.hostLegacyRouting under bpf in every values.yaml of ../shared", function () {
      if (!fs.existsSync(SHARED_CHARTS)) this.skip();
      for (const version of INDEXED_VERSIONS) {
        const bpf = loadDefaults(version).bpf as Record<string, unknown>;
        assert.ok(Object.hasOwn(bpf, "hostLegacyRouting"), version);
      }
    });
  });

  describe("flattenValuePaths", () => {
    it("lists dotted leaf paths, treating arrays, empty objects and null as leaves", () => {
      assert.deepEqual(flattenValuePaths({ a: { b: 1, c: { d: [1, { e: 2 }] } }, f: {}, g: null, h: "x" }), [
        "a.b",
        "a.c.d",
        "f",
        "g",
        "h",
      ]);
    });
  });

  describe("against the charts' values.schema.json in ../shared (1.16+)", () => {
    before(function () {
      if (!fs.existsSync(SHARED_CHARTS)) this.skip();
    });

    const schemaVersions = INDEXED_VERSIONS.filter((v) =>
      fs.existsSync(path.join(SHARED_CHARTS, v, "values.schema.json")),
    );

    it("finds a values.schema.json exactly from 1.16 and each declares JSON Schema draft-07", () => {
      assert.deepEqual(schemaVersions, ["1.16.19", "1.17.18", "1.18.12", "1.19.6", "1.20.0"]);
      for (const v of schemaVersions) {
        assert.equal(loadSchema(v).$schema, "http://json-schema.org/draft-07/schema#", v);
      }
    });

    for (const version of ["1.16.19", "1.17.18", "1.18.12", "1.19.6", "1.20.0"]) {
      it(`validates the builder's values merged over the ${version} defaults against its schema`, () => {
        const validate = compile(version);
        const defaults = loadDefaults(version);
        assert.ok(validate(defaults), `the defaults alone: ${JSON.stringify(validate.errors)}`);
        const merged = helmMerge(defaults, ciliumValues(version, SETTINGS));
        assert.ok(validate(merged), JSON.stringify(validate.errors));
        // Sanity twin: the same validator rejects a wrong type, so the pass above means something.
        const broken = helmMerge(merged, { bpf: { masquerade: "yes" }, k8sServicePort: [6443] });
        assert.equal(validate(broken), false);
      });
    }
  });
});

function loadSchema(version: string): { $schema?: string } & Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(SHARED_CHARTS, version, "values.schema.json"), "utf8"));
}

function loadDefaults(version: string): Record<string, unknown> {
  return parse(fs.readFileSync(path.join(SHARED_CHARTS, version, "values.yaml"), "utf8"));
}

/**
 * Ajv's default class speaks draft-07, which every saved schema declares. `strict: false` because
 * the schemas use union types (`type: [null, boolean]`) and other forms strict mode refuses;
 * `allErrors` for complete messages. `code.optimize: false` skips the passes that tidy the generated
 * validator's source (ajv 8.20.0 dist/compile/index.js line 81 `gen.optimize(opts.code.optimize)`,
 * dist/core.js line 69: 0 passes for false), what it accepts is the same; compiling five schemas
 * took 2.9 s of CPU with them, 2.2 s without.
 */
function compile(version: string) {
  const ajv = new Ajv({ strict: false, allErrors: true, code: { optimize: false } });
  return ajv.compile(loadSchema(version));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * How Helm combines user values with the chart's defaults: maps merge key by key, any other user
 * value (scalar or list) replaces the default, and a user null deletes the key.
 */
function helmMerge(
  defaults: Record<string, unknown>,
  values: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...defaults };
  for (const [k, v] of Object.entries(values)) {
    if (v === null) delete out[k];
    else if (isPlainObject(v) && isPlainObject(out[k]))
      out[k] = helmMerge(out[k] as Record<string, unknown>, v);
    else out[k] = v;
  }
  return out;
}
