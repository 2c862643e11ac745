import * as assert from "node:assert/strict";
import { ciliumHostLegacyRoutingDisallowed as policy } from "../../policies/rules/cilium-host-legacy-routing-disallowed";
import { V13, V18, assertOneViolation, helmRelease, runResourcePolicy, withValue } from "./helpers";

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
});
