/**
 * Property tests of config validation over every key of CONFIG_KEYS: values generated from each key's
 * valid domain give a LabConfig; hostile or out-of-range values throw a ConfigError naming the key,
 * the value (`[secret]` for the kubeconfig) and what is allowed. A sample of invalid configs runs the
 * whole program under mocks and must stop before any resource is declared.
 *
 * Seeded (LAB_FC_SEED overrides) so CI is reproducible; fast-check prints the seed and the shrunk
 * counterexample when a property fails.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import fc from "fast-check";
import { CONFIG_KEYS, ConfigError, LabConfig, PROJECT, validateConfig } from "../../lib/config";
import { runLab } from "../helpers/pulumiMocks";
import { BAD_INPUTS } from "../lib/badInputs";

const SEED = Number(process.env.LAB_FC_SEED ?? 20261125);
/** Runs per key and direction: 30 keys x (valid + invalid) x 24 = 1,440 generated values. */
const RUNS = 24;
const MIN_GENERATED = 1000;

type Raw = Record<string, string>;

// ---- counting -------------------------------------------------------------------------------

const generated = { valid: 0, invalid: 0 };
const keysCovered = { valid: new Set<string>(), invalid: new Set<string>() };

// ---- building blocks of the valid domains ---------------------------------------------------

const LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789".split("");
const ALNUM = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZ", ...LOWER_ALNUM];
const HEX = "0123456789abcdef".split("");

/** A string of min..max characters of the alphabet, lengths spread over the whole range. */
const chars = (alphabet: readonly string[], min: number, max: number) =>
  fc
    .array(fc.constantFrom(...alphabet), { minLength: min, maxLength: max, size: "max" })
    .map((a) => a.join(""));

/** `first middle* last` with the given alphabets and a total length of 1..max. */
function word(first: readonly string[], middle: readonly string[], last: readonly string[], max: number) {
  return fc.oneof(
    chars(first, 1, 1),
    fc
      .tuple(chars(first, 1, 1), chars(middle, 0, Math.max(0, max - 2)), chars(last, 1, 1))
      .map(([a, b, c]) => a + b + c),
  );
}

/** A DNS-1123 label of at most `max` characters. */
const dnsLabel = (max: number) => word(LOWER_ALNUM, [...LOWER_ALNUM, "-"], LOWER_ALNUM, max);

/** An image reference: [registry[:port]/]path[:tag][@sha256:digest], at most 255 characters. */
const imageRef = (() => {
  const hostPart = word(ALNUM, [...ALNUM, "-"], ALNUM, 12);
  const registry = fc
    .tuple(
      fc.array(hostPart, { minLength: 1, maxLength: 3 }),
      fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
    )
    .map(([parts, port]) => `${parts.join(".")}${port === undefined ? "" : `:${port}`}/`);
  const component = fc
    .tuple(
      chars(LOWER_ALNUM, 1, 8),
      fc.array(fc.tuple(fc.constantFrom(".", "_", "__", "-", "--"), chars(LOWER_ALNUM, 1, 8)), {
        maxLength: 2,
      }),
    )
    .map(([head, rest]) => head + rest.map(([sep, w]) => sep + w).join(""));
  const tag = fc
    .tuple(
      chars([...ALNUM, "_"], 1, 1),
      chars([...ALNUM, "_", ".", "-"], 0, 20),
      fc.option(
        fc
          .tuple(fc.nat(1), fc.integer({ min: 20, max: 35 }), fc.nat(20))
          .map(([a, b, c]) => `v${a}.${b}.${c}`),
        { nil: undefined },
      ),
    )
    .map(([a, b, kube]) => `:${kube ?? a + b}`);
  const digest = chars(HEX, 64, 64).map((d) => `@sha256:${d}`);
  return fc
    .tuple(
      fc.option(registry, { nil: undefined }),
      fc.array(component, { minLength: 1, maxLength: 3 }),
      fc.option(tag, { nil: undefined }),
      fc.option(digest, { nil: undefined }),
    )
    .map(([r, p, t, d]) => `${r ?? ""}${p.join("/")}${t ?? ""}${d ?? ""}`)
    .filter((s) => s.length <= 255);
})();

const int32 = (a: number, b: number, c: number, d: number) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
const ipOf = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
const maskOf = (prefix: number) => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
const network = (addr: number, prefix: number) => (addr & maskOf(prefix)) >>> 0;
const cidr = (addr: number, prefix: number) => `${ipOf(network(addr, prefix))}/${prefix}`;
const overlaps = (a: number, ap: number, b: number, bp: number) => {
  const p = Math.min(ap, bp);
  return network(a, p) === network(b, p);
};

