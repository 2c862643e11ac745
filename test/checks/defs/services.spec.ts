import { strict as assert } from "assert";

import { clusteripFromPod, nodeportFromPod } from "../../../checks/defs/services";
import { SEED_CONTEXT, judgeCase, runCases } from "./seedContext";

describe("nodeport-from-pod", () => {
  it("calls every node's NodePort from the client in one exec, in parallel, with bounded retries", () => {
    const steps = nodeportFromPod.steps(SEED_CONTEXT);
    assert.equal(steps.length, 1);
    const script = steps[0].argv[2];
    for (const ip of ["172.18.0.4", "172.18.0.3", "172.18.0.2"]) {
      assert.match(
        script,
        new RegExp(
          `--retry 4 .* http://${ip.replace(/\./g, "\\.")}:32000/\\) 2>&1; echo "=== exit \\$\\?"; } >"\\$dir/\\d" 2>&1 &`,
        ),
      );
    }
    assert.ok(steps[0].timeoutSeconds >= 19 + 5, "the step outlasts curl's own worst case");
  });

  runCases(nodeportFromPod, [
    {
      title: "passes when every node IP answers 200 from a test pod (seed body)",
      kase: "healthy",
      verdict: "pass",
      reason: /http:\/\/172\.18\.0\.2:32000\/ \(.*worker2\) → evescn-jzms5 \(10\.0\.2\.202\)/,
      facts: {
        nodePortBackends: {
          "172.18.0.4:32000": "evescn-zx9kk",
          "172.18.0.3:32000": "evescn-q7xhn",
          "172.18.0.2:32000": "evescn-jzms5",
        },
      },
    },
    {
      title: "fails when one node refuses the connection after the retries",
      kase: "refused-on-one-node",
      verdict: "fail",
      reason:
        /^expected HTTP 200 from http:\/\/172\.18\.0\.3:32000\/ \(.*-worker\), got no response \(curl: \(7\) Failed to connect/,
    },
    {
      title: "fails when the answer does not come from a test pod",
      kase: "unknown-backend",
      verdict: "fail",
      reason:
        /to be served by a test pod \(evescn-zx9kk, evescn-q7xhn and evescn-jzms5\), got nginx-7c5ddbdf54-2xkqp/,
    },
    { title: "fails on an HTTP error status", kase: "http-503", verdict: "fail", reason: /got HTTP 503/ },
    {
      title: "is inconclusive on empty output",
      kase: "empty",
      verdict: "inconclusive",
      reason: /printed nothing usable/,
    },
    {
      title: "is inconclusive when the exec timed out",
      kase: "timed-out",
      verdict: "inconclusive",
      reason: /timed out after 29 s/,
    },
  ]);
});

describe("clusterip-from-pod", () => {
  it("curls the ClusterIP:port with an argv (no shell)", () => {
    const [step] = clusteripFromPod.steps(SEED_CONTEXT);
    assert.equal(step.argv[0], "curl");
    assert.equal(step.argv.at(-1), "http://10.96.93.201:8080/");
  });

  runCases(clusteripFromPod, [
    {
      title: "passes when the ClusterIP answers from a test pod",
      kase: "healthy",
      verdict: "pass",
      reason: /^http:\/\/10\.96\.93\.201:8080\/ → evescn-jzms5 \(10\.0\.2\.202\)$/,
      facts: { clusterIpBackend: "evescn-jzms5" },
    },
    {
      title: "fails when the connection times out (curl exit 28)",
      kase: "connect-timeout",
      verdict: "fail",
      reason: /got no response \(curl: \(28\) Connection timed out after 3002 milliseconds\)/,
    },
    {
      title: "is inconclusive when curl cannot run, naming the exit code and stderr",
      kase: "not-found",
      verdict: "inconclusive",
      reason: /exited with code 127: exec: "curl": executable file not found/,
    },
    { title: "is inconclusive on empty output", kase: "empty", verdict: "inconclusive" },
    {
      title: "is inconclusive when the exec timed out",
      kase: "timed-out",
      verdict: "inconclusive",
      reason: /timed out/,
    },
  ]);

  it("is inconclusive without test pods to recognise", () => {
    assert.equal(
      judgeCase(clusteripFromPod, "healthy", { ...SEED_CONTEXT, testPods: [] }).verdict,
      "inconclusive",
    );
  });
});
