import { strict as assert } from "assert";

import { redirectNeigh } from "../../../checks/defs/redirectNeigh";
import { redirectPeerCrossNode, redirectPeerSameNode } from "../../../checks/defs/redirectPeer";
import { TRACE_READY } from "../../../checks/defs/pathTrace";
import { CAPTURE_READY } from "../../../checks/probes";
import type { LabContext } from "../../../checks/types";
import { SEED_CONTEXT, WORKER, WORKER2, judgeCase, runCases } from "./seedContext";

/** The seed lab on a cluster whose own cilium-config asks for Legacy host routing. */
const LEGACY_CLUSTER: LabContext = {
  ...SEED_CONTEXT,
  clusterDifferences: [{ key: "enable-host-legacy-routing", found: "true", lab: "false" }],
};

describe("redirect-peer-same-node", () => {
  it("runs in one phase: the ping starts once both captures listen, one exec per pod or node", () => {
    const steps = redirectPeerSameNode.steps(SEED_CONTEXT);
    const gates = (s: (typeof steps)[number]) => (s.startAfter ?? []).map((g) => `${g.step}:${g.when}`);
    assert.deepEqual(
      steps.map((s) => [s.id, s.target.pod, s.readyWhen ?? null, gates(s)]),
      [
        ["source", "net", null, ["destination:ready", `veths:${WORKER2}:ready`]],
        ["destination", "evescn-jzms5", CAPTURE_READY, []],
        [`veths:${WORKER2}`, "node-probe-w2m9q", CAPTURE_READY, []],
        ["host-routing", "cilium-496vl", null, []],
      ],
    );
    const [source, destination, veths] = steps;
    assert.match(source.argv[2], /cat \/sys\/class\/net\/eth0\/iflink[\s\S]*ping -n -c 3 -w 6 10\.0\.2\.202/);
    assert.match(
      destination.argv[2],
      /iflink[\s\S]*tcpdump -l -p -n -e -i eth0 -c 6 'icmp and host 10\.0\.2\.40 and host 10\.0\.2\.202'/,
    );
    assert.match(
      veths.argv[2],
      /tcpdump -l -p -n -e -i "\$dev" 'icmp and host 10\.0\.2\.40 and host 10\.0\.2\.202'/,
    );
  });

  runCases(redirectPeerSameNode, [
    {
      title: "passes on the seed: the destination's veth sees only the reply, the source's only the request",
      kase: "healthy",
      verdict: "pass",
      reason:
        /lxcbf5cb1e7ceb0, the host-side veth of source net .* saw only the echo request; lxccb7c1b078d26, the host-side veth of destination evescn-jzms5 .* saw only the echo reply/,
      facts: {
        redirectPeerSameNode: {
          hostRouting: "BPF",
          sourceVeth: { dev: "lxcbf5cb1e7ceb0", request: true, reply: false },
          destinationVeth: { dev: "lxccb7c1b078d26", request: false, reply: true },
        },
      },
    },
    {
      title: "fails when the request shows on the destination's host-side veth",
      kase: "request-on-destination-veth",
      verdict: "fail",
      reason:
        /^expected only the echo reply on lxccb7c1b078d26, the host-side veth of destination evescn-jzms5 .*\(bpf_redirect_peer delivers the request straight into the pod\), saw the echo request and the echo reply$/,
    },
    {
      title: "fails when the reply shows on the source's host-side veth",
      kase: "reply-on-source-veth",
      verdict: "fail",
      reason:
        /^expected only the echo request on lxcbf5cb1e7ceb0, the host-side veth of source net .*, saw the echo request and the echo reply$/,
    },
    {
      title:
        "fails with Legacy host routing and no cluster difference to explain it, naming the status line and the usual causes",
      kase: "legacy-host-routing",
      verdict: "fail",
      reason:
        /^cilium-496vl reports "Host Routing: Legacy" in cilium status: bpf_redirect_peer is not used .*usual causes: a kernel older than 5\.10, bpf\.hostLegacyRouting=true .*endpoint routes, IPsec or WireGuard.*saw both directions/,
      facts: {
        redirectPeerSameNode: {
          hostRouting: "Legacy",
          sourceVeth: { dev: "lxcbf5cb1e7ceb0", request: true, reply: true },
          destinationVeth: { dev: "lxccb7c1b078d26", request: true, reply: true },
        },
      },
    },
    {
      title: "differs with Legacy host routing that the cluster's cilium-config explains",
      kase: "legacy-host-routing",
      ctx: LEGACY_CLUSTER,
      verdict: "differs",
      reason:
        /^differs from the lab profile as cilium-config enable-host-legacy-routing true \(lab: false\) implies: .*bpf_redirect_peer is not used/,
    },
    {
      title: "is inconclusive, not fail, when the veth captures saw nothing (Legacy explained by the config)",
      kase: "legacy-veths-saw-nothing",
      ctx: LEGACY_CLUSTER,
      verdict: "inconclusive",
      reason: /the capture on lxcbf5cb1e7ceb0, .* saw neither direction, so it proves nothing/,
    },
    {
      title: "fails with Legacy host routing when a veth sees one direction only",
      kase: "legacy-but-one-sided",
      verdict: "fail",
      reason:
        /expected both the echo request and the echo reply on lxccb7c1b078d26.* with Legacy host routing, saw only the echo reply/,
    },
    {
      title: "is inconclusive when the sanity capture inside the pod saw nothing",
      kase: "sanity-capture-empty",
      verdict: "inconclusive",
      reason:
        /the sanity capture on eth0 inside evescn-jzms5 saw neither the echo request nor the echo reply/,
    },
    {
      title: "is inconclusive on 100% loss (the captures prove nothing)",
      kase: "loss-100",
      verdict: "inconclusive",
      reason: /net got no echo reply from evescn-jzms5 \(10\.0\.2\.202\)/,
    },
    {
      title: "is inconclusive when no lxc device has the pod's peer ifindex",
      kase: "veth-not-found",
      verdict: "inconclusive",
      reason:
        /no lxc device with ifindex 17 on .*worker2 \(captured: lxcbf5cb1e7ceb0 ifindex 9, lxccb7c1b078d26 ifindex 7\)/,
    },
    {
      title: "is inconclusive when the capture on the veth failed",
      kase: "capture-failed",
      verdict: "inconclusive",
      reason:
        /the capture on lxccb7c1b078d26 .* exited with code 1: tcpdump: lxccb7c1b078d26: You don't have permission/,
    },
    {
      title: "judges as BPF host routing when the mode cannot be read, and says so",
      kase: "status-unreadable",
      verdict: "pass",
      reason:
        /\(host routing mode unknown \("host-routing" on cilium-496vl timed out after 40 s\); judged as BPF host routing\)$/,
    },
    {
      title: "is inconclusive on empty output",
      kase: "empty",
      verdict: "inconclusive",
      reason: /printed nothing usable$/,
    },
    {
      title: "is inconclusive when the sanity capture timed out",
      kase: "timed-out",
      verdict: "inconclusive",
      reason: /"destination" on evescn-jzms5 timed out after 23 s/,
    },
  ]);
});

