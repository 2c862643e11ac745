import { strict as assert } from "assert";
import { parseIptablesSave } from "../../../checks/parse";

describe("parseIptablesSave", () => {
  it("does not count kubelet's KUBE-FIREWALL and KUBE-MARK chains as kube-proxy", () => {
    const raw = [
      "*filter",
      ":INPUT ACCEPT [0:0]",
      ":KUBE-FIREWALL - [0:0]",
      ":KUBE-KUBELET-CANARY - [0:0]",
      "-A INPUT -j KUBE-FIREWALL",
      "COMMIT",
      "*nat",
      ":KUBE-MARK-MASQ - [0:0]",
      "-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000",
      "COMMIT",
    ].join("\n");
    const result = parseIptablesSave(raw);
    assert.equal(result.hasKubeProxyRules, false);
    assert.deepEqual(result.issues, []);
  });

  it("finds kube-proxy by a jump to KUBE-SVC even without the chain declared", () => {
    const result = parseIptablesSave("-A PREROUTING -j KUBE-SVC-ABCDEFGHIJKLMNOP\n");
    assert.equal(result.hasKubeProxyRules, true);
  });

  it("takes node ports only from KUBE-NODEPORTS rules", () => {
    const raw = [
      "*nat",
      "-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m tcp --dport 443 -j KUBE-SVC-NPX46M4PTMTKRN6Y",
      "-A KUBE-NODEPORTS -p tcp -m tcp --dport 32000 -j KUBE-EXT-X",
      "-A KUBE-NODEPORTS -p tcp -m tcp --dport 32000 -j KUBE-MARK-MASQ",
      "COMMIT",
    ].join("\n");
    assert.deepEqual(parseIptablesSave(raw).nodePortsMentioned, [32000]);
  });

  it("reports a table cut before COMMIT", () => {
    const result = parseIptablesSave("*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j CILIUM_PRE_nat\n");
    assert.deepEqual(result.issues, ["table nat has no COMMIT line (truncated?)"]);
    assert.equal(result.ruleCount, 1);
  });
});
