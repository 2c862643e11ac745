import { strict as assert } from "assert";

import { pingCrossNode, pingSameNode } from "../../../checks/defs/ping";
import { SEED_CONTEXT, WORKER2, judgeCase, runCases } from "./seedContext";

describe("ping-same-node", () => {
  it("pings the test pod on the client's node (evescn-jzms5) with a bounded ping", () => {
    const [step] = pingSameNode.steps(SEED_CONTEXT);
    assert.deepEqual(step.argv, ["ping", "-n", "-c", "3", "-w", "10", "10.0.2.202"]);
    assert.equal(step.target.pod, "net");
  });

  runCases(pingSameNode, [
    {
      title: "passes on the seed's reply (0% loss, ttl 63)",
      kase: "healthy",
      verdict: "pass",
      reason: /1\/1 replies, 0% loss, rtt avg 0\.707 ms, ttl 63$/,
      facts: { pingSameNode: { target: "10.0.2.202", lossPercent: 0, rttAvgMs: 0.707, ttl: 63 } },
    },
    { title: "passes on iputils output", kase: "healthy-iputils", verdict: "pass", reason: /3\/3 replies/ },
    {
      title: "notes a TTL other than the seed's without failing",
      kase: "ttl-differs",
      verdict: "pass",
      reason: /ttl 64 \(the seed shows 63: noted, not a failure\)/,
    },
    {
      title: "fails on 100% loss",
      kase: "loss-100",
      verdict: "fail",
      reason: /expected 0% loss for net → evescn-jzms5 .*saw 100% \(0\/3 replies\)/,
    },
    {
      title: "fails on partial loss",
      kase: "loss-partial",
      verdict: "fail",
      reason: /saw 33% \(2\/3 replies\)/,
    },
    {
      title: "is inconclusive on empty output",
      kase: "empty",
      verdict: "inconclusive",
      reason: /printed nothing usable/,
    },
    {
      title: "is inconclusive when ping cannot run, naming the exit code and stderr",
      kase: "unreachable",
      verdict: "inconclusive",
      reason: /exited with code 2: ping: connect: Network is unreachable/,
    },
    {
      title: "is inconclusive when the exec timed out",
      kase: "timed-out",
      verdict: "inconclusive",
      reason: /timed out after 20 s/,
    },
  ]);

  it("is inconclusive without a test pod on the client's node", () => {
    const ctx = { ...SEED_CONTEXT, testPods: SEED_CONTEXT.testPods.filter((p) => p.node !== WORKER2) };
    assert.deepEqual(pingSameNode.steps(ctx), []);
    const judgement = judgeCase(pingSameNode, "healthy", ctx);
    assert.equal(judgement.verdict, "inconclusive");
    assert.match(judgement.reason, /no test pod on .*worker2, the client's node/);
  });
});

describe("ping-cross-node", () => {
  it("pings the worker's test pod (evescn-q7xhn, 10.0.0.72) as the seed does", () => {
    assert.equal(pingCrossNode.steps(SEED_CONTEXT)[0].argv.at(-1), "10.0.0.72");
  });

  runCases(pingCrossNode, [
    {
      title: "passes on the seed's reply (0% loss, ttl 62)",
      kase: "healthy",
      verdict: "pass",
      reason: /evescn-q7xhn \(10\.0\.0\.72, .*worker\): 1\/1 replies, 0% loss, rtt avg 1\.916 ms, ttl 62$/,
    },
    { title: "passes on iputils output", kase: "healthy-iputils", verdict: "pass" },
    {
      title: "notes a TTL other than the seed's",
      kase: "ttl-differs",
      verdict: "pass",
      reason: /ttl 63 \(the seed shows 62/,
    },
    { title: "fails on 100% loss", kase: "loss-100", verdict: "fail", reason: /saw 100%/ },
    { title: "fails on partial loss", kase: "loss-partial", verdict: "fail", reason: /saw 33%/ },
    { title: "is inconclusive on empty output", kase: "empty", verdict: "inconclusive" },
    {
      title: "is inconclusive when ping cannot run",
      kase: "unreachable",
      verdict: "inconclusive",
      reason: /code 2/,
    },
    {
      title: "is inconclusive when the exec timed out",
      kase: "timed-out",
      verdict: "inconclusive",
      reason: /timed out/,
    },
  ]);

  it("is inconclusive when every test pod is on the client's node", () => {
    const ctx = { ...SEED_CONTEXT, testPods: SEED_CONTEXT.testPods.filter((p) => p.node === WORKER2) };
    const judgement = judgeCase(pingCrossNode, "healthy", ctx);
    assert.equal(judgement.verdict, "inconclusive");
    assert.match(judgement.reason, /no test pod on a node other than .*worker2/);
  });
});
