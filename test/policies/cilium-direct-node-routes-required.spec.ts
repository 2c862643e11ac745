import * as assert from "node:assert/strict";
import { ciliumDirectNodeRoutesRequired as policy } from "../../policies/rules/cilium-direct-node-routes-required";
import { V13, V18, assertOneViolation, helmRelease, runResourcePolicy, withValue } from "./helpers";

const RULE = "Cilium must route pod CIDRs directly between nodes";
const LIST = "ipam.operator.clusterPoolIPv4PodCIDRList";
const LEGACY = "ipam.operator.clusterPoolIPv4PodCIDR";

describe("cilium-direct-node-routes-required", () => {
  it("passes the values the stack writes for 1.13.0-rc5 and 1.18.12", async () => {
    assert.deepEqual(await runResourcePolicy(policy, helmRelease(V13)), []);
    assert.deepEqual(await runResourcePolicy(policy, helmRelease(V18)), []);
  });

  for (const version of [V13, V18]) {
    describe(version, () => {
      it("reports autoDirectNodeRoutes: false", async () => {
        assertOneViolation(
          await runResourcePolicy(policy, withValue(helmRelease(version), "autoDirectNodeRoutes", false)),
          {
            rule: RULE,
            found: "found autoDirectNodeRoutes=false",
            fix: "set autoDirectNodeRoutes: true (the stack writes it from lab config; remove the override)",
          },
        );
      });

      it("reports an unset autoDirectNodeRoutes (the chart default is false)", async () => {
        assertOneViolation(
          await runResourcePolicy(policy, withValue(helmRelease(version), "autoDirectNodeRoutes", undefined)),
          {
            rule: RULE,
            found: "found autoDirectNodeRoutes unset (the chart default is false)",
            fix: "set autoDirectNodeRoutes: true",
          },
        );
      });

      it("reports an unset ipv4NativeRoutingCIDR", async () => {
        assertOneViolation(
          await runResourcePolicy(
            policy,
            withValue(helmRelease(version), "ipv4NativeRoutingCIDR", undefined),
          ),
          {
            rule: `${RULE} within ipv4NativeRoutingCIDR`,
            found: "found ipv4NativeRoutingCIDR unset",
            fix: "set ipv4NativeRoutingCIDR to a CIDR that contains every pod CIDR, e.g. 10.0.0.0/8",
          },
        );
      });

      it("reports an ipv4NativeRoutingCIDR that is not a CIDR", async () => {
        assertOneViolation(
          await runResourcePolicy(
            policy,
            withValue(helmRelease(version), "ipv4NativeRoutingCIDR", "10.0.0.0"),
          ),
          {
            rule: `${RULE} within ipv4NativeRoutingCIDR`,
            found: "found ipv4NativeRoutingCIDR=10.0.0.0, which is not an IPv4 CIDR",
            fix: "set it to one such as 10.0.0.0/8",
          },
        );
      });

      it("reports a native-routing CIDR narrower than the pod CIDR", async () => {
        const key = version === V13 ? LEGACY : LIST;
        assertOneViolation(
          await runResourcePolicy(
            policy,
            withValue(helmRelease(version), "ipv4NativeRoutingCIDR", "10.0.0.0/16"),
          ),
          {
            rule: `${RULE}, so every pod CIDR must lie inside the native-routing CIDR`,
            found: `found pod CIDR 10.0.0.0/8 (${key}) outside ipv4NativeRoutingCIDR=10.0.0.0/16`,
            fix: `widen ipv4NativeRoutingCIDR or narrow ${key}`,
          },
        );
      });
    });
  }

  it("judges 1.13 by clusterPoolIPv4PodCIDR, and by the list when the list is set", async () => {
    const outside = withValue(helmRelease(V13), LEGACY, "192.168.0.0/16");
    assertOneViolation(await runResourcePolicy(policy, outside), {
      rule: RULE,
      found: `found pod CIDR 192.168.0.0/16 (${LEGACY}) outside ipv4NativeRoutingCIDR=10.0.0.0/8`,
      fix: "widen ipv4NativeRoutingCIDR",
    });
    const listWins = withValue(outside, LIST, ["10.1.0.0/16"]);
    assert.deepEqual(await runResourcePolicy(policy, listWins), []);
  });

  it("takes the chart default 10.0.0.0/8 when 1.18 sets no pod CIDR list", async () => {
    const release = withValue(
      withValue(helmRelease(V18), LIST, undefined),
      "ipv4NativeRoutingCIDR",
      "10.0.0.0/9",
    );
    assertOneViolation(await runResourcePolicy(policy, release), {
      rule: RULE,
      found: `found pod CIDR 10.0.0.0/8 (${LIST} unset, chart default) outside ipv4NativeRoutingCIDR=10.0.0.0/9`,
      fix: "widen ipv4NativeRoutingCIDR",
    });
  });

  it("ignores the removed clusterPoolIPv4PodCIDR on 1.18 (the chart reads only the list)", async () => {
    const release = withValue(helmRelease(V18), LEGACY, "192.168.0.0/16");
    assert.deepEqual(await runResourcePolicy(policy, release), []);
  });

  it("reports every pod CIDR of the list outside the native-routing CIDR", async () => {
    const release = withValue(helmRelease(V18), LIST, ["10.1.0.0/16", "172.20.0.0/16"]);
    assertOneViolation(await runResourcePolicy(policy, release), {
      rule: RULE,
      found: `found pod CIDR 172.20.0.0/16 (${LIST}) outside ipv4NativeRoutingCIDR=10.0.0.0/8`,
      fix: "widen ipv4NativeRoutingCIDR",
    });
  });

  it("skips the pod CIDRs when IPAM is not cluster-pool, or when configured off", async () => {
    const narrow = withValue(helmRelease(V18), "ipv4NativeRoutingCIDR", "10.0.0.0/16");
    assert.deepEqual(await runResourcePolicy(policy, withValue(narrow, "ipam.mode", "kubernetes")), []);
    assert.deepEqual(await runResourcePolicy(policy, narrow, { checkPodCidrs: false }), []);
  });

  it("takes the native-routing CIDR from the single cluster-pool entry with nativeRoutingCIDRFromClusterPool on 1.20", async () => {
    const release = withValue(
      withValue(helmRelease("1.20.0"), "ipv4NativeRoutingCIDR", undefined),
      "nativeRoutingCIDRFromClusterPool",
      true,
    );
    assert.deepEqual(await runResourcePolicy(policy, release), []);
    // 1.18 has no such key: the CIDR is still missing there.
    const older = withValue(
      withValue(helmRelease(V18), "ipv4NativeRoutingCIDR", undefined),
      "nativeRoutingCIDRFromClusterPool",
      true,
    );
    assert.equal((await runResourcePolicy(policy, older)).length, 1);
  });
});