/** A consistent CIDR set: pod CIDR inside the native CIDR, mask size longer, node network disjoint. */
const cidrCombo = fc
  .record({
    native: fc.nat({ max: 0xffffffff }),
    nativePrefix: fc.integer({ min: 4, max: 24 }),
    podExtra: fc.integer({ min: 0, max: 4 }),
    podBits: fc.nat({ max: 0xffffffff }),
    maskExtra: fc.integer({ min: 1, max: 8 }),
    node: fc.nat({ max: 0xffffffff }),
    nodePrefix: fc.integer({ min: 4, max: 28 }),
  })
  .map((r) => {
    const podPrefix = Math.min(r.nativePrefix + r.podExtra, 28);
    // the pod CIDR: the native network with random bits below the native prefix
    const pod = (network(r.native, r.nativePrefix) | (r.podBits & ~maskOf(r.nativePrefix))) >>> 0;
    return {
      nativeRoutingCidr: cidr(r.native, r.nativePrefix),
      podCidr: cidr(pod, podPrefix),
      podCidrMaskSize: String(Math.min(podPrefix + r.maskExtra, 30)),
      nodeNetwork: cidr(r.node, r.nodePrefix),
      disjoint: !overlaps(r.native, r.nativePrefix, r.node, r.nodePrefix),
    };
  })
  .filter((c) => c.disjoint)
  .map(({ disjoint: _d, ...rest }) => rest);

const mirrorHost = fc
  .tuple(
    fc.array(word(ALNUM, [...ALNUM, "-"], ALNUM, 10), { minLength: 1, maxLength: 3 }),
    fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
  )
  .map(([parts, port]) => `${parts.join(".")}${port === undefined ? "" : `:${port}`}`);
const mirrorUrl = fc
  .tuple(
    fc.constantFrom("http", "https"),
    mirrorHost,
    fc.option(chars([...ALNUM, ".", "_", "~", "/", "-"], 0, 12), { nil: undefined }),
  )
  .map(([scheme, host, p]) => `${scheme}://${host}${p === undefined ? "" : `/${p}`}`);
const mirrors = fc.dictionary(
  mirrorHost,
  fc.oneof(mirrorUrl, fc.array(mirrorUrl, { minLength: 1, maxLength: 3 })),
  {
    maxKeys: 3,
  },
);

const semverOf = (minor: number, patch: number, pre?: string) => `1.${minor}.${patch}${pre ? `-${pre}` : ""}`;
const ciliumVersion = fc.oneof(
  fc.constant("1.13.0-rc5"),
  fc.tuple(fc.integer({ min: 13, max: 20 }), fc.nat(30)).map(([m, p]) => semverOf(m, p)),
  fc
    .tuple(fc.integer({ min: 14, max: 20 }), fc.constantFrom("pre.1", "pre.3", "rc.0", "rc.2"))
    .map(([m, pre]) => semverOf(m, 0, pre)),
);

// ---- building blocks of the invalid domains --------------------------------------------------

/** Characters no structured key accepts: shell syntax, whitespace, quotes, non-ASCII. */
const HOSTILE = [
  "'",
  '"',
  "$(touch /tmp/labt-pwned)",
  "`id`",
  "\n",
  "\r\n",
  ";",
  "&&",
  "|",
  " ",
  "\t",
  "*",
  "?",
  "\\",
  "<",
  ">",
  "#",
  "!",
  "{",
  "é",
  "\u202e",
  "😀",
  "\u0000",
];
const anyText = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.string({ maxLength: 12 }),
);
/** Arbitrary text around at least one hostile character. */
const hostile = fc.tuple(anyText, fc.constantFrom(...HOSTILE), anyText).map(([a, h, b]) => a + h + b);
/** A hostile value that starts with a character JSON does not skip (for registryMirrors). */
const hostileNotJson = fc
  .tuple(fc.constantFrom("'", "$(reboot)", "`id`", ";", "|", "&&", "é", "<"), anyText)
  .map(([h, b]) => h + b);
/** Hostile text for integer keys: no whitespace tokens, since the validator trims around digits. */
const hostileNoSpace = fc
  .tuple(
    anyText.map((t) => t.replace(/\s/g, "")),
    fc.constantFrom(...HOSTILE.filter((h) => h.trim() !== "")),
    anyText.map((t) => t.replace(/\s/g, "")),
  )
  .map(([a, h, b]) => a + h + b);
const intOutside = (min: number, max: number) =>
  fc.oneof(
    fc.integer({ min: 0, max: Math.max(0, min - 1) }).filter((n) => n < min),
    fc.integer({ min: max + 1, max: Number.MAX_SAFE_INTEGER }),
    fc.bigInt({ min: 10n ** 16n, max: 10n ** 30n }),
  );
const badNumber = (min: number, max: number) =>
  fc.oneof(
    intOutside(min, max).map(String),
    fc.integer({ min: -1000, max: -1 }).map(String),
    fc.tuple(fc.integer({ min, max }), fc.nat(9)).map(([a, b]) => `${a}.${b + 1}`),
    fc.integer({ min, max }).map((n) => `${n}e0`),
    fc.integer({ min, max }).map((n) => `0x${n.toString(16)}`),
    fc.constant(""),
    hostileNoSpace,
  );

