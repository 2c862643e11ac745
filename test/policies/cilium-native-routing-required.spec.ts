import * as assert from "node:assert/strict";
import { ciliumNativeRoutingRequired as policy } from "../../policies/rules/cilium-native-routing-required";
import {
  V13,
  V18,
  assertOneViolation,
  helmRelease,
  runResourcePolicy,
  withField,
  withValue,
} from "./helpers";

const RULE = "Cilium must route natively";

describe("cilium-native-routing-required", () => {
  it("passes the values the stack writes for 1.13.0-rc5 and 1.18.12", async () => {
    assert.deepEqual(await runResourcePolicy(policy, helmRelease(V13)), []);
    assert.deepEqual(await runResourcePolicy(policy, helmRelease(V18)), []);
  });

  it("ignores other charts and other resources", async () => {
    assert.deepEqual(
      await runResourcePolicy(policy, withField(helmRelease(V18), "chart", "ingress-nginx")),
      [],
    );
    const other = {
      type: "kubernetes:core/v1:Service",
      name: "svc",
      props: { values: { routingMode: "tunnel" } },
    };
    assert.deepEqual(await runResourcePolicy(policy, other), []);
  });

  describe("1.13.0-rc5 (tunnel)", () => {
    it("reports tunnel=vxlan", async () => {
      assertOneViolation(await runResourcePolicy(policy, withValue(helmRelease(V13), "tunnel", "vxlan")), {
        rule: RULE,
        found: "found tunnel=vxlan on chart 1.13.0-rc5",
        fix: "set tunnel: disabled",
      });
    });

    it("reports an unset tunnel (the chart default is vxlan)", async () => {
      assertOneViolation(await runResourcePolicy(policy, withValue(helmRelease(V13), "tunnel", undefined)), {
        rule: RULE,
        found: "found tunnel unset (the chart default is vxlan)",
        fix: "set tunnel: disabled (charts before 1.14 have no routingMode",
      });
    });

    it("reports routingMode: native in place of tunnel, a key 1.13 does not have", async () => {
      const release = withValue(withValue(helmRelease(V13), "tunnel", undefined), "routingMode", "native");
      assertOneViolation(await runResourcePolicy(policy, release), {
        rule: RULE,
        found: "found tunnel unset",
        fix: "set tunnel: disabled",
      });
    });
  });

  describe("1.18.12 (routingMode)", () => {
    it("reports routingMode=tunnel", async () => {
      assertOneViolation(
        await runResourcePolicy(policy, withValue(helmRelease(V18), "routingMode", "tunnel")),
        {
          rule: RULE,
          found: "found routingMode=tunnel",
          fix: "set routingMode: native (the stack writes it from lab config; remove the override)",
        },
      );
    });

    it("reports an unset routingMode (the chart default is tunnel)", async () => {
      assertOneViolation(
        await runResourcePolicy(policy, withValue(helmRelease(V18), "routingMode", undefined)),
        {
          rule: RULE,
          found: "found routingMode unset (the chart default is tunnel)",
          fix: "set routingMode: native",
        },
      );
    });

    it("reports tunnel, which the chart refuses to render from 1.15", async () => {
      assertOneViolation(await runResourcePolicy(policy, withValue(helmRelease(V18), "tunnel", "disabled")), {
        rule: RULE,
        found: "found tunnel=disabled, a key the Cilium 1.18.12 chart refuses to render",
        fix: "remove tunnel",
      });
    });
  });

  describe("1.14.19 (tunnel deprecated)", () => {
    it("reports the deprecated tunnel next to routingMode: native unless allowed", async () => {
      const release = withValue(helmRelease("1.14.19"), "tunnel", "disabled");
      assertOneViolation(await runResourcePolicy(policy, release), {
        rule: RULE,
        found: "found the deprecated tunnel=disabled next to routingMode=native on chart 1.14.19",
        fix: "remove tunnel",
      });
      assert.deepEqual(await runResourcePolicy(policy, release, { allowDeprecatedTunnelKey: true }), []);
    });

    it("reports tunnel: disabled without routingMode as one violation", async () => {
      const release = withValue(
        withValue(helmRelease("1.14.19"), "routingMode", undefined),
        "tunnel",
        "disabled",
      );
      assertOneViolation(await runResourcePolicy(policy, release), {
        rule: RULE,
        found: "found routingMode unset and the deprecated tunnel=disabled",
        fix: "set routingMode: native and remove tunnel",
      });
    });
  });

  it("reports a chart version the pack cannot judge, naming the supported ones", async () => {
    assertOneViolation(await runResourcePolicy(policy, withField(helmRelease(V18), "version", "1.12.9")), {
      rule: `${RULE}, and this pack judges only Cilium charts >=1.13.0-rc5 <1.21.0-0 (indexed: 1.13.0-rc5, 1.13.18,`,
      found: "found chart version 1.12.9",
      fix: "pin a chart version in that range (cilium-ebpf-lab:ciliumVersion)",
    });
  });

  it("reports a release without a chart version", async () => {
    assertOneViolation(await runResourcePolicy(policy, withField(helmRelease(V18), "version", undefined)), {
      rule: RULE,
      found: "found no chart version",
      fix: "pin a chart version",
    });
  });
});
