import { strict as assert } from "assert";

import { nodeRoutes, podAddressing } from "../../../checks/defs/addressing";
import { SEED_CONTEXT, WORKER2, judgeCase, runCases } from "./seedContext";

describe("pod-addressing", () => {
  it("reads the client in one exec and cilium_host on the client's node probe", () => {
    const steps = podAddressing.steps(SEED_CONTEXT);
    assert.deepEqual(
      steps.map((s) => [s.id, s.target.pod]),
      [
        ["client", "net"],
        ["cilium-host", "node-probe-w2m9q"],
      ],
    );
    assert.deepEqual(steps[1].argv, ["timeout", "5", "ip", "-o", "-4", "addr", "show", "dev", "cilium_host"]);
  });

  runCases(podAddressing, [
    {
      title: "passes on the seed: 10.0.2.40/32 on eth0, default via 10.0.2.34 = cilium_host of worker2",
      kase: "healthy",
      verdict: "pass",
      reason: /net has 10\.0\.2\.40\/32 on eth0; default route via 10\.0\.2\.34, cilium_host of .*worker2/,
      facts: { podAddress: "10.0.2.40/32", podGateway: "10.0.2.34" },
    },
    {
      title: "fails when the pod address is not a /32",
      kase: "not-a-host-address",
      verdict: "fail",
      reason: /expected a \/32 on eth0 of net .*found 10\.0\.2\.40\/24/,
    },
    {
      title: "fails when the default route does not point at cilium_host",
      kase: "wrong-gateway",
      verdict: "fail",
      reason:
        /expected net's default route via 10\.0\.2\.34 \(cilium_host of .*worker2\), found via 169\.254\.1\.1 dev eth0/,
    },
    {
      title: "is inconclusive on empty output",
      kase: "empty",
      verdict: "inconclusive",
      reason: /printed nothing usable/,
    },
    {
      title: "is inconclusive when the node probe timed out",
      kase: "timed-out",
      verdict: "inconclusive",
      reason: /"cilium-host" on node-probe-w2m9q timed out after 20 s/,
    },
  ]);

  it("is inconclusive without a node probe on the client's node", () => {
    const ctx = { ...SEED_CONTEXT, probePods: SEED_CONTEXT.probePods.filter((p) => p.node !== WORKER2) };
    assert.equal(podAddressing.steps(ctx).length, 1);
    const judgement = judgeCase(podAddressing, "healthy", ctx);
    assert.equal(judgement.verdict, "inconclusive");
    assert.match(judgement.reason, /no node-probe pod on .*worker2, the client's node/);
  });
});

describe("node-routes", () => {
  runCases(nodeRoutes, [
    {
      title: "passes when every node routes each peer's pod CIDR via the peer's IP on eth0 (seed)",
      kase: "healthy",
      verdict: "pass",
      reason: /\(6 routes\)/,
      facts: { directRoutes: true },
    },
    {
      title: "fails in tunnel mode (peer CIDRs via cilium_host)",
      kase: "tunnel",
      verdict: "fail",
      reason:
        /expected 10\.0\.0\.0\/24 via 172\.18\.0\.3 dev eth0 on .*worker2, found 10\.0\.0\.0\/24 via 10\.0\.2\.34 dev cilium_host/,
    },
    {
      title: "fails when a peer's route is missing",
      kase: "missing-route",
      verdict: "fail",
      reason:
        /expected 10\.0\.2\.0\/24 via 172\.18\.0\.2 dev eth0 on .*-worker, found no route for 10\.0\.2\.0\/24/,
    },
    {
      title: "is inconclusive on empty output",
      kase: "empty",
      verdict: "inconclusive",
      reason: /printed nothing usable/,
    },
    {
      title: "is inconclusive, not fail, when a node's output does not read as ip route (exit 0)",
      kase: "garbled",
      verdict: "inconclusive",
      reason: /the route table of .*-worker has no line that reads as a route: /,
    },
    {
      title: "is inconclusive when a node timed out",
      kase: "timed-out",
      verdict: "inconclusive",
      reason: /timed out after 20 s/,
    },
  ]);

  it("is inconclusive when no node has a known pod CIDR", () => {
    const ctx = { ...SEED_CONTEXT, nodes: SEED_CONTEXT.nodes.map((n) => ({ ...n, podCidrs: [] })) };
    const judgement = judgeCase(nodeRoutes, "healthy", ctx);
    assert.equal(judgement.verdict, "inconclusive");
    assert.match(judgement.reason, /no pod CIDRs known/);
  });
});
