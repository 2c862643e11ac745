import { strict as assert } from "assert";

import { nodeportFromOutside } from "../../../checks/defs/nodePortOutside";
import type { LabContext } from "../../../checks/types";
import { CP, SEED_CONTEXT, WORKER, WORKER2, judgeCase, runCases } from "./seedContext";

describe("nodeport-from-outside", () => {
  it("curls every node's NodePort three times from the runner's host in one exec, then reads each node's BPF NAT table", () => {
    const steps = nodeportFromOutside.steps(SEED_CONTEXT);
    assert.deepEqual(
      steps.map((s) => [s.id, s.target.pod, s.target.host === true, (s.startAfter ?? []).map((g) => g.step)]),
      [
        ["curl", "runner-host", true, []],
        [`nat:${CP}`, "cilium-mfc5w", false, ["curl"]],
        [`nat:${WORKER}`, "cilium-6bt7g", false, ["curl"]],
        [`nat:${WORKER2}`, "cilium-496vl", false, ["curl"]],
      ],
    );
    const script = steps[0].argv[2];
    for (const ip of ["172.18.0.4", "172.18.0.3", "172.18.0.2"])
      for (const i of [1, 2, 3]) assert.ok(script.includes(`=== ${ip}:32000#${i}`), `${ip} #${i}`);
    assert.match(
      script,
      /curl -sS --max-time 3 .*%\{local_ip\}:%\{local_port\}.* http:\/\/172\.18\.0\.4:32000\//,
    );
    assert.deepEqual(steps[1].argv, ["timeout", "15", "cilium", "bpf", "nat", "list"]);
  });

  runCases(nodeportFromOutside, [
    {
      title:
        "passes when an answer came from a pod on another node and the addressed node's BPF NAT table holds that connection's SNAT to its IP",
      kase: "healthy",
      verdict: "pass",
      reason:
        /^BPF NodePort forwarded requests from outside the nodes to a backend on another node: http:\/\/172\.18\.0\.4:32000\/ \(.*-control-plane\) from 172\.18\.0\.1:41830 → evescn-q7xhn \(10\.0\.0\.72\) on .*-worker, SNAT in .*-control-plane's BPF NAT table: `TCP OUT 172\.18\.0\.1:41830 -> 10\.0\.0\.72:80 XLATE_SRC 172\.18\.0\.4:41830 .*`; .*172\.18\.0\.3:32000.* → evescn-jzms5.*; BPF NAT table not needed on .*-worker2: every answer there came from its own pod$/,
      facts: {
        nodePortFromOutside: {
          answers: [
            { node: CP, backend: "evescn-zx9kk", backendNode: CP, client: "172.18.0.1:41822" },
            { node: CP, backend: "evescn-q7xhn", backendNode: WORKER, client: "172.18.0.1:41830" },
            { node: CP, backend: "evescn-zx9kk", backendNode: CP, client: "172.18.0.1:41836" },
            { node: WORKER, backend: "evescn-jzms5", backendNode: WORKER2, client: "172.18.0.1:52410" },
            { node: WORKER, backend: "evescn-q7xhn", backendNode: WORKER, client: "172.18.0.1:52418" },
            { node: WORKER, backend: "evescn-zx9kk", backendNode: CP, client: "172.18.0.1:52426" },
            { node: WORKER2, backend: "evescn-jzms5", backendNode: WORKER2, client: "172.18.0.1:39102" },
            { node: WORKER2, backend: "evescn-jzms5", backendNode: WORKER2, client: "172.18.0.1:39110" },
            { node: WORKER2, backend: "evescn-jzms5", backendNode: WORKER2, client: "172.18.0.1:39118" },
          ],
          unreached: 0,
        },
      },
    },
    {
      title:
        "is inconclusive, naming the cause and the fix, when the runner's host reaches no node (Docker Desktop, remote cluster)",
      kase: "unreachable",
      verdict: "inconclusive",
      reason:
        /^the runner's host reached no node's NodePort \(.*curl: \(28\) Connection timed out.*\): the runner's host is not on the nodes' network \(Docker Desktop .*\)\. Run the check from a machine that reaches the nodes' InternalIPs/,
    },
    {
      title:
        "is inconclusive when every answer came from the addressed node's own pod (nothing was forwarded)",
      kase: "all-local",
      verdict: "inconclusive",
      reason: /every answer from outside came from a pod on the node addressed/,
    },
    {
      title:
        "is inconclusive, not pass, when answers came from other nodes but no BPF NAT entry shows the flow (iptables or a userspace forwarder would answer too)",
      kase: "no-nat-entry",
      verdict: "inconclusive",
      reason:
        /no BPF NAT entry shows Cilium's NodePort SNAT: .*no BPF NAT entry for 172\.18\.0\.1:41830 → 10\.0\.0\.72:80 in cilium-mfc5w's `cilium bpf nat list` \(2 entries\).*this evidence cannot tell$/,
    },
    {
      title: "is inconclusive, not pass, when one forwarded answer shows Cilium's SNAT and another does not",
      kase: "partial-nat",
      verdict: "inconclusive",
      reason:
        /^some answers from other nodes show Cilium's NodePort SNAT .*others do not: .*172\.18\.0\.1:52426 → evescn-zx9kk .*no BPF NAT entry for 172\.18\.0\.1:52426 → 10\.0\.1\.63:80/,
    },
    {
      title: "fails when the NodePort answers the runner's host on some nodes but not on another",
      kase: "unreached-one-node",
      verdict: "fail",
      reason:
        /answered the runner's host on some nodes but not on others: http:\/\/172\.18\.0\.2:32000\/ \(.*-worker2\): curl: \(28\)/,
    },
    {
      title: "is inconclusive when the NAT tables cannot be read",
      kase: "nat-unreadable",
      verdict: "inconclusive",
      reason: /printed no BPF NAT entry: Error: Unable to open map/,
    },
  ]);

  it("differs when the cluster's kube-proxy replacement is off and the tables hold no NodePort flow", () => {
    const ctx: LabContext = {
      ...SEED_CONTEXT,
      clusterDifferences: [{ key: "kube-proxy-replacement", found: "false", lab: "true" }],
    };
    const j = judgeCase(nodeportFromOutside, "no-nat-entry", ctx);
    assert.equal(j.verdict, "differs", j.reason);
    assert.match(j.reason, /kube-proxy \(not Cilium\) may serve the NodePort/);
  });

  it("plans nothing and is inconclusive without nodes", () => {
    const ctx = { ...SEED_CONTEXT, nodes: [] };
    assert.deepEqual(nodeportFromOutside.steps(ctx), []);
    assert.match(judgeCase(nodeportFromOutside, "healthy", ctx).reason, /no nodes known/);
  });
});