// ---- per-key specs ---------------------------------------------------------------------------

/** A temporary directory for kubeconfigPath files (created in `before`). */
let tmp = "";

interface KeyCase {
  /** Valid configs for the key (the key set, plus whatever it needs). */
  readonly valid: fc.Arbitrary<Raw>;
  /** Checks the LabConfig a valid config gave. */
  readonly check?: (cfg: LabConfig, raw: Raw) => void;
  /** Invalid configs: the bad value of the key, plus context. */
  readonly invalid: fc.Arbitrary<Raw>;
}

const EXISTING: Raw = { clusterMode: "existing", kubeconfig: "apiVersion: v1\nkind: Config\n" };
const one = (key: string) => (arb: fc.Arbitrary<string>) => arb.map((v) => ({ [key]: v }));
const existingWith = (key: string) => (arb: fc.Arbitrary<string>) =>
  arb.map((v) => ({ ...EXISTING, [key]: v }));

const CASES: Record<string, KeyCase> = {
  clusterName: {
    valid: one("clusterName")(dnsLabel(49)),
    check: (cfg, raw) => assert.strictEqual(cfg.clusterName, raw.clusterName),
    invalid: fc.oneof(
      one("clusterName")(hostile),
      one("clusterName")(fc.constantFrom("", "-lab", "lab-", "Lab", "a".repeat(50))),
      // over 32 characters with Cilium >= 1.16 (the chart's cluster.name check)
      fc
        .tuple(chars(LOWER_ALNUM, 1, 1), chars([...LOWER_ALNUM, "-"], 31, 47), chars(LOWER_ALNUM, 1, 1))
        .map((parts) => parts.join(""))
        .map((n) => ({ clusterName: n, ciliumVersion: "1.18.12", nodeImage: "kindest/node:v1.33.1" })),
    ),
  },
  nodeImage: {
    valid: one("nodeImage")(imageRef),
    check: (cfg, raw) => assert.strictEqual(cfg.nodeImage, raw.nodeImage),
    invalid: fc.oneof(
      one("nodeImage")(hostile),
      one("nodeImage")(fc.constantFrom("", "Upper", "x@sha256:abc", "a".repeat(256))),
      fc.integer({ min: 10, max: 20 }).map((m) => ({
        nodeImage: `kindest/node:v1.${m}.1`,
        ciliumVersion: "1.16.19",
        clusterName: "lab",
      })),
    ),
  },
  workers: {
    valid: one("workers")(fc.integer({ min: 1, max: 10 }).map(String)),
    check: (cfg, raw) => assert.strictEqual(cfg.workers, Number(raw.workers)),
    invalid: one("workers")(badNumber(1, 10)),
  },
  ciliumVersion: {
    valid: ciliumVersion.map((v) => ({ ciliumVersion: v, clusterName: "lab" })),
    check: (cfg, raw) => assert.strictEqual(cfg.ciliumVersion, raw.ciliumVersion),
    invalid: one("ciliumVersion")(
      fc.oneof(
        hostile,
        fc.tuple(fc.nat(12), fc.nat(30)).map(([m, p]) => semverOf(m, p)),
        fc.tuple(fc.integer({ min: 21, max: 99 }), fc.nat(30)).map(([m, p]) => semverOf(m, p)),
        fc.constantFrom(
          "",
          "v1.13.0",
          "1.13",
          "latest",
          " 1.18.12",
          "1.18.12 ",
          "1.13.0-rc4",
          "1.21.0-pre.0",
        ),
      ),
    ),
  },
  ciliumChartRepo: {
    valid: fc
      .tuple(
        fc.constantFrom("http", "https"),
        fc.array(fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?$/), { minLength: 1, maxLength: 4 }),
        fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
        fc.array(fc.stringMatching(/^[A-Za-z0-9._~-]{1,12}$/), { maxLength: 3 }),
        fc.boolean(),
      )
      .map(([scheme, labels, port, segments, slash]) => ({
        ciliumChartRepo: `${scheme}://${labels.join(".")}${port === undefined ? "" : `:${port}`}${segments.map((x) => `/${x}`).join("")}${slash ? "/" : ""}`,
      })),
    check: (cfg, raw) => assert.strictEqual(cfg.ciliumChartRepo, raw.ciliumChartRepo?.replace(/\/+$/, "")),
    invalid: one("ciliumChartRepo")(
      fc.oneof(
        hostile,
        hostile.map((h) => `https://mirror.example/${h}`),
        fc.constantFrom(
          "",
          "helm.cilium.io",
          "oci://registry.example/cilium",
          "ftp://mirror.example",
          "https://user:pass@mirror.example",
          "https://mirror.example/charts?x=1",
          "https://mirror.example/charts#x",
          "https://mirror example",
        ),
      ),
    ),
  },
  ciliumChart: {
    // cilium-<ciliumVersion>.tgz created by materialise in the temporary directory
    valid: ciliumVersion.map((v) => ({ clusterName: "lab", ciliumVersion: v, ciliumChart: "\u0002" })),
    check: (cfg, raw) => assert.strictEqual(cfg.ciliumChart, raw.ciliumChart),
    invalid: one("ciliumChart")(
      fc.oneof(
        hostile,
        fc.string({ minLength: 1, maxLength: 20 }).filter((p) => !p.startsWith("/")),
        fc
          .string({ maxLength: 20 })
          .map((p) => `/nonexistent-labt-${p.replace(/\0/g, "")}/cilium-1.13.0-rc5.tgz`),
      ),
    ),
  },
  nativeRoutingCidr: {
    valid: cidrCombo,
    check: (cfg, raw) => {
      assert.strictEqual(cfg.nativeRoutingCidr, raw.nativeRoutingCidr);
      assert.strictEqual(cfg.podCidr, raw.podCidr);
      assert.strictEqual(cfg.nodeNetwork, raw.nodeNetwork);
      assert.strictEqual(cfg.podCidrMaskSize, Number(raw.podCidrMaskSize));
    },
    invalid: one("nativeRoutingCidr")(
      fc.oneof(
        hostile,
        fc.constantFrom("", "10.0.0.0", "10.0.0/8", "10.1.0.0/8", "10.0.0.0/33", "fd00::/8", "256.0.0.0/8"),
        // does not contain the default pod CIDR 10.0.0.0/8
        fc.integer({ min: 9, max: 30 }).map((p) => `10.0.0.0/${p}`),
      ),
    ),
  },
  podCidr: {
    valid: cidrCombo,
    check: (cfg, raw) => assert.strictEqual(cfg.podCidr, raw.podCidr),
    invalid: one("podCidr")(
      fc.oneof(
        hostile,
        fc.constantFrom("", "10.0.0.0", "10.0.0.1/8", "10.0.0.0/40", "::/0", "10.0.0.0/8/8"),
        fc.tuple(fc.nat(255), fc.integer({ min: 1, max: 7 })).map(([o, p]) => `10.${o}.0.1/${p + 24}`),
      ),
    ),
  },
  podCidrMaskSize: {
    valid: cidrCombo,
    check: (cfg, raw) => assert.strictEqual(cfg.podCidrMaskSize, Number(raw.podCidrMaskSize)),
    invalid: one("podCidrMaskSize")(badNumber(9, 30)),
  },
  nodeNetwork: {
    valid: cidrCombo,
    check: (cfg, raw) => assert.strictEqual(cfg.nodeNetwork, raw.nodeNetwork),
    invalid: one("nodeNetwork")(
      fc.oneof(
        hostile,
        fc.constantFrom("", "172.18.0.0", "172.18.0.1/16", "10.18.0.0/16", "0.0.0.0/0"),
        // too small to hold the nodes
        fc.integer({ min: 29, max: 32 }).map((p) => `172.18.0.0/${p}`),
        // overlapping the default native/pod CIDR 10.0.0.0/8
        fc.tuple(fc.nat(255), fc.integer({ min: 8, max: 28 })).map(([o, p]) => cidr(int32(10, o, 0, 0), p)),
      ),
    ),
  },
  nodeNetworkName: {
    valid: one("nodeNetworkName")(
      fc.oneof(fc.constant(""), word(ALNUM, [...ALNUM, "_", ".", "-"], [...ALNUM, "_", ".", "-"], 63)),
    ),
    check: (cfg, raw) =>
      assert.strictEqual(cfg.nodeNetworkName, raw.nodeNetworkName || `kind-${cfg.clusterName}`),
    invalid: one("nodeNetworkName")(
      fc.oneof(hostile, fc.constantFrom("_net", ".net", "-net", "a".repeat(64), "kind/lab")),
    ),
  },
  registryMirrors: {
    valid: one("registryMirrors")(mirrors.map((m) => JSON.stringify(m))),
    check: (cfg, raw) => {
      const want = JSON.parse(raw.registryMirrors) as Record<string, string | string[]>;
      assert.deepStrictEqual(
        cfg.registryMirrors,
        Object.fromEntries(Object.entries(want).map(([h, e]) => [h, typeof e === "string" ? [e] : e])),
      );
    },
    invalid: one("registryMirrors")(
      fc.oneof(
        hostileNotJson,
        fc.constantFrom("", "[]", "null", "42", '"harbor"', '{"a b":["https://x"]}', '{"h":[]}', '{"h":[1]}'),
        fc.tuple(mirrorHost, hostile).map(([h, bad]) => JSON.stringify({ [h + bad]: ["https://m"] })),
        fc.tuple(mirrorHost, hostile).map(([h, bad]) => JSON.stringify({ [h]: [`https://m/${bad}`] })),
        fc
          .tuple(mirrorHost, fc.constantFrom("ftp://m", "m", "https://", "javascript:x"))
          .map(([h, u]) => JSON.stringify({ [h]: [u] })),
      ),
    ),
  },
  testImage: {
    valid: one("testImage")(imageRef),
    check: (cfg, raw) => assert.strictEqual(cfg.testImage, raw.testImage),
    invalid: one("testImage")(fc.oneof(hostile, fc.constantFrom("", "a:b:c", "x@sha256:" + "g".repeat(64)))),
  },
  nodePort: {
    valid: one("nodePort")(fc.integer({ min: 30000, max: 32767 }).map(String)),
    check: (cfg, raw) => assert.strictEqual(cfg.nodePort, Number(raw.nodePort)),
    invalid: one("nodePort")(badNumber(30000, 32767)),
  },
  namespace: {
    valid: one("namespace")(dnsLabel(63)),
    check: (cfg, raw) => assert.strictEqual(cfg.namespace, raw.namespace),
    // "" is the default (default on kind, cilium-ebpf-lab in existing mode); existing mode refuses
    // the namespaces other workloads share.
    invalid: fc.oneof(
      one("namespace")(fc.oneof(hostile, fc.constantFrom("Default", "kube_system", "a".repeat(64)))),
      existingWith("namespace")(fc.constantFrom("default", "kube-system", "kube-public", "kube-node-lease")),
    ),
  },
  appLabel: {
    valid: one("appLabel")(word(ALNUM, [...ALNUM, "-", "_", "."], ALNUM, 63)),
    check: (cfg, raw) => assert.strictEqual(cfg.appLabel, raw.appLabel),
    invalid: one("appLabel")(fc.oneof(hostile, fc.constantFrom("", "-a", "a-", "a/b", "a".repeat(64)))),
  },
  runChecks: {
    valid: one("runChecks")(fc.constantFrom("true", "false")),
    check: (cfg, raw) => assert.strictEqual(cfg.runChecks, raw.runChecks === "true"),
    invalid: one("runChecks")(fc.oneof(hostile, fc.constantFrom("", "True", "yes", "1", " true"))),
  },
  failOnCheckFailure: {
    valid: one("failOnCheckFailure")(fc.constantFrom("true", "false")),
    check: (cfg, raw) => assert.strictEqual(cfg.failOnCheckFailure, raw.failOnCheckFailure === "true"),
    invalid: one("failOnCheckFailure")(fc.oneof(hostile, fc.constantFrom("", "FALSE", "no", "0"))),
  },
  checkTimeoutSeconds: {
    valid: one("checkTimeoutSeconds")(fc.integer({ min: 5, max: 120 }).map(String)),
    check: (cfg, raw) => assert.strictEqual(cfg.checkTimeoutSeconds, Number(raw.checkTimeoutSeconds)),
    invalid: one("checkTimeoutSeconds")(badNumber(5, 120)),
  },
  checksRunId: {
    valid: one("checksRunId")(chars([...ALNUM, "_", ".", ":", "-"], 1, 64)),
    check: (cfg, raw) => assert.strictEqual(cfg.checksRunId, raw.checksRunId),
    invalid: one("checksRunId")(fc.oneof(hostile, fc.constantFrom("", "a".repeat(65), "2026/11/25"))),
  },
  clusterMode: {
    valid: fc.constantFrom<Raw>({ clusterMode: "kind" }, { ...EXISTING }),
    check: (cfg, raw) => assert.strictEqual(cfg.clusterMode, raw.clusterMode),
    invalid: one("clusterMode")(fc.oneof(hostile, fc.constantFrom("", "Kind", "KIND", " kind", "existing "))),
  },
  kubeconfigPath: {
    // any absolute path of an existing file (created by the property), whatever its characters
    valid: fc
      .string({ unit: "grapheme", minLength: 1, maxLength: 30 })
      .filter(
        (n) => !n.includes("/") && !n.includes("\0") && n !== "." && n !== ".." && Buffer.byteLength(n) < 200,
      )
      .map((n) => ({ clusterMode: "existing", kubeconfigPath: `\u0001${n}` })),
    check: (cfg, raw) => assert.strictEqual(cfg.kubeconfigPath, raw.kubeconfigPath),
    invalid: fc.oneof(
      // kind mode
      one("kubeconfigPath")(fc.oneof(hostile, fc.constant("/etc/hostname"))),
      // relative, or absent
      existingWith("kubeconfigPath")(
        fc.oneof(
          fc.string({ minLength: 1, maxLength: 20 }).filter((p) => !p.startsWith("/")),
          fc.string({ maxLength: 20 }).map((p) => `/nonexistent-labt-${p.replace(/\0/g, "")}`),
        ),
      ).map((r) => ({ ...r, kubeconfig: "" })),
    ),
  },
  kubeconfig: {
    valid: fc
      .string({ unit: "grapheme", minLength: 1, maxLength: 60 })
      .map((v) => ({ clusterMode: "existing", kubeconfig: v })),
    check: (cfg, raw) => assert.strictEqual(cfg.kubeconfig, raw.kubeconfig),
    // only used in existing mode; the value is secret and must never be echoed
    invalid: fc
      .tuple(anyText, hostile)
      .map(([a, b]) => ({ kubeconfig: `client-key-data: LABT-SECRET-${a}${b}` })),
  },
  context: {
    valid: existingWith("context")(chars([...ALNUM, "@", ".", "_", ":", "/", "-"], 1, 80)),
    check: (cfg, raw) => assert.strictEqual(cfg.context, raw.context),
    invalid: fc.oneof(
      one("context")(fc.oneof(hostile, fc.constant("kind-lab"))),
      existingWith("context")(fc.oneof(hostile, fc.constant("a".repeat(254)))),
    ),
  },
  installCilium: {
    valid: fc.oneof(
      fc.constant<Raw>({ installCilium: "true" }),
      fc.constantFrom("true", "false").map((v) => ({ ...EXISTING, installCilium: v })),
    ),
    check: (cfg, raw) => assert.strictEqual(cfg.installCilium, raw.installCilium === "true"),
    invalid: fc.oneof(
      one("installCilium")(fc.oneof(hostile, fc.constantFrom("", "no", "False"))),
      fc.constant<Raw>({ installCilium: "false" }), // kind mode always installs Cilium
    ),
  },
  k8sServiceHost: {
    valid: fc.oneof(
      existingWith("k8sServiceHost")(fc.oneof(fc.ipV4(), fc.ipV6(), fc.domain())),
      fc.constant<Raw>({ ...EXISTING, k8sServiceHost: "auto", ciliumVersion: "1.16.19", clusterName: "lab" }),
    ),
    check: (cfg, raw) => assert.strictEqual(cfg.k8sServiceHost, raw.k8sServiceHost),
    invalid: fc.oneof(
      one("k8sServiceHost")(fc.oneof(fc.ipV4(), hostile)), // kind mode
      existingWith("k8sServiceHost")(fc.oneof(hostile, fc.constantFrom("auto", "API.example", "-x", "x-"))),
    ),
  },
  k8sServicePort: {
    valid: existingWith("k8sServicePort")(fc.integer({ min: 1, max: 65535 }).map(String)),
    check: (cfg, raw) => assert.strictEqual(cfg.k8sServicePort, Number(raw.k8sServicePort)),
    invalid: fc.oneof(
      one("k8sServicePort")(fc.constantFrom("6443", "443")), // kind mode
      existingWith("k8sServicePort")(fc.oneof(hostile, fc.constantFrom("0", "65536", "-1", "443x", "1e3"))),
    ),
  },
  uninstallCiliumOnDestroy: {
    valid: fc.oneof(
      existingWith("uninstallCiliumOnDestroy")(fc.constant("false")),
      fc.constant<Raw>({
        ...EXISTING,
        uninstallCiliumOnDestroy: "true",
        ciliumVersion: "1.18.12",
        clusterName: "lab",
      }),
    ),
    check: (cfg, raw) =>
      assert.strictEqual(cfg.uninstallCiliumOnDestroy, raw.uninstallCiliumOnDestroy === "true"),
    invalid: fc.oneof(
      existingWith("uninstallCiliumOnDestroy")(fc.oneof(hostile, fc.constantFrom("yes", "TRUE", ""))),
      fc.constant<Raw>({ uninstallCiliumOnDestroy: "true", ciliumVersion: "1.18.12" }), // kind mode
      fc.constant<Raw>({ ...EXISTING, uninstallCiliumOnDestroy: "true" }), // 1.13.0-rc5: no cni.uninstall
      fc.constant<Raw>({ ...EXISTING, uninstallCiliumOnDestroy: "true", installCilium: "false" }),
    ),
  },
  nodeProbe: {
    valid: fc.oneof(
      one("nodeProbe")(fc.constantFrom("run", "keep", "off", "true", "false", "")),
      existingWith("nodeProbe")(fc.constantFrom("run", "keep", "off", "true", "false", "")),
    ),
    // The old values keep working: true is keep, false is off; empty is keep on kind, run in existing mode.
    check: (cfg, raw) =>
      assert.strictEqual(
        cfg.nodeProbe,
        { run: "run", keep: "keep", off: "off", true: "keep", false: "off" }[raw.nodeProbe ?? ""] ??
          (cfg.clusterMode === "existing" ? "run" : "keep"),
      ),
    invalid: one("nodeProbe")(fc.oneof(hostile, fc.constantFrom("yes", "TRUE", "1", "Run", "always", "on"))),
  },
  runPerformance: {
    valid: one("runPerformance")(fc.constantFrom("true", "false")),
    check: (cfg, raw) => assert.strictEqual(cfg.runPerformance, raw.runPerformance === "true"),
    invalid: one("runPerformance")(fc.oneof(hostile, fc.constantFrom("", "TRUE", "on", "1"))),
  },
  perfDurationSeconds: {
    valid: one("perfDurationSeconds")(fc.integer({ min: 1, max: 120 }).map(String)),
    check: (cfg, raw) => assert.strictEqual(cfg.perfDurationSeconds, Number(raw.perfDurationSeconds)),
    invalid: one("perfDurationSeconds")(badNumber(1, 120)),
  },
  perfProfile: {
    valid: one("perfProfile")(fc.constantFrom("lab", "measurement")),
    check: (cfg, raw) => assert.strictEqual(cfg.perfProfile, raw.perfProfile),
    invalid: one("perfProfile")(fc.oneof(hostile, fc.constantFrom("", "Lab", "fast", "debug"))),
  },
  datapathVariant: {
    valid: one("datapathVariant")(fc.constantFrom("bpf", "legacy-host-routing")),
    check: (cfg, raw) => assert.strictEqual(cfg.datapathVariant, raw.datapathVariant),
    invalid: one("datapathVariant")(
      fc.oneof(hostile, fc.constantFrom("", "BPF", "legacy", "tunnel", "legacy-host-routing ")),
    ),
  },
  perfRepeats: {
    valid: one("perfRepeats")(fc.integer({ min: 3, max: 50 }).map(String)),
    check: (cfg, raw) => assert.strictEqual(cfg.perfRepeats, Number(raw.perfRepeats)),
    invalid: one("perfRepeats")(badNumber(3, 50)),
  },
  perfStreams: {
    valid: one("perfStreams")(fc.integer({ min: 1, max: 16 }).map(String)),
    check: (cfg, raw) => assert.strictEqual(cfg.perfStreams, Number(raw.perfStreams)),
    invalid: one("perfStreams")(badNumber(1, 16)),
  },
  perfPingSamples: {
    valid: one("perfPingSamples")(fc.integer({ min: 5, max: 1000 }).map(String)),
    check: (cfg, raw) => assert.strictEqual(cfg.perfPingSamples, Number(raw.perfPingSamples)),
    invalid: one("perfPingSamples")(badNumber(5, 1000)),
  },
  nodeDevice: {
    valid: one("nodeDevice")(fc.oneof(fc.constant(""), chars([...ALNUM, "_", ".", "@", "-"], 1, 15))),
    check: (cfg, raw) => assert.strictEqual(cfg.nodeDevice, raw.nodeDevice || "eth0"),
    invalid: one("nodeDevice")(fc.oneof(hostile, chars(ALNUM, 16, 30))),
  },
};

