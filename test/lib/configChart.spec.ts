import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError, validateConfig } from "../../lib/config";

function problemsOf(config: Record<string, string>): { key: string; value: string; allowed: string }[] {
  try {
    validateConfig(config);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    return [...e.problems];
  }
  return [];
}

describe("config: where the Cilium chart comes from (ciliumChartRepo, ciliumChart)", () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-chart-"));
    fs.writeFileSync(path.join(dir, "cilium-1.18.12.tgz"), "not read: the name carries the version");
    fs.mkdirSync(path.join(dir, "cilium"));
    fs.writeFileSync(
      path.join(dir, "cilium", "Chart.yaml"),
      "apiVersion: v2\nname: cilium\nversion: 1.18.12\n",
    );
    fs.mkdirSync(path.join(dir, "other", "cilium"), { recursive: true });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("defaults to helm.cilium.io and no local chart", () => {
    const cfg = validateConfig({});
    assert.strictEqual(cfg.ciliumChartRepo, "https://helm.cilium.io");
    assert.strictEqual(cfg.ciliumChart, undefined);
  });

  it("accepts a mirror or a loopback repository, dropping a trailing slash", () => {
    assert.strictEqual(
      validateConfig({ ciliumChartRepo: "http://127.0.0.1:8879/charts/" }).ciliumChartRepo,
      "http://127.0.0.1:8879/charts",
    );
    assert.strictEqual(
      validateConfig({ ciliumChartRepo: "https://harbor.evescn.com/chartrepo/cilium" }).ciliumChartRepo,
      "https://harbor.evescn.com/chartrepo/cilium",
    );
  });

  for (const value of [
    "helm.cilium.io",
    "oci://registry.example/cilium",
    "https://user:pass@mirror.example",
    "https://mirror.example/charts?x=1",
    "https://mirror.example/$(id)",
    "https://mirror example",
    "",
  ]) {
    it(`rejects ciliumChartRepo ${JSON.stringify(value)}, naming the key, the value and what is allowed`, () => {
      const p = problemsOf({ ciliumChartRepo: value }).find((x) => x.key === "ciliumChartRepo");
      assert.ok(p, "no problem for ciliumChartRepo");
      assert.strictEqual(p.value, value);
      assert.match(p.allowed, /http\(s\) URL of a Helm chart repository/);
    });
  }

  it("accepts cilium-<ciliumVersion>.tgz and a cilium directory whose Chart.yaml has that version", () => {
    const tgz = path.join(dir, "cilium-1.18.12.tgz");
    assert.strictEqual(
      validateConfig({ clusterName: "lab", ciliumVersion: "1.18.12", ciliumChart: tgz }).ciliumChart,
      tgz,
    );
    const unpacked = path.join(dir, "cilium");
    assert.strictEqual(
      validateConfig({ clusterName: "lab", ciliumVersion: "1.18.12", ciliumChart: unpacked }).ciliumChart,
      unpacked,
    );
  });

  const cases: { name: string; config: () => Record<string, string>; expect: RegExp }[] = [
    {
      name: "a relative path",
      config: () => ({ ciliumVersion: "1.18.12", ciliumChart: "cilium-1.18.12.tgz" }),
      expect: /absolute path of a packaged chart cilium-1\.18\.12\.tgz/,
    },
    {
      name: "a path where nothing exists",
      config: () => ({ ciliumVersion: "1.18.12", ciliumChart: path.join(dir, "cilium-1.18.11.tgz") }),
      expect: /nothing exists there/,
    },
    {
      name: "an archive of another version than ciliumVersion",
      config: () => ({ ciliumVersion: "1.13.0-rc5", ciliumChart: path.join(dir, "cilium-1.18.12.tgz") }),
      expect: /cilium-1\.13\.0-rc5\.tgz .*found a file named cilium-1\.18\.12\.tgz/,
    },
    {
      name: "a chart directory of another version",
      config: () => ({ ciliumVersion: "1.18.11", ciliumChart: path.join(dir, "cilium") }),
      expect: /Chart\.yaml has version 1\.18\.12\)/,
    },
    {
      name: "a directory without Chart.yaml",
      config: () => ({ ciliumVersion: "1.18.12", ciliumChart: path.join(dir, "other", "cilium") }),
      expect: /no readable Chart\.yaml/,
    },
    {
      name: "a directory not named cilium (the policy pack would not recognise the chart)",
      config: () => ({ ciliumVersion: "1.18.12", ciliumChart: path.join(dir, "other") }),
      expect: /found other\)/,
    },
    {
      name: "a path with shell characters",
      config: () => ({ ciliumVersion: "1.18.12", ciliumChart: `${dir}/$(id)/cilium-1.18.12.tgz` }),
      expect: /absolute path/,
    },
    {
      name: "a local chart together with a repository",
      config: () => ({
        ciliumVersion: "1.18.12",
        ciliumChart: path.join(dir, "cilium-1.18.12.tgz"),
        ciliumChartRepo: "http://127.0.0.1:8879",
      }),
      expect: /must be empty when ciliumChartRepo is set/,
    },
  ];
  for (const c of cases) {
    it(`rejects ciliumChart as ${c.name}, naming the key, the value and what is allowed`, () => {
      const config = c.config();
      const p = problemsOf(config).find((x) => x.key === "ciliumChart");
      assert.ok(p, "no problem for ciliumChart");
      assert.strictEqual(p.value, config.ciliumChart);
      assert.match(p.allowed, c.expect);
    });
  }
});
