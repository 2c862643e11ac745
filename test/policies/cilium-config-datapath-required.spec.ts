import * as assert from "node:assert/strict";
import { ciliumConfigDatapathRequired as policy } from "../../policies/rules/cilium-config-datapath-required";
import { assertOneViolation, runResourcePolicy } from "./helpers";

const RULE = "The cilium-config the chart renders must configure native routing in eBPF";

/** A ConfigMap input holding the agent settings the policy reads (the keys of cilium-configmap.yaml). */
function configMap(data: Record<string, string>, name = "cilium-config") {
  return {
    type: "kubernetes:core/v1:ConfigMap",
    name: `kube-system/${name}`,
    props: { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "kube-system" }, data },
  };
}

const NATIVE_118 = {
  "routing-mode": "native",
  "kube-proxy-replacement": "true",
  "enable-bpf-masquerade": "true",
  "auto-direct-node-routes": "true",
};
const NATIVE_113 = {
  tunnel: "disabled",
  "kube-proxy-replacement": "strict",
  "enable-bpf-masquerade": "true",
  "auto-direct-node-routes": "true",
};

describe("cilium-config-datapath-required", () => {
  it("passes the lab's datapath as 1.18 and 1.13 charts write it", async () => {
    assert.deepEqual(await runResourcePolicy(policy, configMap(NATIVE_118)), []);
    assert.deepEqual(await runResourcePolicy(policy, configMap(NATIVE_113)), []);
    assert.deepEqual(
      await runResourcePolicy(policy, configMap({ ...NATIVE_118, "enable-host-legacy-routing": "false" })),
      [],
    );
  });

  it("judges only ConfigMaps of the configured names", async () => {
    assert.deepEqual(await runResourcePolicy(policy, configMap({}, "other")), []);
    assert.equal((await runResourcePolicy(policy, configMap({}, "other"), { names: ["other"] })).length, 1);
  });

  it("reports tunnel routing, partial kube-proxy replacement and legacy host routing in one message", async () => {
    const cm = configMap({
      ...NATIVE_118,
      "routing-mode": "tunnel",
      "kube-proxy-replacement": "false",
      "enable-host-legacy-routing": "true",
    });
    assertOneViolation(await runResourcePolicy(policy, cm), {
      rule: RULE,
      found:
        'found routing-mode=tunnel (want native), kube-proxy-replacement="false" (want true (strict before 1.14)), enable-host-legacy-routing="true" (want false or unset) in ConfigMap cilium-config',
      fix: "fix the chart values that render it",
    });
  });

  it("reports a 1.13 ConfigMap left in vxlan, and missing settings as unset", async () => {
    const { tunnel: _tunnel, ...rest } = NATIVE_113;
    void _tunnel;
    const [message] = await runResourcePolicy(policy, configMap({ ...rest, "enable-bpf-masquerade": "" }));
    assert.match(message, /found tunnel unset and no routing-mode \(want tunnel: disabled before 1\.14\)/);
    assert.match(message, /enable-bpf-masquerade=""/);
  });
});
