import { strict as assert } from "assert";
import {
  INDEXED_VERSIONS,
  SUPPORTED_RANGE,
  indexedVersionFor,
  isSupportedCiliumVersion,
  keyStatus,
  suggestKey,
  topLevelKeys,
} from "../../lib/chartIndex";

describe("lib/chartIndex", () => {
  it("indexes one chart per minor from 1.13 to 1.20 plus the seed's 1.13.0-rc5, in semver order", () => {
    assert.deepEqual(INDEXED_VERSIONS, [
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
  });

  it("states the supported range so that no 1.21 prerelease slips under it", () => {
    assert.equal(SUPPORTED_RANGE, ">=1.13.0-rc5 <1.21.0-0");
  });

  describe("isSupportedCiliumVersion", () => {
    const cases: [string, boolean][] = [
      ["1.13.0-rc5", true],
      ["1.13.0", true],
      ["1.13.3", true],
      ["1.14.0-snapshot.2", true],
      ["1.18.5", true],
      ["1.20.0", true],
      ["1.20.7", true],
      ["1.12.9", false],
      ["1.13.0-rc4", false],
      ["1.21.0", false],
      ["1.21.0-pre.0", false],
      ["2.0.0", false],
      ["", false],
      ["latest", false],
      ["1.18", false],
      ["1.18.x", false],
      ["v1.18.5", false],
      [" 1.18.5", false],
      ["v1.18.5; rm -rf /", false],
    ];
    for (const [version, expected] of cases) {
      it(`says ${JSON.stringify(version)} is ${expected ? "" : "not "}supported`, () => {
        assert.equal(isSupportedCiliumVersion(version), expected);
      });
    }
  });

  describe("indexedVersionFor", () => {
    const cases: [string, string][] = [
      ["1.13.0-rc5", "1.13.0-rc5"],
      ["1.13.0", "1.13.18"],
      ["1.13.3", "1.13.18"],
      ["1.13.18", "1.13.18"],
      ["1.14.0-rc.1", "1.14.19"],
      ["1.14.2", "1.14.19"],
      ["1.15.0", "1.15.19"],
      ["1.16.7", "1.16.19"],
      ["1.17.1", "1.17.18"],
      ["1.18.5", "1.18.12"],
      ["1.19.0", "1.19.6"],
      ["1.20.0", "1.20.0"],
      ["1.20.9", "1.20.0"],
    ];
    for (const [version, indexed] of cases) {
      it(`judges ${version} by the ${indexed} chart`, () => {
        assert.equal(indexedVersionFor(version), indexed);
      });
    }

    for (const version of ["1.12.9", "1.21.0", "nonsense"]) {
      it(`throws for the unsupported version ${version}`, () => {
        assert.throws(() => indexedVersionFor(version), /not supported/);
      });
    }
  });

  describe("keyStatus", () => {
    it("reports bpf.monitorAggregation present and a top-level monitorAggregation unknown in every chart", () => {
      for (const v of INDEXED_VERSIONS) {
        assert.equal(keyStatus(v, "bpf.monitorAggregation"), "present", v);
        assert.equal(keyStatus(v, "monitorAggregation"), undefined, v);
      }
    });

    it("reports intermediate maps as present (bpf, ipam.operator)", () => {
      assert.equal(keyStatus("1.13.18", "bpf"), "present");
      assert.equal(keyStatus("1.13.18", "ipam.operator"), "present");
    });

    it("follows tunnel from present (1.13, 1.14) to unknown (1.15+)", () => {
      assert.deepEqual(
        INDEXED_VERSIONS.map((v) => keyStatus(v, "tunnel")),
        ["present", "present", "present", undefined, undefined, undefined, undefined, undefined, undefined],
      );
    });

    it("reports kubeProxyReplacement commented up to 1.17 and present from 1.18", () => {
      assert.deepEqual(
        INDEXED_VERSIONS.map((v) => keyStatus(v, "kubeProxyReplacement")),
        [
          "commented",
          "commented",
          "commented",
          "commented",
          "commented",
          "commented",
          "present",
          "present",
          "present",
        ],
      );
    });

    it("throws for a version that is not indexed, pointing at indexedVersionFor", () => {
      assert.throws(() => keyStatus("1.18.5", "bpf"), /indexedVersionFor/);
    });
  });

  describe("topLevelKeys", () => {
    it("lists present and commented top-level keys, sorted and without dotted paths", () => {
      const keys = topLevelKeys("1.13.18");
      assert.ok(keys.includes("tunnel"));
      assert.ok(keys.includes("kubeProxyReplacement"), "commented keys count");
      assert.ok(keys.includes("devices"), "commented keys count");
      assert.ok(!keys.includes("monitorAggregation"));
      assert.ok(!keys.includes("routingMode"));
      assert.ok(keys.every((k) => !k.includes(".")));
      assert.deepEqual([...keys], [...keys].sort());
    });

    it("lists routingMode but not tunnel from 1.15", () => {
      const keys = topLevelKeys("1.15.19");
      assert.ok(keys.includes("routingMode"));
      assert.ok(!keys.includes("tunnel"));
    });
  });

  describe("suggestKey", () => {
    it("suggests bpf.monitorAggregation for the seed's monitorAggregation in every chart", () => {
      for (const v of INDEXED_VERSIONS)
        assert.equal(suggestKey(v, "monitorAggregation"), "bpf.monitorAggregation", v);
    });

    it("matches the last path segment case-insensitively (masquerade -> bpf.masquerade before deeper paths)", () => {
      assert.equal(suggestKey("1.18.12", "Masquerade"), "bpf.masquerade");
    });

    it("suggests the nearest top-level key within edit distance 2 for a typo", () => {
      assert.equal(suggestKey("1.18.12", "autoDirectNodeRoute"), "autoDirectNodeRoutes");
      assert.equal(suggestKey("1.13.18", "tunel"), "tunnel");
    });

    it("suggests nothing for a key that is far from every key", () => {
      assert.equal(suggestKey("1.18.12", "zzzzzzzzzz"), undefined);
    });

    it("suggests nothing for a key that already exists at the top level", () => {
      assert.equal(suggestKey("1.18.12", "k8sServiceHost"), undefined);
    });
  });
});
