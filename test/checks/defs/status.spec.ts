import { strict as assert } from "assert";

import { ciliumAgentStatus } from "../../../checks/defs/status";
import { NATIVE_CIDR_UNSET } from "../../../checks/types";
import { SEED_CONTEXT, judgeCase, runCases } from "./seedContext";

/** The seed context of a cluster whose cilium-config has no ipv4-native-routing-cidr. */
const UNSET = { ...SEED_CONTEXT, nativeRoutingCidr: NATIVE_CIDR_UNSET };

describe("cilium-agent-status", () => {
  it("runs one exec per Cilium agent, in the agent container, JSON form then text", () => {
    const steps = ciliumAgentStatus.steps(SEED_CONTEXT);
    assert.deepEqual(
      steps.map((s) => [s.target.pod, s.target.container]),
      [
        ["cilium-mfc5w", "cilium-agent"],
        ["cilium-6bt7g", "cilium-agent"],
        ["cilium-496vl", "cilium-agent"],
      ],
    );
    assert.equal(steps[0].argv[0], "sh");
    assert.match(
      steps[0].argv[2],
      /\(timeout 15 cilium status -o json\) 2>\/dev\/null\n.*\n\(timeout 15 cilium status\) 2>&1/s,
    );
  });

  runCases(ciliumAgentStatus, [
    {
      title:
        "passes agents that exclude their node's own allocation CIDR when cilium-config has no ipv4-native-routing-cidr, as Cilium does then",
      kase: "native-cidr-unset",
      ctx: UNSET,
      verdict: "pass",
      reason:
        /masquerading BPF excluding 10\.0\.0\.0\/24, cilium-kubeproxy-replacement-ebpf-worker's allocation CIDR \(ipv4-native-routing-cidr unset\)/,
    },
    {
      title:
        "passes on the seed's agents (1.13: Strict, BPF host routing, BPF masquerading of 10.0.0.0/8, 3/3, 35/35)",
      kase: "healthy",
      verdict: "pass",
      reason:
        /cilium-496vl: KubeProxyReplacement Strict, host routing BPF, masquerading BPF excluding 10\.0\.0\.0\/8, cluster health 3\/3, controllers 35\/35 healthy/,
      facts: {
        kubeProxyReplacement: "Strict",
        hostRouting: "BPF",
        masquerading: "BPF",
        ciliumVersion: "1.13.0-rc5",
      },
    },
    {
      title: "passes on the text form alone when the JSON form printed nothing",
      kase: "healthy-text-only",
      verdict: "pass",
      facts: { kubeProxyReplacement: "Strict", hostRouting: "BPF" },
    },
    {
      title: "passes on a 1.18 agent (KubeProxyReplacement True, Routing: Network: Native Host: BPF)",
      kase: "healthy-1.18",
      verdict: "pass",
      reason: /KubeProxyReplacement True.*routing Native/,
      facts: { kubeProxyReplacement: "True", routingMode: "Native", ciliumVersion: "1.18.2" },
    },
    {
      title: "fails when KubeProxyReplacement is Disabled on one agent, naming it",
      kase: "kpr-disabled",
      verdict: "fail",
      reason: /^expected KubeProxyReplacement Strict\/True on cilium-496vl, found Disabled$/,
    },
    {
      title: "fails on Legacy host routing",
      kase: "legacy-host-routing",
      verdict: "fail",
      reason: /expected host routing BPF on cilium-mfc5w, found Legacy/,
      facts: { hostRouting: "Legacy" },
    },
    {
      title: "fails on iptables masquerading",
      kase: "iptables-masquerading",
      verdict: "fail",
      reason: /expected masquerading BPF on cilium-6bt7g, found iptables/,
    },
    {
      title: "fails when the masquerade exclusion CIDR is not the native-routing CIDR",
      kase: "wrong-native-cidr",
      verdict: "fail",
      reason: /expected masquerading BPF excluding 10\.0\.0\.0\/8 on cilium-6bt7g, found 10\.244\.0\.0\/16/,
    },
    {
      title: "fails in tunnel mode",
      kase: "tunnel",
      verdict: "fail",
      reason: /expected native routing on cilium-mfc5w, found Tunnel \[vxlan\]/,
      facts: { routingMode: "Tunnel [vxlan]" },
    },
    {
      title: "fails when a node is unreachable for cluster health",
      kase: "health-degraded",
      verdict: "fail",
      reason: /expected cluster health 3\/3 reachable on cilium-496vl, found 2\/3/,
    },
    {
      title: "fails when a controller is failing",
      kase: "controllers-failing",
      verdict: "fail",
      reason: /expected all controllers healthy on cilium-496vl, found 34\/35/,
    },
    {
      title: "is inconclusive on empty output, never a pass",
      kase: "empty",
      verdict: "inconclusive",
      reason: /on cilium-496vl printed nothing usable/,
    },
    {
      title: "is inconclusive when an agent's exec timed out",
      kase: "timed-out",
      verdict: "inconclusive",
      reason: /on cilium-6bt7g timed out after 45 s/,
    },
    {
      title: "is inconclusive when the exec fails, naming its stderr",
      kase: "agent-unreachable",
      verdict: "inconclusive",
      reason: /container not found/,
    },
  ]);

  it("judges the cluster size from the context (a 4-node lab expects 4/4)", () => {
    const ctx = {
      ...SEED_CONTEXT,
      nodes: [
        ...SEED_CONTEXT.nodes,
        { name: "w3", role: "worker" as const, internalIp: "172.18.0.5", podCidrs: [] },
      ],
    };
    const judgement = judgeCase(ciliumAgentStatus, "healthy", ctx);
    assert.equal(judgement.verdict, "fail");
    assert.match(judgement.reason, /expected cluster health 4\/4 reachable on cilium-mfc5w, found 3\/3/);
    assert.match(judgement.reason, /no Cilium agent pod on w3/);
  });

  it("expects the native-routing CIDR from the context", () => {
    const judgement = judgeCase(ciliumAgentStatus, "healthy", {
      ...SEED_CONTEXT,
      nativeRoutingCidr: "10.0.0.0/16",
    });
    assert.equal(judgement.verdict, "fail");
    assert.match(
      judgement.reason,
      /expected masquerading BPF excluding 10\.0\.0\.0\/16 on cilium-mfc5w, found 10\.0\.0\.0\/8/,
    );
  });

  describe("with no ipv4-native-routing-cidr in cilium-config (context: unset)", () => {
    it("passes an autodetected native-routing CIDR that holds the node's allocation CIDR, saying so", () => {
      const judgement = judgeCase(ciliumAgentStatus, "healthy", UNSET);
      assert.equal(judgement.verdict, "pass", judgement.reason);
      assert.match(
        judgement.reason,
        /excluding 10\.0\.0\.0\/8, which holds .* an autodetected native-routing CIDR/,
      );
    });

    it("fails an exclusion CIDR that does not hold the node's allocation CIDR, naming both", () => {
      const judgement = judgeCase(ciliumAgentStatus, "wrong-native-cidr", UNSET);
      assert.equal(judgement.verdict, "fail");
      assert.match(
        judgement.reason,
        /expected masquerading BPF excluding cilium-kubeproxy-replacement-ebpf-worker's allocation CIDR 10\.0\.0\.0\/24 on cilium-6bt7g \(ipv4-native-routing-cidr unset: .*\), found 10\.244\.0\.0\/16/,
      );
    });

    it("is inconclusive when the node's allocation CIDR is not known", () => {
      const ctx = { ...UNSET, nodes: UNSET.nodes.map((n) => ({ ...n, podCidrs: [] })) };
      const judgement = judgeCase(ciliumAgentStatus, "native-cidr-unset", ctx);
      assert.equal(judgement.verdict, "inconclusive");
      assert.match(judgement.reason, /none is known for/);
    });
  });

  it("is inconclusive without any agent pod", () => {
    const ctx = { ...SEED_CONTEXT, ciliumPods: [] };
    assert.deepEqual(ciliumAgentStatus.steps(ctx), []);
    assert.equal(ciliumAgentStatus.judge(ctx, new Map()).verdict, "inconclusive");
  });
});
