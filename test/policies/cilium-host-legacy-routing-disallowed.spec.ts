import * as assert from "node:assert/strict";
import { ciliumHostLegacyRoutingDisallowed as policy } from "../../policies/rules/cilium-host-legacy-routing-disallowed";
import {
  V13,
  V18,
  assertOneViolation,
  helmRelease,
  runResourcePolicy,
  withField,
  withValue,
} from "./helpers";

const RULE = "Cilium must route host traffic in eBPF (BPF host routing)";

describe("cilium-host-legacy-routing-disallowed", () => {
  it("passes the values the stack writes for 1.13.0-rc5 and 1.18.12", async () => {
    assert.deepEqual(await runResourcePolicy(policy, helmRelease(V13)), []);
    assert.deepEqual(await runResourcePolicy(policy, helmRelease(V18)), []);
  });

  it("accepts bpf.hostLegacyRouting: false and cni.chainingMode: none", async () => {
    assert.deepEqual(
      await runResourcePolicy(policy, withValue(helmRelease(V18), "bpf.hostLegacyRouting", false)),
      [],
    );
    assert.deepEqual(
      await runResourcePolicy(policy, withValue(helmRelease(V18), "cni.chainingMode", "none")),
      [],
    );
  });

  for (const version of [V13, V18]) {
    describe(version, () => {
      it("reports bpf.hostLegacyRouting: true", async () => {
        assertOneViolation(
          await runResourcePolicy(policy, withValue(helmRelease(version), "bpf.hostLegacyRouting", true)),
          {
            rule: RULE,
            found: "found bpf.hostLegacyRouting=true, which sends host traffic through the kernel stack",
            fix: "remove bpf.hostLegacyRouting or set it to false",
          },
        );
      });

      it("reports CNI chaining, which makes the chart force legacy host routing", async () => {
        const release = withValue(helmRelease(version), "cni.chainingMode", "generic-veth");
        assertOneViolation(await runResourcePolicy(policy, release), {
          rule: RULE,
          found:
            "found cni.chainingMode=generic-veth, with which the chart forces enable-host-legacy-routing=true",
          fix: "remove cni.chainingMode",
        });
        assert.deepEqual(await runResourcePolicy(policy, release, { checkCniChaining: false }), []);
        // An explicit bpf.hostLegacyRouting: false wins over the chaining default.
        assert.deepEqual(
          await runResourcePolicy(policy, withValue(release, "bpf.hostLegacyRouting", false)),
          [],
        );
      });
    });
  }

  describe("a declared variant (datapathVariant legacy-host-routing, the A/B's second lab)", () => {
    const declared = (version: string) =>
      withField(
        withValue(helmRelease(version), "bpf.hostLegacyRouting", true),
        "description",
        "lab/datapath-variant=legacy-host-routing",
      );

    for (const version of [V13, V18]) {
      it(`accepts bpf.hostLegacyRouting: true on a release declaring the variant (${version})`, async () => {
        assert.deepEqual(await runResourcePolicy(policy, declared(version)), []);
      });
    }

    it("still reports legacy host routing that is not declared, or declared as something else", async () => {
      for (const description of [
        undefined,
        "",
        "lab/datapath-variant=bpf",
        "lab/datapath-variant=tunnel",
        "legacy",
      ]) {
        const release = withField(
          withValue(helmRelease(V18), "bpf.hostLegacyRouting", true),
          "description",
          description,
        );
        assertOneViolation(await runResourcePolicy(policy, release), {
          rule: RULE,
          found: "found bpf.hostLegacyRouting=true",
          fix: "remove bpf.hostLegacyRouting or set it to false",
        });
      }
    });

    it("still reports CNI chaining on a release declaring the variant", async () => {
      const release = withValue(
        withField(helmRelease(V18), "description", "lab/datapath-variant=legacy-host-routing"),
        "cni.chainingMode",
        "generic-veth",
      );
      assert.equal((await runResourcePolicy(policy, release)).length, 1);
    });
  });
});
