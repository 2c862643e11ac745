import { strict as assert } from "assert";

import { noKubeProxy } from "../../../checks/defs/kubeProxy";
import { CP, SEED_CONTEXT, WORKER, WORKER2, judgeCase, runCases } from "./seedContext";

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
        /timeout 10 chroot \/host iptables --version[\s\S]*timeout 10 chroot \/host iptables-legacy-save[\s\S]*timeout 10 chroot \/host iptables-nft-save[\s\S]*timeout 10 nft list tables[\s\S]*conntrack -L -p tcp --dport 32000/,
      );
      assert.ok(n.timeoutSeconds <= 60);
    }
  });

  runCases(noKubeProxy, [
    {
      title:
        "passes with no kube-proxy pods, only kind/Cilium/kubelet-like chains in the nf_tables tables in use, no kube-proxy nftables table and no conntrack entry",
      kase: "healthy",
      verdict: "pass",
      reason: /in use: nf_tables\), no kube-proxy nftables table/,
      facts: {
        kubeProxy: "absent",
        iptablesBackends: { [CP]: "nf_tables", [WORKER]: "nf_tables", [WORKER2]: "nf_tables" },
      },
    },
    {
      // Before: netshoot has no iptables-legacy-save, so a legacy node was read through nft only.
      title:
        "passes on a node whose iptables use the legacy backend, read with the node's own iptables-legacy-save",
      kase: "healthy-legacy",
      verdict: "pass",
      reason: /in use: nf_tables and legacy\)/,
    },
    {
      // Before: the legacy rules were invisible to the probe image and the nft dump had kind's rules: pass.
      title: "fails when kube-proxy's rules sit in the legacy tables of a legacy node, naming the backend",
      kase: "kube-proxy-rules-legacy",
      verdict: "fail",
      reason:
        /expected no kube-proxy rules in the legacy tables of .*worker2 \(read with the node's iptables-legacy-save\), found KUBE-NODEPORTS, KUBE-SEP-TESTSEP, KUBE-SERVICES and KUBE-SVC-TESTSVC; expected no iptables rule for NodePort 32000 in the legacy tables/,
    },
    {
      title: "fails when kube-proxy rules for the service are in the nf_tables tables",
      kase: "kube-proxy-rules",
      verdict: "fail",
      reason:
        /expected no kube-proxy rules in the nf_tables tables of .*worker2 \(read with the node's iptables-nft-save\)/,
    },
    {
      // Before: kube-proxy in nftables mode writes no iptables rules, so nothing was seen.
      title: "fails when kube-proxy runs in nftables mode (table ip kube-proxy)",
      kase: "kube-proxy-nftables",
      verdict: "fail",
      reason: /^expected no kube-proxy nftables table on .*worker2, found table ip kube-proxy$/,
    },
    {
      title: "is inconclusive, never pass, when iptables-nft-save warns of legacy tables that cannot be read",
      kase: "legacy-warning-unreadable",
      verdict: "inconclusive",
      reason:
        /the other iptables backend \(legacy\) of .*-worker could not be read: iptables-legacy-save exited with code 126 \(chroot: can't execute 'iptables-legacy-save': Permission denied\).*warns that iptables-legacy tables are present, and they could not be read/,
    },
    {
      title: "is inconclusive when the node's root filesystem is not mounted in the probe",
      kase: "no-node-root",
      verdict: "inconclusive",
      reason:
        /could not tell which iptables backend .*-worker uses: chroot \/host iptables --version exited with code 1 \(chroot: can't change root directory/,
    },
    {
      title: "fails when netfilter conntrack holds an entry for the NodePort",
      kase: "conntrack-entry",
      verdict: "fail",
      reason:
        /expected no netfilter conntrack entry for dport 32000 on .*worker2, found 1: tcp +6 119 TIME_WAIT/,
    },
    {
      title: "is inconclusive when the iptables tables in use are empty (an empty dump proves nothing)",
      kase: "empty-dumps",
      verdict: "inconclusive",
      reason:
        /the nf_tables tables .*-worker uses are empty in iptables-nft-save, so the absence of kube-proxy rules proves nothing/,
    },
    {
      title: "is inconclusive when conntrack cannot run",
      kase: "no-conntrack-tool",
      verdict: "inconclusive",
      reason:
        /conntrack -L exited with code 126 on .*-worker: timeout: can't execute 'conntrack': Permission denied/,
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
      reason: /timed out after 60 s/,
    },
  ]);

  it("fails on a sign of an in-process kube-proxy (k3s) found by discovery", () => {
    const signal = "k3s server node s1 runs k3s's built-in kube-proxy inside the k3s process (...)";
    const judgement = judgeCase(noKubeProxy, "healthy", { ...SEED_CONTEXT, kubeProxySignals: [signal] });
    assert.equal(judgement.verdict, "fail");
    assert.match(judgement.reason, /^expected no kube-proxy, found: k3s server node s1/);
  });

  it("runs the node's binaries under the context's node root", () => {
    const steps = noKubeProxy.steps({ ...SEED_CONTEXT, nodeRoot: "/" });
    assert.match(steps[1].argv[2], /timeout 10 chroot \/ iptables-legacy-save/);
  });

  it("fails when kube-proxy pods exist, naming them", () => {
    const judgement = judgeCase(noKubeProxy, "healthy", {
      ...SEED_CONTEXT,
      kubeProxyPods: ["kube-proxy-7x2lq"],
    });
    assert.equal(judgement.verdict, "fail");
    assert.match(judgement.reason, /^expected no kube-proxy pods, found kube-proxy-7x2lq$/);
  });
});
