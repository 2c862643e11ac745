import * as assert from "node:assert/strict";
import { flattenValuePaths } from "../../lib/valuePaths";
import { ciliumUnknownValuesReported as policy } from "../../policies/rules/cilium-unknown-values-reported";
import { V13, V18, assertOneViolation, helmRelease, runResourcePolicy, withValue } from "./helpers";

const RULE = "Cilium Helm values must use keys the chart knows (Helm ignores the others silently)";

describe("cilium-unknown-values-reported", () => {
  it("is advisory", () => {
    assert.equal(policy.enforcementLevel, "advisory");
  });

  it("passes the values the stack writes for 1.13.0-rc5 and 1.18.12", async () => {
    assert.deepEqual(await runResourcePolicy(policy, helmRelease(V13)), []);
    assert.deepEqual(await runResourcePolicy(policy, helmRelease(V18)), []);
  });

  it("accepts keys that are only commented out in values.yaml (kubeProxyReplacement before 1.18.3)", async () => {
    const values = helmRelease("1.15.19");
    assert.ok(
      flattenValuePaths((values.props as { values: Record<string, unknown> }).values).includes(
        "kubeProxyReplacement",
      ),
    );
    assert.deepEqual(await runResourcePolicy(policy, values), []);
  });

  it("does not report free-form maps below known keys", async () => {
    const release = withValue(helmRelease(V18), ["podAnnotations", "example.com/team"], "network");
    assert.deepEqual(await runResourcePolicy(policy, release), []);
  });

  for (const version of [V13, V18]) {
    describe(version, () => {
      it("reports the seed's top-level monitorAggregation with the real key", async () => {
        assertOneViolation(
          await runResourcePolicy(policy, withValue(helmRelease(version), "monitorAggregation", "none")),
          {
            rule: RULE,
            found: `found monitorAggregation=none, not a key of the Cilium ${version} chart`,
            fix: "did you mean bpf.monitorAggregation? Move the value there",
          },
        );
      });

      it("reports a typo with the nearest key", async () => {
        assertOneViolation(
          await runResourcePolicy(policy, withValue(helmRelease(version), "autoDirectNodeRoute", true)),
          { rule: RULE, found: "found autoDirectNodeRoute=true", fix: "did you mean autoDirectNodeRoutes?" },
        );
      });

      it("reports a key nothing resembles", async () => {
        assertOneViolation(
          await runResourcePolicy(policy, withValue(helmRelease(version), "zzzUnknown", 1)),
          {
            rule: RULE,
            found: "found zzzUnknown=1",
            fix: "remove it or correct its spelling",
          },
        );
      });

      it("leaves keys listed in ignoreKeys alone", async () => {
        const release = withValue(helmRelease(version), "zzzUnknown", 1);
        assert.deepEqual(await runResourcePolicy(policy, release, { ignoreKeys: ["zzzUnknown"] }), []);
      });
    });
  }

  it("reports tunnel on 1.18 as a removed key, with what replaces it", async () => {
    assertOneViolation(await runResourcePolicy(policy, withValue(helmRelease(V18), "tunnel", "disabled")), {
      rule: RULE,
      found:
        "found tunnel=disabled, a key the Cilium 1.18.12 chart no longer has (last in 1.14.19); charts from 1.15 refuse to render it",
      fix: "use routingMode: native (tunnelProtocol for tunnels) instead",
    });
  });

  it("reports the removed nested clusterPoolIPv4PodCIDR on 1.18", async () => {
    const release = withValue(helmRelease(V18), "ipam.operator.clusterPoolIPv4PodCIDR", "10.0.0.0/8");
    assertOneViolation(await runResourcePolicy(policy, release), {
      rule: RULE,
      found:
        "found ipam.operator.clusterPoolIPv4PodCIDR=10.0.0.0/8, a key the Cilium 1.18.12 chart no longer has (last in 1.13.18)",
      fix: "use ipam.operator.clusterPoolIPv4PodCIDRList: [<cidr>] instead",
    });
    assert.deepEqual(await runResourcePolicy(policy, release, { reportRemovedKeys: false }), []);
  });

  it("reports routingMode on 1.13 as a key that arrives later", async () => {
    assertOneViolation(
      await runResourcePolicy(policy, withValue(helmRelease(V13), "routingMode", "native")),
      {
        rule: RULE,
        found: "found routingMode=native, a key that arrives in chart 1.14.19, after 1.13.0-rc5",
        fix: "remove it or pin a chart version that has it",
      },
    );
  });
});
