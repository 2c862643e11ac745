import * as assert from "node:assert/strict";
import { stringify } from "yaml";
import { kindKubeProxyDisabled as policy } from "../../policies/rules/kind-kube-proxy-disabled";
import { assertOneViolation, helmRelease, kindCluster, runResourcePolicy, withField } from "./helpers";

const RULE = "kind must start without kube-proxy (Cilium replaces it in eBPF)";

const config = (networking: Record<string, unknown>) =>
  stringify({
    kind: "Cluster",
    apiVersion: "kind.x-k8s.io/v1alpha4",
    networking,
    nodes: [{ role: "control-plane" }],
  });

describe("kind-kube-proxy-disabled", () => {
  for (const image of ["kindest/node:v1.23.4", "kindest/node:v1.33.1@sha256:0123456789abcdef"]) {
    it(`passes the KindCluster the stack declares (${image})`, async () => {
      assert.deepEqual(await runResourcePolicy(policy, kindCluster(image)), []);
    });
  }

  it("ignores other resources", async () => {
    assert.deepEqual(await runResourcePolicy(policy, helmRelease("1.13.0-rc5")), []);
  });

  for (const mode of ["iptables", "ipvs", "nftables"]) {
    it(`reports kubeProxyMode: ${mode} on the component`, async () => {
      assertOneViolation(await runResourcePolicy(policy, withField(kindCluster(), "kubeProxyMode", mode)), {
        rule: RULE,
        found: `found kubeProxyMode=${mode} on the KindCluster`,
        fix: "set kubeProxyMode: none",
      });
    });
  }

  it("reports a kind config without networking.kubeProxyMode (kind then installs kube-proxy)", async () => {
    const cluster = withField(kindCluster(), "kindConfig", config({ disableDefaultCNI: true }));
    assertOneViolation(await runResourcePolicy(policy, cluster), {
      rule: RULE,
      found:
        "found networking.kubeProxyMode unset (kind then installs kube-proxy in iptables mode) in the kind config kind reads",
      fix: "set networking.kubeProxyMode: none there",
    });
    assert.deepEqual(await runResourcePolicy(policy, cluster, { checkKindConfig: false }), []);
  });

  it("reports networking.kubeProxyMode: iptables in the kind config even when the args say none", async () => {
    const cluster = withField(
      kindCluster(),
      "kindConfig",
      config({ disableDefaultCNI: true, kubeProxyMode: "iptables" }),
    );
    assertOneViolation(await runResourcePolicy(policy, cluster), {
      rule: RULE,
      found: "found networking.kubeProxyMode=iptables in the kind config kind reads",
      fix: "set networking.kubeProxyMode: none there",
    });
  });

  it("reports a missing kind config", async () => {
    assertOneViolation(await runResourcePolicy(policy, withField(kindCluster(), "kindConfig", "")), {
      rule: RULE,
      found: "found no kindConfig",
      fix: "pass the kind config YAML with networking.kubeProxyMode: none",
    });
  });
});
