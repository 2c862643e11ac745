import * as assert from "node:assert/strict";
import { ciliumKubeProxyReplacementRequired as policy } from "../../policies/rules/cilium-kube-proxy-replacement-required";
import {
  V13,
  V18,
  assertOneViolation,
  helmRelease,
  runResourcePolicy,
  withField,
  withValue,
} from "./helpers";

const RULE = "Cilium must replace kube-proxy";
const FIX_TRUE = "set kubeProxyReplacement: true (the stack writes it from lab config; remove the override)";

describe("cilium-kube-proxy-replacement-required", () => {
  it("passes the values the stack writes for 1.13.0-rc5 (strict) and 1.18.12 (true)", async () => {
    assert.deepEqual(await runResourcePolicy(policy, helmRelease(V13)), []);
    assert.deepEqual(await runResourcePolicy(policy, helmRelease(V18)), []);
  });

  it('accepts the string "true" from 1.14 (the template passes the value through toString)', async () => {
    assert.deepEqual(
      await runResourcePolicy(policy, withValue(helmRelease(V18), "kubeProxyReplacement", "true")),
      [],
    );
  });

  describe("1.13.0-rc5", () => {
    it("reports partial", async () => {
      assertOneViolation(
        await runResourcePolicy(policy, withValue(helmRelease(V13), "kubeProxyReplacement", "partial")),
        {
          rule: RULE,
          found: "found kubeProxyReplacement=partial on chart 1.13.0-rc5",
          fix: "set kubeProxyReplacement: strict",
        },
      );
    });

    it("reports an unset value (the chart default is disabled)", async () => {
      assertOneViolation(
        await runResourcePolicy(policy, withValue(helmRelease(V13), "kubeProxyReplacement", undefined)),
        {
          rule: RULE,
          found: "found kubeProxyReplacement unset (the chart default is disabled)",
          fix: "set kubeProxyReplacement: strict",
        },
      );
    });

    it("reports true, which 1.13 charts do not know", async () => {
      assertOneViolation(
        await runResourcePolicy(policy, withValue(helmRelease(V13), "kubeProxyReplacement", true)),
        {
          rule: RULE,
          found:
            "found kubeProxyReplacement=true (charts before 1.14 know only disabled/partial/strict/probe)",
          fix: "set kubeProxyReplacement: strict",
        },
      );
    });
  });

  describe("1.18.12", () => {
    it("reports false", async () => {
      assertOneViolation(
        await runResourcePolicy(policy, withValue(helmRelease(V18), "kubeProxyReplacement", false)),
        {
          rule: RULE,
          found: "found kubeProxyReplacement=false on chart 1.18.12",
          fix: FIX_TRUE,
        },
      );
    });

    it("reports an unset value (the chart default is false)", async () => {
      assertOneViolation(
        await runResourcePolicy(policy, withValue(helmRelease(V18), "kubeProxyReplacement", undefined)),
        {
          rule: RULE,
          found: "found kubeProxyReplacement unset (the chart default is false)",
          fix: FIX_TRUE,
        },
      );
    });

    it("reports strict, which the chart refuses from 1.16", async () => {
      assertOneViolation(
        await runResourcePolicy(policy, withValue(helmRelease(V18), "kubeProxyReplacement", "strict")),
        {
          rule: RULE,
          found:
            "found kubeProxyReplacement=strict on chart 1.18.12, which accepts only true or false from 1.16",
          fix: FIX_TRUE,
        },
      );
    });
  });

  describe("1.14.19 and 1.15.19", () => {
    for (const version of ["1.14.19", "1.15.19"]) {
      it(`reports the deprecated strict on ${version} unless accepted by config`, async () => {
        const release = withValue(helmRelease(version), "kubeProxyReplacement", "strict");
        assertOneViolation(await runResourcePolicy(policy, release), {
          rule: `${RULE} with kubeProxyReplacement=true`,
          found: `found kubeProxyReplacement=strict on chart ${version}, which is deprecated since 1.14 and does not enable everything true does`,
          fix: FIX_TRUE,
        });
        assert.deepEqual(await runResourcePolicy(policy, release, { acceptDeprecatedStrict: true }), []);
      });
    }
  });

  it("reports a chart version the pack cannot judge", async () => {
    assertOneViolation(await runResourcePolicy(policy, withField(helmRelease(V18), "version", "1.21.0")), {
      rule: RULE,
      found: "found chart version 1.21.0",
      fix: "pin a chart version in that range",
    });
  });
});