describe("redirect-peer-cross-node", () => {
  it("captures on the veths of both nodes; the ping waits for the destination agent's trace stream too", () => {
    const steps = redirectPeerCrossNode.steps(SEED_CONTEXT);
    assert.deepEqual(
      steps.map((s) => [s.id, s.target.pod, s.readyWhen ?? null]),
      [
        ["source", "net", null],
        ["destination", "evescn-q7xhn", CAPTURE_READY],
        [`veths:${WORKER2}`, "node-probe-w2m9q", CAPTURE_READY],
        [`veths:${WORKER}`, "node-probe-w1k7d", CAPTURE_READY],
        ["trace", "cilium-6bt7g", TRACE_READY],
      ],
    );
    assert.deepEqual(
      (steps[0].startAfter ?? []).map((g) => `${g.step}:${g.when}`),
      ["destination:ready", `veths:${WORKER2}:ready`, `veths:${WORKER}:ready`, "trace:ready"],
    );
    assert.match(
      steps[4].argv[2],
      /=== status[\s\S]*timeout 30 cilium status[\s\S]*=== trace[\s\S]*timeout -s INT -k 2 10 cilium monitor --type trace/,
    );
  });

  runCases(redirectPeerCrossNode, [
    {
      title:
        "passes on the seed: lxc56a9c4b40736 (evescn-q7xhn) sees only the reply, net's veth only the request",
      kase: "healthy",
      verdict: "pass",
      reason:
        /lxc56a9c4b40736, the host-side veth of destination evescn-q7xhn \(.*-worker\) saw only the echo reply; the trace of cilium-6bt7g \(.*-worker\) shows the echo request at from-network, to-endpoint: Cilium's program delivered it `to-endpoint ifindex lxc56a9c4b40736` \(endpoint 2114\), with no `<- host`$/,
      facts: {
        redirectPeerCrossNode: {
          hostRouting: "BPF",
          sourceVeth: { dev: "lxcbf5cb1e7ceb0", request: true, reply: false },
          destinationVeth: { dev: "lxc56a9c4b40736", request: false, reply: true },
          destinationTrace: ["from-network", "to-endpoint"],
        },
      },
    },
    {
      title:
        "fails when the destination's trace shows the request arriving from cilium_host (the kernel routed it), even with a BPF status",
      kase: "trace-from-host",
      verdict: "fail",
      reason:
        /^the trace of cilium-6bt7g \(.*-worker\) shows the echo request arriving from cilium_host \(`<- host flow .*`\): the kernel routed it, the Legacy host routing path: bpf_redirect_peer is not used/,
    },
    {
      title:
        "still passes on the veths when the destination's trace lost events, saying the trace tells nothing",
      kase: "trace-lost",
      verdict: "pass",
      reason:
        /saw only the echo reply; destination trace tells nothing: the trace stream of cilium-6bt7g lost 12 events, so a missing event proves nothing$/,
    },
    {
      title:
        "judges the veths as BPF host routing when the destination's trace step timed out, and says both are unknown",
      kase: "trace-timed-out",
      verdict: "pass",
      reason:
        /saw only the echo reply \(host routing mode and destination trace unknown \("trace" on cilium-6bt7g timed out after 52 s\); judged as BPF host routing\)$/,
    },
    {
      title: "fails when the request shows on the destination's host-side veth",
      kase: "request-on-destination-veth",
      verdict: "fail",
      reason: /expected only the echo reply on lxc56a9c4b40736/,
    },
    {
      title: "fails when the reply shows on the source's host-side veth",
      kase: "reply-on-source-veth",
      verdict: "fail",
      reason: /expected only the echo request on lxcbf5cb1e7ceb0/,
    },
    {
      title: "fails with Legacy host routing (bpf_redirect_peer is not used), never pass",
      kase: "legacy-host-routing",
      verdict: "fail",
      reason: /cilium-6bt7g reports "Host Routing: Legacy"/,
    },
    {
      title: "differs with Legacy host routing that the cluster's cilium-config explains",
      kase: "legacy-host-routing",
      ctx: LEGACY_CLUSTER,
      verdict: "differs",
    },
    {
      title: "is inconclusive on 100% loss",
      kase: "loss-100",
      verdict: "inconclusive",
      reason: /no echo reply/,
    },
    { title: "is inconclusive on empty output", kase: "empty", verdict: "inconclusive" },
    {
      title: "is inconclusive when a capture timed out",
      kase: "timed-out",
      verdict: "inconclusive",
      reason: /timed out after 18 s/,
    },
  ]);

  it("is inconclusive without a test pod on another node", () => {
    const ctx = { ...SEED_CONTEXT, testPods: SEED_CONTEXT.testPods.filter((p) => p.node === WORKER2) };
    assert.deepEqual(redirectPeerCrossNode.steps(ctx), []);
    assert.match(judgeCase(redirectPeerCrossNode, "healthy", ctx).reason, /no test pod on a node other than/);
  });
});

