import * as assert from "node:assert/strict";
import { nativeCidrNodeNetworkDisjoint as policy } from "../../policies/rules/native-cidr-node-network-disjoint";
import {
  FixtureResource,
  TYPE,
  V13,
  V18,
  dockerNetwork,
  helmRelease,
  labStack,
  runStackPolicy,
  urnOf,
  withField,
  withValue,
} from "./helpers";

const RULE = "The native-routing CIDR must not overlap the node network";
const RELEASE_URN = urnOf(TYPE.helmRelease, "cilium-release");

/** The lab stack with some resources replaced (matched by type and name). */
function replace(stack: FixtureResource[], ...changed: FixtureResource[]): FixtureResource[] {
  return stack.map((r) => changed.find((c) => c.type === r.type && c.name === r.name) ?? r);
}

describe("native-cidr-node-network-disjoint", () => {
  for (const version of [V13, V18]) {
    describe(version, () => {
      it("passes the stack as declared (10.0.0.0/8 vs 172.18.0.0/16)", async () => {
        assert.deepEqual(await runStackPolicy(policy, labStack(version)), []);
      });

      it("reports a Docker network subnet inside the native-routing CIDR", async () => {
        const stack = replace(labStack(version), dockerNetwork("10.10.0.0/16"));
        const violations = await runStackPolicy(policy, stack);
        assert.deepEqual(violations, [
          {
            message: `${RULE}: found ipv4NativeRoutingCIDR=10.0.0.0/8 overlapping Docker network kind-cilium-kubeproxy-replacement-ebpf subnet 10.10.0.0/16; move the node network outside 10.0.0.0/8 (lab config nodeNetwork) or narrow the native-routing CIDR (lab config nativeRoutingCidr)`,
            urn: RELEASE_URN,
          },
        ]);
      });

      it("reports a native-routing CIDR that contains the node network", async () => {
        const release = withValue(helmRelease(version), "ipv4NativeRoutingCIDR", "0.0.0.0/0");
        const violations = await runStackPolicy(policy, replace(labStack(version), release));
        // The Docker network (the KindCluster's nodeSubnet is an arg, never visible to a stack policy).
        assert.equal(violations.length, 1);
        for (const v of violations)
          assert.match(v.message, /found ipv4NativeRoutingCIDR=0\.0\.0\.0\/0 overlapping /);
      });
    });
  }

  it("checks the configured extra node networks", async () => {
    const violations = await runStackPolicy(policy, labStack(V18), { extraNodeNetworks: ["10.1.2.0/24"] });
    assert.equal(violations.length, 1);
    assert.match(
      violations[0].message,
      /overlapping extraNodeNetworks entry 10\.1\.2\.0\/24; move the node network/,
    );
  });

  it("reports a node network that is not a CIDR, and skips IPv6 subnets", async () => {
    const net = withField(dockerNetwork(), "ipamConfigs", [
      { subnet: "fd00::/64" },
      { subnet: "172.18.0.0" },
    ]);
    const violations = await runStackPolicy(policy, replace(labStack(V18), net));
    assert.equal(violations.length, 1);
    assert.match(
      violations[0].message,
      /found Docker network .* subnet 172\.18\.0\.0, which is not an IPv4 CIDR; fix it$/,
    );
  });

  it("leaves a release without a valid native-routing CIDR to cilium-direct-node-routes-required", async () => {
    const release = withValue(helmRelease(V18), "ipv4NativeRoutingCIDR", undefined);
    assert.deepEqual(
      await runStackPolicy(policy, replace(labStack(V18), release, dockerNetwork("10.1.0.0/16"))),
      [],
    );
  });

  it("uses the cluster-pool entry as the native-routing CIDR with nativeRoutingCIDRFromClusterPool on 1.20", async () => {
    const release = withValue(
      withValue(helmRelease("1.20.0"), "ipv4NativeRoutingCIDR", undefined),
      "nativeRoutingCIDRFromClusterPool",
      true,
    );
    const violations = await runStackPolicy(policy, [release, dockerNetwork("10.1.0.0/16")]);
    assert.equal(violations.length, 1);
    assert.match(
      violations[0].message,
      /found nativeRoutingCIDRFromClusterPool \(ipam\.operator\.clusterPoolIPv4PodCIDRList\)=10\.0\.0\.0\/8 overlapping Docker network/,
    );
  });
});
