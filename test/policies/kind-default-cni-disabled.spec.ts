import * as assert from "node:assert/strict";
import { stringify } from "yaml";
import { kindDefaultCniDisabled as policy } from "../../policies/rules/kind-default-cni-disabled";
import { assertOneViolation, helmRelease, kindCluster, runResourcePolicy, withField } from "./helpers";

const RULE = "kind must start without its default CNI so that Cilium is the only CNI";

const config = (networking: Record<string, unknown>) =>
  stringify({
    kind: "Cluster",
    apiVersion: "kind.x-k8s.io/v1alpha4",
    networking,
    nodes: [{ role: "control-plane" }],
  });

describe("kind-default-cni-disabled", () => {
  for (const image of ["kindest/node:v1.23.4", "kindest/node:v1.33.1@sha256:0123456789abcdef"]) {
    it(`passes the KindCluster the stack declares (${image})`, async () => {
      assert.deepEqual(await runResourcePolicy(policy, kindCluster(image)), []);
    });
  }

  it("ignores other resources", async () => {
    assert.deepEqual(await runResourcePolicy(policy, helmRelease("1.18.12")), []);
  });

  it("reports disableDefaultCNI: false on the component", async () => {
    assertOneViolation(
      await runResourcePolicy(policy, withField(kindCluster(), "disableDefaultCNI", false)),
      {
        rule: RULE,
        found: "found disableDefaultCNI=false on the KindCluster",
        fix: "set disableDefaultCNI: true",
      },
    );
  });

  it("reports a kind config without networking.disableDefaultCNI", async () => {
    const cluster = withField(kindCluster(), "kindConfig", config({ kubeProxyMode: "none" }));
    assertOneViolation(await runResourcePolicy(policy, cluster), {
      rule: RULE,
      found:
        "found networking.disableDefaultCNI unset (kind then installs kindnet) in the kind config kind reads",
      fix: "set networking.disableDefaultCNI: true there",
    });
    assert.deepEqual(await runResourcePolicy(policy, cluster, { checkKindConfig: false }), []);
  });

  it("reports networking.disableDefaultCNI: false in the kind config", async () => {
    const cluster = withField(
      kindCluster(),
      "kindConfig",
      config({ disableDefaultCNI: false, kubeProxyMode: "none" }),
    );
    assertOneViolation(await runResourcePolicy(policy, cluster), {
      rule: RULE,
      found: "found networking.disableDefaultCNI=false in the kind config kind reads",
      fix: "set networking.disableDefaultCNI: true there",
    });
  });

  it("reports a missing or unparsable kind config", async () => {
    assertOneViolation(await runResourcePolicy(policy, withField(kindCluster(), "kindConfig", undefined)), {
      rule: RULE,
      found: "found no kindConfig (the YAML given to kind)",
      fix: "pass the kind config YAML with networking.disableDefaultCNI: true",
    });
    assertOneViolation(
      await runResourcePolicy(policy, withField(kindCluster(), "kindConfig", "networking: [")),
      {
        rule: RULE,
        found: "found a kindConfig that is not valid YAML",
        fix: "pass the kind config YAML",
      },
    );
  });
});
