import * as assert from "node:assert/strict";
import { ciliumK8sServiceHostRequired as policy } from "../../policies/rules/cilium-k8s-service-host-required";
import { V13, V18, assertOneViolation, helmRelease, runResourcePolicy, withValue } from "./helpers";

const RULE = "Without kube-proxy, Cilium must be given the API server address";
const FIX = "set k8sServiceHost to the control-plane address and k8sServicePort: 6443";

describe("cilium-k8s-service-host-required", () => {
  it("passes the values the stack writes for 1.13.0-rc5 and 1.18.12", async () => {
    assert.deepEqual(await runResourcePolicy(policy, helmRelease(V13)), []);
    assert.deepEqual(await runResourcePolicy(policy, helmRelease(V18)), []);
  });

  it('accepts a port given as a string ("6443")', async () => {
    assert.deepEqual(
      await runResourcePolicy(policy, withValue(helmRelease(V18), "k8sServicePort", "6443")),
      [],
    );
  });

  for (const version of [V13, V18]) {
    describe(version, () => {
      it("reports an unset k8sServiceHost", async () => {
        assertOneViolation(
          await runResourcePolicy(policy, withValue(helmRelease(version), "k8sServiceHost", undefined)),
          {
            rule: `${RULE} (nothing serves the kubernetes ClusterIP before Cilium runs)`,
            found: "found k8sServiceHost unset",
            fix: FIX,
          },
        );
      });

      it("reports an empty k8sServiceHost", async () => {
        assertOneViolation(
          await runResourcePolicy(policy, withValue(helmRelease(version), "k8sServiceHost", "")),
          {
            rule: RULE,
            found: 'found k8sServiceHost=""',
            fix: FIX,
          },
        );
      });

      it("reports an unset k8sServicePort", async () => {
        assertOneViolation(
          await runResourcePolicy(policy, withValue(helmRelease(version), "k8sServicePort", undefined)),
          {
            rule: `${RULE} and port`,
            found: "found k8sServicePort unset",
            fix: "set k8sServicePort: 6443",
          },
        );
      });

      it("reports a URL in k8sServiceHost", async () => {
        const release = withValue(helmRelease(version), "k8sServiceHost", "https://172.18.0.2:6443");
        assertOneViolation(await runResourcePolicy(policy, release), {
          rule: `${RULE} as a host name or IP`,
          found: "found k8sServiceHost=https://172.18.0.2:6443",
          fix: "drop the scheme, path and port",
        });
      });
    });
  }

  it("reports auto before 1.16, where the chart passes the literal string", async () => {
    assertOneViolation(
      await runResourcePolicy(policy, withValue(helmRelease(V13), "k8sServiceHost", "auto")),
      {
        rule: RULE,
        found: "found k8sServiceHost=auto on chart 1.13.0-rc5, which passes the literal string to the agent",
        fix: "set k8sServiceHost to the control-plane address",
      },
    );
  });

  it("accepts auto from 1.16 (without a port), unless the config refuses it", async () => {
    const release = withValue(
      withValue(helmRelease(V18), "k8sServiceHost", "auto"),
      "k8sServicePort",
      undefined,
    );
    assert.deepEqual(await runResourcePolicy(policy, release), []);
    assertOneViolation(await runResourcePolicy(policy, release, { allowAuto: false }), {
      rule: `${RULE} explicitly`,
      found: "found k8sServiceHost=auto",
      fix: "set k8sServiceHost to the control-plane address",
    });
  });

  it("accepts k8sServiceHostRef in place of k8sServiceHost from 1.18", async () => {
    const release = withValue(withValue(helmRelease(V18), "k8sServiceHost", undefined), "k8sServiceHostRef", {
      name: "api",
      key: "host",
    });
    assert.deepEqual(await runResourcePolicy(policy, release), []);
  });

  it("reports k8sServiceHostRef before 1.18, which those charts do not know", async () => {
    const release = withValue(
      withValue(helmRelease("1.17.18"), "k8sServiceHost", undefined),
      "k8sServiceHostRef",
      { name: "api", key: "host" },
    );
    assertOneViolation(await runResourcePolicy(policy, release), {
      rule: RULE,
      found:
        "found k8sServiceHost unset and k8sServiceHostRef, which charts before 1.18 do not know (chart 1.17.18)",
      fix: FIX,
    });
  });

  it("reports k8sServiceHost and k8sServiceHostRef together, which the chart refuses", async () => {
    const release = withValue(helmRelease(V18), "k8sServiceHostRef", { name: "api", key: "host" });
    assertOneViolation(await runResourcePolicy(policy, release), {
      rule: `${RULE} once`,
      found: 'found both k8sServiceHost=172.18.0.2 and k8sServiceHostRef={"name":"api","key":"host"}',
      fix: "keep one of them",
    });
  });
});