describe("redirect-neigh", () => {
  it("captures on the source node's device, reads the source agent's status and trace, and the peer's MAC, in one phase", () => {
    const steps = redirectNeigh.steps(SEED_CONTEXT);
    assert.deepEqual(
      steps.map((s) => [s.id, s.target.pod, s.readyWhen ?? null, s.startAfter ?? []]),
      [
        [
          "ping",
          "net",
          null,
          [
            { step: "source-node", when: "ready" },
            { step: "trace", when: "ready" },
          ],
        ],
        ["source-node", "node-probe-w2m9q", CAPTURE_READY, []],
        ["peer-mac", "node-probe-w1k7d", null, []],
        ["trace", "cilium-496vl", TRACE_READY, []],
      ],
    );
    assert.match(
      steps[1].argv[2],
      /cat \/proc\/net\/snmp[\s\S]*tcpdump -l -p -n -e -i eth0 -c 6 'icmp and host 10\.0\.0\.72'[\s\S]*cat \/proc\/net\/snmp/,
    );
    assert.match(
      steps[3].argv[2],
      /=== status[\s\S]*timeout 30 cilium status[\s\S]*=== trace[\s\S]*timeout -s INT -k 2 10 cilium monitor --type trace/,
    );
  });

  runCases(redirectNeigh, [
    {
      title:
        "passes on BPF host routing: the trace shows -> network on eth0 and no -> stack, ForwDatagrams did not grow, the frame goes to the peer's MAC",
      kase: "healthy",
      verdict: "pass",
      reason:
        /^BPF FIB redirect on .*worker2: echo requests to 10\.0\.0\.72 leave eth0 of .*worker2 as 02:42:ac:12:00:02 > 02:42:ac:12:00:03.*`to-network ifindex eth0` and no `-> stack`; Ip: ForwDatagrams grew by 0 \(8 → 8\) while 1 echo requests were sent: the kernel did not forward them; host routing BPF\. whether bpf_redirect_neigh or bpf_redirect sent it .* this evidence cannot tell$/,
      facts: {
        redirectNeigh: {
          sourceMac: "02:42:ac:12:00:02",
          peerMac: "02:42:ac:12:00:03",
          nextHopMac: "02:42:ac:12:00:03",
          hostRouting: "BPF",
          trace: ["from-endpoint", "to-network"],
          forwDatagrams: { delta: 0, before: 8, after: 8 },
        },
      },
    },
    {
      title:
        "fails with Legacy host routing: status line, -> stack in the sender's trace and ForwDatagrams growing, though the MACs are the same",
      kase: "legacy-host-routing",
      verdict: "fail",
      reason:
        /^the kernel's IP forwarding carried the echo requests on .*worker2, not Cilium's BPF FIB redirect: cilium-496vl reports "Host Routing: Legacy" in cilium status; its trace hands the echo request to the kernel \(`-> stack flow .*`\); Ip: ForwDatagrams grew by 6 \(2 → 8\) while 1 echo requests were sent: the kernel forwarded them\. .*usual causes/,
    },
    {
      title: "differs with Legacy host routing that the cluster's cilium-config explains",
      kase: "legacy-host-routing",
      ctx: LEGACY_CLUSTER,
      verdict: "differs",
    },
    {
      title:
        "is inconclusive on frames alone (no trace, no counter): the kernel's forwarding writes the same frame",
      kase: "frames-only",
      verdict: "inconclusive",
      reason:
        /the kernel's forwarding writes the same frame and nothing on .*worker2 separates the two: "trace" on cilium-496vl timed out .*; forwarding counter unknown: section "snmp-before" of "source-node" on node-probe-w2m9q is missing/,
    },
    {
      title: "is inconclusive when the trace lost events and no counter was read",
      kase: "trace-lost-no-counter",
      verdict: "inconclusive",
      reason: /the trace stream of cilium-496vl lost 12 events, so a missing event proves nothing/,
    },
    {
      title: "is inconclusive when ForwDatagrams grew and the trace shows nothing of the flow",
      kase: "counter-grew-no-trace",
      verdict: "inconclusive",
      reason:
        /shows no event of the echo requests 10\.0\.2\.40 → 10\.0\.0\.72 \(1 events of other flows\); Ip: ForwDatagrams grew by 6 \(2 → 8\) while 1 echo requests were sent: the kernel may have forwarded them/,
    },
    {
      title: "fails when the next hop is the Docker gateway, not the peer node",
      kase: "via-gateway",
      verdict: "fail",
      reason: /addressed to 02:42:ac:12:00:03 \(eth0 of .*-worker\), saw 02:42:2f:fe:43:35/,
    },
    {
      title: "is inconclusive, never fail, when the answered ping left no plain ICMP in the capture",
      kase: "tunnel",
      verdict: "inconclusive",
      reason: /was answered but the capture on eth0 of \S+ saw no echo request/,
    },
    {
      title: "is inconclusive when the ping got no reply and nothing was captured",
      kase: "no-reply",
      verdict: "inconclusive",
    },
    {
      title: "is inconclusive when the peer's MAC is empty",
      kase: "peer-mac-empty",
      verdict: "inconclusive",
      reason: /"peer-mac"/,
    },
    {
      title: "is inconclusive when the capture timed out",
      kase: "timed-out",
      verdict: "inconclusive",
      reason: /timed out/,
    },
  ]);
});