/** Materialises a generated kubeconfigPath or ciliumChart (files are created in the temporary directory). */
function materialise(raw: Raw): Raw {
  if (raw.ciliumChart === "\u0002") {
    const file = path.join(tmp, `cilium-${raw.ciliumVersion}.tgz`);
    fs.writeFileSync(file, "");
    return { ...raw, ciliumChart: file };
  }
  if (raw.kubeconfigPath?.startsWith("\u0001")) {
    const file = path.join(tmp, raw.kubeconfigPath.slice(1));
    fs.writeFileSync(file, "apiVersion: v1\n");
    return { ...raw, kubeconfigPath: file };
  }
  return raw;
}

/** The key whose problem an invalid config must report. */
function errorOf(raw: Raw): ConfigError {
  try {
    validateConfig(raw);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw new Error(`expected a ConfigError for ${JSON.stringify(raw)}, got ${String(e)}`);
  }
  throw new Error(`expected ${JSON.stringify(raw)} to be rejected`);
}

/** Asserts the error names the key, shows the value (or [secret]) and says what is allowed. */
function assertNamesKey(err: ConfigError, key: string, raw: Raw): void {
  const problems = err.problems.filter((p) => p.key === key);
  assert.ok(problems.length > 0, `no problem for ${key} in: ${err.message}`);
  const secret = CONFIG_KEYS[key].secret === true;
  const shown = secret ? "[secret]" : raw[key];
  for (const p of problems) {
    assert.ok(p.allowed.trim().length > 10, `no "allowed" text for ${key}`);
    assert.match(p.allowed, /must|only used|unknown key|did you mean|always/, p.allowed);
    assert.ok(
      err.message.includes(`${PROJECT}:${key} = ${JSON.stringify(p.value)}: ${p.allowed}`),
      `the message does not name ${key}, its value and what is allowed:\n${err.message}`,
    );
  }
  if (shown !== undefined) {
    assert.ok(
      problems.some((p) => p.value === shown),
      `no problem about ${key} shows the value ${JSON.stringify(shown)}: ${err.message}`,
    );
  }
  if (secret && raw[key]) {
    assert.ok(!err.message.includes(raw[key]), "the secret value is echoed");
    assert.ok(!err.message.includes("LABT-SECRET"), "the secret value is echoed");
  }
}

