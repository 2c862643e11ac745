import * as assert from "node:assert/strict";
import { kubeProxyDisallowed as policy } from "../../policies/rules/kube-proxy-disallowed";
import { FixtureResource, TYPE, V13, V18, labStack, runPolicyOver, urnOf, withField } from "./helpers";

const RULE = "The lab runs without kube-proxy (Cilium replaces it in eBPF)";
const FIX = "remove it (kind is created with kubeProxyMode: none and Cilium serves every Service)";

function kubeProxyDaemonSet(): FixtureResource {
  return {
    type: TYPE.daemonSet,
    name: "kube-proxy",
    props: {
      metadata: { name: "kube-proxy", namespace: "kube-system", labels: { "k8s-app": "kube-proxy" } },
      spec: { template: { metadata: { labels: { "k8s-app": "kube-proxy" } }, spec: { containers: [] } } },
    },
  };
}

function assertOne(violations: { message: string; urn?: string }[], found: string, urn: string): void {
  assert.equal(violations.length, 1, violations.map((v) => v.message).join("\n"));
  const [{ message }] = violations;
  assert.ok(message.startsWith(`${RULE}: `), message);
  assert.ok(message.includes(found), message);
  assert.ok(message.endsWith(FIX), message);
  assert.equal(violations[0].urn, urn);
}

describe("kube-proxy-disallowed", () => {
  for (const version of [V13, V18]) {
    it(`passes the stack as declared (Cilium ${version})`, async () => {
      assert.deepEqual(await runPolicyOver(policy, labStack(version)), []);
    });
  }

  it("reports a kube-proxy DaemonSet by name and label", async () => {
    const ds = kubeProxyDaemonSet();
    assertOne(
      await runPolicyOver(policy, [...labStack(V18), ds]),
      "found DaemonSet kube-system/kube-proxy (name kube-proxy, label k8s-app=kube-proxy)",
      urnOf(ds.type, ds.name),
    );
  });

  it("reports a DaemonSet whose pod template alone carries k8s-app=kube-proxy, in any namespace", async () => {
    const ds = withField(kubeProxyDaemonSet(), "metadata", { name: "proxy", namespace: "default" });
    const renamed = { ...ds, type: "kubernetes:extensions/v1beta1:DaemonSet" };
    assertOne(
      await runPolicyOver(policy, [...labStack(V13), renamed]),
      "found DaemonSet default/proxy (label k8s-app=kube-proxy)",
      urnOf(renamed.type, renamed.name),
    );
  });

  it("reports the kube-proxy ConfigMap", async () => {
    const cm: FixtureResource = {
      type: TYPE.configMap,
      name: "kp-config",
      props: { metadata: { name: "kube-proxy", namespace: "kube-system" }, data: { "config.conf": "" } },
    };
    assertOne(
      await runPolicyOver(policy, [...labStack(V18), cm]),
      "found ConfigMap kube-system/kube-proxy (name kube-proxy)",
      urnOf(cm.type, cm.name),
    );
  });

  it("uses the configured names and labels", async () => {
    const ds = withField(kubeProxyDaemonSet(), "metadata", { name: "my-proxy", namespace: "kube-system" });
    const plain = withField(ds, "spec.template.metadata.labels", { app: "my-proxy" });
    assert.deepEqual(await runPolicyOver(policy, [plain]), []);
    assertOne(
      await runPolicyOver(policy, [plain], { names: ["my-proxy"], labels: {} }),
      "found DaemonSet kube-system/my-proxy (name my-proxy)",
      urnOf(plain.type, plain.name),
    );
  });

  it("ignores other kinds named kube-proxy (a ServiceAccount)", async () => {
    const sa: FixtureResource = {
      type: "kubernetes:core/v1:ServiceAccount",
      name: "sa",
      props: { metadata: { name: "kube-proxy", namespace: "kube-system" } },
    };
    assert.deepEqual(await runPolicyOver(policy, [...labStack(V18), sa]), []);
  });
});
