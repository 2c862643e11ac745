import { strict as assert } from "assert";

import { noKubeProxy } from "../../../checks/defs/kubeProxy";
import { SEED_CONTEXT, judgeCase, runCases } from "./seedContext";

describe("no-kube-proxy", () => {
  it("sends its own NodePort request first and reads the nodes after it", () => {
    const steps = noKubeProxy.steps(SEED_CONTEXT);
    const curl = steps.find((s) => s.id === "curl");
    assert.ok(curl);
    assert.equal(curl.argv.at(-1), "http://172.18.0.2:32000/", "the client's own node, as in the seed");
    assert.equal(curl.delayMs ?? 0, 0);
    assert.equal(curl.startAfter, undefined);
    const nodes = steps.filter((s) => s.id.startsWith("node:"));
    assert.equal(nodes.length, 3);
    for (const n of nodes) {
      assert.deepEqual(n.startAfter, [{ step: "curl", when: "done" }], "conntrack is read after the curl");
      assert.match(
        n.argv[2],
        /iptables-legacy-save[\s\S]*iptables-nft-save[\s\S]*conntrack -L -p tcp --dport 32000/,
      );
    }
  });

  runCases(noKubeProxy, [
    {
      title: "passes with no kube-proxy pods, only kind/Cilium/kubelet chains and no conntrack entry",
      kase: "healthy",
      verdict: "pass",
      facts: { kubeProxy: "absent" },
    },
    {
      title: "fails when kube-proxy rules for the service are present",
      kase: "kube-proxy-rules",
      verdict: "fail",
      reason:
        /expected no kube-proxy rules in iptables-nft-save on .*worker2, found KUBE-NODEPORTS, KUBE-SERVICES.*expected no iptables rule for NodePort 32000/,
    },
    {
      title: "fails when netfilter conntrack holds an entry for the NodePort",
      kase: "conntrack-entry",
      verdict: "fail",
      reason:
        /expected no netfilter conntrack entry for dport 32000 on .*worker2, found 1: tcp +6 117 TIME_WAIT/,
    },
    {
      title: "is inconclusive when both iptables dumps are empty (an empty dump proves nothing)",
      kase: "empty-dumps",
      verdict: "inconclusive",
      reason:
        /no iptables rules readable on .*-worker, so their absence proves nothing \(both dumps are empty\)/,
    },
    {
      title: "is inconclusive when conntrack is missing",
      kase: "no-conntrack-tool",
      verdict: "inconclusive",
      reason: /conntrack -L exited with code 127 on .*-worker: sh: conntrack: not found/,
    },
    {
      title: "is inconclusive about conntrack when its NodePort request failed, and says it once",
      kase: "curl-failed",
      verdict: "inconclusive",
      reason:
        /^no conntrack entry for dport 32000, but the NodePort request before the read did not succeed \(expected HTTP 200 .*got no response .*\), so that proves nothing$/,
    },
    {
      title: "is inconclusive on empty output",
      kase: "empty",
      verdict: "inconclusive",
      reason: /printed nothing usable/,
    },
    {
      title: "is inconclusive when a node timed out",
      kase: "timed-out",
      verdict: "inconclusive",
      reason: /timed out after 40 s/,
    },
  ]);

  it("fails when kube-proxy pods exist, naming them", () => {
    const judgement = judgeCase(noKubeProxy, "healthy", {
      ...SEED_CONTEXT,
      kubeProxyPods: ["kube-proxy-7x2lq"],
    });
    assert.equal(judgement.verdict, "fail");
    assert.match(judgement.reason, /^expected no kube-proxy pods, found kube-proxy-7x2lq$/);
  });
});