describe("config validation, property-based (every key)", function () {
  this.timeout(120000);

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "labt-config-"));
  });
  after(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("has a generator for every key of CONFIG_KEYS and nothing else", () => {
    assert.deepStrictEqual(Object.keys(CASES).sort(), Object.keys(CONFIG_KEYS).sort());
  });

  for (const [key, spec] of Object.entries(CASES)) {
    it(`${key}: values from the valid domain give a LabConfig holding them`, () => {
      fc.assert(
        fc.property(spec.valid, (generatedRaw) => {
          generated.valid++;
          keysCovered.valid.add(key);
          const raw = materialise(generatedRaw);
          let cfg: LabConfig;
          try {
            cfg = validateConfig(raw);
          } catch (e) {
            throw new Error(`valid ${key} rejected: ${JSON.stringify(raw)}\n${String(e)}`);
          }
          spec.check?.(cfg, raw);
        }),
        { numRuns: RUNS, seed: SEED },
      );
    });

    it(`${key}: hostile or out-of-range values throw a ConfigError naming ${key}, the value and what is allowed`, () => {
      fc.assert(
        fc.property(spec.invalid, (raw) => {
          generated.invalid++;
          keysCovered.invalid.add(key);
          assertNamesKey(errorOf(raw), key, raw);
        }),
        { numRuns: RUNS, seed: SEED + 1 },
      );
    });
  }

  it("rejects unknown keys (typos) by name", () => {
    const known = new Set(Object.keys(CONFIG_KEYS));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ minLength: 1, maxLength: 20 }).filter((k) => !known.has(k)),
          fc.constantFrom("nodeport", "NodePort", "cluster-name", "kubeConfig"),
        ),
        fc.string({ maxLength: 10 }),
        (key, value) => {
          generated.invalid++;
          const err = errorOf({ [key]: value });
          const p = err.problems.find((x) => x.key === key);
          assert.ok(p, err.message);
          assert.match(p.allowed, /unknown key; known keys: clusterName/);
        },
      ),
      { numRuns: RUNS, seed: SEED + 2 },
    );
  });

  it("quotes the value the user gave in every problem about a key (installCilium in kind mode)", () => {
    for (const value of ["", "yes", "$(id)"]) {
      generated.invalid++;
      const err = errorOf({ installCilium: value });
      const wrong = err.problems.filter((p) => p.key === "installCilium" && p.value !== value);
      assert.deepStrictEqual(
        wrong.map((p) => `${JSON.stringify(p.value)}: ${p.allowed}`),
        [],
        `installCilium = ${JSON.stringify(value)} is also reported as a value the user did not give`,
      );
    }
  });

  it("reports keys named like Object.prototype members (constructor, toString, __proto__) as unknown", () => {
    for (const key of ["constructor", "toString", "hasOwnProperty", "__proto__", "valueOf"]) {
      generated.invalid++;
      const raw: Raw = {};
      Object.defineProperty(raw, key, { value: "x", enumerable: true, configurable: true, writable: true });
      let err: ConfigError | undefined;
      try {
        validateConfig(raw);
      } catch (e) {
        err = e as ConfigError;
      }
      assert.ok(
        err?.problems?.some((p) => p.key === key && /unknown key/.test(p.allowed)),
        `cilium-ebpf-lab:${key} was silently ignored`,
      );
    }
  });

  it("keeps the named regression table (BAD_INPUTS) of at least 30 entries", () => {
    assert.ok(BAD_INPUTS.length >= 30, `only ${BAD_INPUTS.length} named bad inputs`);
    for (const bad of BAD_INPUTS) {
      const err = errorOf(bad.config);
      assert.ok(
        err.problems.some((p) => p.key === bad.key && bad.expect.test(p.allowed)),
        `${bad.name}: ${err.message}`,
      );
    }
  });

  it(`stops the whole program before any resource is declared, for 30 sampled invalid configs`, async () => {
    const keys = Object.keys(CASES);
    const sample = fc.sample(
      fc.nat(keys.length - 1).chain((i) => CASES[keys[i]].invalid.map((raw) => ({ key: keys[i], raw }))),
      { numRuns: 30, seed: SEED + 3 },
    );
    for (const { key, raw } of sample) {
      generated.invalid++;
      const err = await runLab({ config: raw }).then(
        () => assert.fail(`the program ran with invalid ${key}: ${JSON.stringify(raw)}`),
        (e: unknown) => e as ConfigError & { resources?: unknown[] },
      );
      assert.ok(err instanceof ConfigError, `${key}: expected a ConfigError, got ${String(err)}`);
      assertNamesKey(err, key, raw);
      assert.deepStrictEqual(err.resources, [], `${key}: resources were declared before the error`);
    }
  });

  it(`generated at least ${MIN_GENERATED} config values, valid and invalid, over every key`, () => {
    const total = generated.valid + generated.invalid;
    console.log(
      `      config values generated: ${total} (${generated.valid} valid, ${generated.invalid} invalid); named bad inputs: ${BAD_INPUTS.length}`,
    );
    assert.ok(total >= MIN_GENERATED, `only ${total} values generated`);
    assert.deepStrictEqual([...keysCovered.valid].sort(), Object.keys(CONFIG_KEYS).sort());
    assert.deepStrictEqual([...keysCovered.invalid].sort(), Object.keys(CONFIG_KEYS).sort());
  });
});
