import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import committedJson from "../../data/cilium-chart-index.json";
import type { ChartIndex } from "../../lib/chartIndex";
import { CHART_INDEX_FILE, readSharedCharts } from "../../scripts/derive-chart-index";
import { deriveChartIndex, serializeChartIndex } from "../../scripts/derive-chart-index-build";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
/** The shared reference folder next to the repository; only some tests need it. */
const SHARED_DIR = path.resolve(REPO_ROOT, "..", "shared");
const hasShared = fs.existsSync(path.join(SHARED_DIR, "cilium-chart"));
const committed: ChartIndex = committedJson;

/** Versions whose bit is set in a mask of an index. */
function versionsIn(index: ChartIndex, mask: number | undefined): string[] {
  return index.versions.filter((_, i) => ((mask ?? 0) & (1 << i)) !== 0);
}

/** Derives a one-version index from a values.yaml text. */
function one(yaml: string): ChartIndex {
  return deriveChartIndex({ "1.0.0": yaml });
}

describe("scripts/derive-chart-index", () => {
  describe("deriveChartIndex on small charts", () => {
    it("records intermediate maps and leaves as dotted paths but nothing inside arrays", () => {
      const index = one(
        [
          "bpf:",
          "  masquerade: ~",
          "  monitorAggregation: medium",
          "ipam:",
          "  operator:",
          "    clusterPoolIPv4PodCIDRList: []",
          "tolerations:",
          "  - operator: Exists",
          "    key: foo",
          "empty: {}",
        ].join("\n"),
      );
      assert.deepEqual(Object.keys(index.present), [
        "bpf",
        "bpf.masquerade",
        "bpf.monitorAggregation",
        "empty",
        "ipam",
        "ipam.operator",
        "ipam.operator.clusterPoolIPv4PodCIDRList",
        "tolerations",
      ]);
      assert.deepEqual(index.commented, {});
    });

    it("orders versions by semver and sets one bit per version where a path exists", () => {
      const index = deriveChartIndex({
        "1.14.0": "a: 1\nc: 3\n",
        "1.13.0-rc5": "a: 1\nb: 2\n",
        "1.13.0": "a: 1\n",
      });
      assert.deepEqual(index.versions, ["1.13.0-rc5", "1.13.0", "1.14.0"]);
      assert.deepEqual(index.present, { a: 0b111, b: 0b001, c: 0b100 });
    });

    it("records which versions ship a values.schema.json", () => {
      const index = deriveChartIndex({ "1.15.0": "a: 1\n", "1.16.0": "a: 1\n" }, ["1.16.0"]);
      assert.deepEqual(index.valuesSchema, { "1.15.0": false, "1.16.0": true });
    });

    it("records commented sibling keys at the top level and nested, with or without a space after #", () => {
      const index = one(
        [
          "# upgradeCompatibility: '1.8'",
          "",
          "debug:",
          "  enabled: false",
          "  # verbose:",
          "",
          "# -- Specify which network interfaces can run the eBPF datapath.",
          '# devices: ""',
          "",
          "# ref: https://docs.cilium.io/en/stable/gettingstarted/kubeproxy-free/",
          '#kubeProxyReplacement: "disabled"',
          'k8sServiceHost: ""',
        ].join("\n"),
      );
      assert.deepEqual(Object.keys(index.commented), [
        "debug.verbose",
        "devices",
        "kubeProxyReplacement",
        "upgradeCompatibility",
      ]);
    });

    it("ignores prose, links, schema annotations and deeper-indented example lines", () => {
      const index = one(
        [
          "# -- Enable debug logging",
          "# Example: foo",
          "# note: this is a sentence, not a value",
          "# ref: https://kubernetes.io/docs/concepts/configuration/assign-pod-node/",
          "# @schema",
          "# type: [null, string]",
          "# @schema",
          "first: ~",
          "# @schema@",
          "# enum: [a, b]",
          "# @schema@",
          "resources: {}",
          "  # limits:",
          "  #   cpu: 4000m",
          "affinity:",
          "  podAntiAffinity: {}",
          "  #   operator: Exists",
          "real: true",
        ].join("\n"),
      );
      assert.deepEqual(index.commented, {});
    });

    it("ignores a commented-out block and everything inside it", () => {
      const index = one(
        [
          "ipMasqAgent:",
          "  enabled: false",
          "# the config of nonMasqueradeCIDRs",
          "# config:",
          "  # nonMasqueradeCIDRs: []",
          "  # masqLinkLocal: false",
          "",
          "# logOptions:",
          "#   format: json",
          "",
          "tls:",
          "  ca:",
          "    cert: x",
          "    # content: |",
          "    #   -----BEGIN CERTIFICATE-----",
        ].join("\n"),
      );
      assert.deepEqual(index.commented, {});
    });

    it("does not read comment-shaped lines inside a block scalar", () => {
      const index = one(["extraConfig: |", "  # foo: bar", "other: 1", "bar: 2"].join("\n"));
      assert.deepEqual(index.commented, {});
    });

    it("records a commented key that also exists for real as present only", () => {
      const index = one(["enabled: true", "# enabled: false", "# other: 1", "more: 1"].join("\n"));
      assert.deepEqual(Object.keys(index.present), ["enabled", "more"]);
      assert.deepEqual(index.commented, { other: 1 });
    });

    it("keeps a comment that may be an empty key's content only when another version confirms the path", () => {
      const misplaced = ["maglev: {}", "# -- tableSize is the size", "# tableSize:", "", "x: 1"].join("\n");
      assert.deepEqual(one(misplaced).commented, {});
      const confirmed = deriveChartIndex({
        "1.18.0": ["a: 1", '# devices: ""', "b: 2"].join("\n"),
        "1.19.0": ["tmpVolume: {}", "", '# devices: ""', "b: 2"].join("\n"),
      });
      assert.deepEqual(confirmed.commented, { devices: 0b11 });
    });

    it("ignores a comment attached to the end of a deeper block unless another version confirms it", () => {
      const yaml = [
        "operator:",
        "  securityContext:",
        "    allowPrivilegeEscalation: false",
        "  # runAsUser: 0",
        "  replicas: 2",
      ].join("\n");
      assert.deepEqual(one(yaml).commented, {});
    });

    it("throws on a values.yaml that does not parse", () => {
      assert.throws(() => one("a: [1,\nb: 2\n"), /does not parse/);
    });

    it("throws on a version directory name that is not semver", () => {
      assert.throws(() => deriveChartIndex({ latest: "a: 1", "1.0.0": "a: 1" }), /not semver/);
    });
  });

  describe("the committed data/cilium-chart-index.json", () => {
    it("holds the nine saved chart versions and which of them ship values.schema.json (1.16+)", () => {
      assert.deepEqual(committed.versions, [
        "1.13.0-rc5",
        "1.13.18",
        "1.14.19",
        "1.15.19",
        "1.16.19",
        "1.17.18",
        "1.18.12",
        "1.19.6",
        "1.20.0",
      ]);
      assert.deepEqual(
        committed.versions.filter((v) => committed.valuesSchema[v]),
        ["1.16.19", "1.17.18", "1.18.12", "1.19.6", "1.20.0"],
      );
    });

    it("stays compact (under 200 KB, far from the 1 MB limit)", () => {
      const size = fs.statSync(CHART_INDEX_FILE).size;
      assert.ok(size < 200_000, `index is ${size} bytes`);
    });

    it("is byte-for-byte what serializeChartIndex writes", () => {
      assert.equal(fs.readFileSync(CHART_INDEX_FILE, "utf8"), serializeChartIndex(committed));
    });

    // The chart README's list of keys that exist only as comments, by version.
    const knownCommented: [string, string[], string[]][] = [
      [
        "kubeProxyReplacement",
        ["1.13.0-rc5", "1.13.18", "1.14.19", "1.15.19", "1.16.19", "1.17.18"],
        ["1.18.12", "1.19.6", "1.20.0"],
      ],
      [
        "devices",
        ["1.13.0-rc5", "1.13.18", "1.14.19", "1.15.19", "1.16.19", "1.17.18", "1.18.12", "1.19.6"],
        ["1.20.0"],
      ],
      [
        "debug.verbose",
        ["1.13.0-rc5"],
        ["1.13.18", "1.14.19", "1.15.19", "1.16.19", "1.17.18", "1.18.12", "1.19.6", "1.20.0"],
      ],
      // The README says "commented in all", but from 1.16 values.yaml has `upgradeCompatibility: null`.
      [
        "upgradeCompatibility",
        ["1.13.0-rc5", "1.13.18", "1.14.19", "1.15.19"],
        ["1.16.19", "1.17.18", "1.18.12", "1.19.6", "1.20.0"],
      ],
    ];
    for (const [key, commentedIn, presentIn] of knownCommented) {
      it(`records ${key} as commented in ${commentedIn.join(", ")} and present in the others`, () => {
        assert.deepEqual(versionsIn(committed, committed.commented[key]), commentedIn);
        assert.deepEqual(versionsIn(committed, committed.present[key]), presentIn);
      });
    }

    it("records no misplaced example content as a key (maglev's tableSize, envoy.log's format_json fields)", () => {
      for (const p of [
        "tableSize",
        "hashSeed",
        "emptyDir",
        "config",
        "type",
        "envoy.log.date",
        "operator.runAsUser",
      ]) {
        assert.equal(committed.commented[p], undefined, p);
      }
    });

    it("never lists a path as both present and commented in the same version", () => {
      for (const [p, mask] of Object.entries(committed.commented)) {
        assert.equal(mask & (committed.present[p] ?? 0), 0, p);
      }
    });
  });

  describe("against the saved charts in ../shared", () => {
    before(function () {
      if (!hasShared) this.skip();
    });

    it("regenerates exactly the committed index", () => {
      const { valuesYamlByVersion, withValuesSchema } = readSharedCharts(SHARED_DIR);
      const fresh = deriveChartIndex(valuesYamlByVersion, withValuesSchema);
      assert.deepEqual(fresh, committed);
      assert.equal(serializeChartIndex(fresh), fs.readFileSync(CHART_INDEX_FILE, "utf8"));
    });

    it("--check exits 0 when the committed index is current", function () {
      this.timeout(60_000);
      const r = runScript(["--check", "--shared", SHARED_DIR]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /up to date/);
    });
  });

  describe("the command line", () => {
    it("--check exits 1 and writes nothing when the charts differ from the committed index", function () {
      this.timeout(60_000);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chart-index-"));
      try {
        fs.mkdirSync(path.join(dir, "cilium-chart", "1.13.18"), { recursive: true });
        fs.writeFileSync(path.join(dir, "cilium-chart", "1.13.18", "values.yaml"), "tunnel: vxlan\n");
        const before = fs.readFileSync(CHART_INDEX_FILE, "utf8");
        const r = runScript(["--check", "--shared", dir]);
        assert.equal(r.status, 1, r.stdout + r.stderr);
        assert.match(r.stderr, /stale/);
        assert.equal(fs.readFileSync(CHART_INDEX_FILE, "utf8"), before);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it("rejects an unknown argument with exit code 2", function () {
      this.timeout(60_000);
      const r = runScript(["--bogus"]);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /usage/);
    });
  });
});

function runScript(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(
    process.execPath,
    ["-r", "tsx/cjs", path.join(REPO_ROOT, "scripts", "derive-chart-index.ts"), ...args],
    { cwd: REPO_ROOT, encoding: "utf8", env: process.env },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
