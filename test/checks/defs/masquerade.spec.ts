import { strict as assert } from "assert";

import { OUTSIDE_IP, bpfMasquerade, natedEntries } from "../../../checks/defs/masquerade";
import { SEED_CONTEXT, judgeCase, runCases } from "./seedContext";

describe("bpf-masquerade", () => {
  it("sends both flows from the client at once, captures them on the client's node device, then reads the node's BPF NAT table", () => {
    const steps = bpfMasquerade.steps(SEED_CONTEXT);
    assert.deepEqual(
      steps.map((s) => [s.id, s.target.pod]),
      [
        ["traffic", "net"],
        ["source-node", "node-probe-w2m9q"],
        ["bpf-nat", "cilium-496vl"],
      ],
    );
    assert.deepEqual(steps[2].argv, ["timeout", "15", "cilium", "bpf", "nat", "list"]);
    assert.deepEqual(steps[2].startAfter, [{ step: "traffic", when: "done" }]);
    assert.match(
      steps[0].argv[2],
      /ping -n -c 3 -w 6 10\.0\.0\.72[\s\S]*curl -sS --max-time 4 .* http:\/\/192\.0\.2\.10:39999\//,
    );
    assert.match(
      steps[1].argv[2],
      /tcpdump -l -p -n -e -i eth0 '\(icmp and host 10\.0\.0\.72\) or \(tcp and dst host 192\.0\.2\.10 and dst port 39999\)'[\s\S]*conntrack -L -p tcp --dport 39999/,
    );
  });

  it("reads a NATed conntrack entry (reply not addressed to the original source)", () => {
    const nated =
      "tcp      6 118 SYN_SENT src=10.0.2.40 dst=192.0.2.10 sport=52110 dport=39999 [UNREPLIED] src=192.0.2.10 dst=172.18.0.2 sport=39999 dport=41234 mark=0 use=1";
    const plain =
      "tcp      6 118 SYN_SENT src=10.0.2.40 dst=192.0.2.10 sport=52110 dport=39999 [UNREPLIED] src=192.0.2.10 dst=10.0.2.40 sport=39999 dport=52110 mark=0 use=1";
    assert.deepEqual(
      natedEntries(`${nated}\n${plain}\nconntrack v1.4.6 (conntrack-tools): 2 flow entries have been shown.`),
      [nated],
    );
  });

  runCases(bpfMasquerade, [
    {
      title:
        "passes when pod traffic keeps the pod IP inside the native CIDR and leaves as the node IP outside it",
      kase: "healthy",
      verdict: "pass",
      reason:
        /traffic to 10\.0\.0\.72 \(inside 10\.0\.0\.0\/8\) leaves eth0 of .*worker2 with the pod's IP 10\.0\.2\.40; traffic to 192\.0\.2\.10:39999 \(outside 10\.0\.0\.0\/8\) leaves .* masqueraded to the node IP 172\.18\.0\.2.*; Cilium's BPF NAT table holds the SNAT of the flow: `TCP OUT 10\.0\.2\.40:41234 -> 192\.0\.2\.10:39999 XLATE_SRC 172\.18\.0\.2:41234 /,
      facts: {
        masquerade: { insideCidrSource: "10.0.2.40", outsideCidrSource: "172.18.0.2", nodeIp: "172.18.0.2" },
      },
    },
    {
      title: "fails when traffic inside the native CIDR is masqueraded",
      kase: "pod-traffic-masqueraded",
      verdict: "fail",
      reason:
        /expected traffic to 10\.0\.0\.72 \(inside 10\.0\.0\.0\/8\) to keep the pod's source 10\.0\.2\.40 .*, saw 172\.18\.0\.2/,
    },
    {
      title: "fails when traffic outside the native CIDR leaves with the pod IP",
      kase: "not-masqueraded",
      verdict: "fail",
      reason: /masqueraded to the node IP 172\.18\.0\.2, saw source 10\.0\.2\.40/,
    },
    {
      title: "fails when netfilter did the SNAT (iptables masquerading)",
      kase: "iptables-masquerading",
      verdict: "fail",
      reason: /holds a NATed entry for 192\.0\.2\.10:39999 .*\(iptables masquerading\)/,
    },
    {
      title: "is inconclusive when no SYN to the outside address was captured",
      kase: "no-syn-seen",
      verdict: "inconclusive",
      reason: /no TCP packet to 192\.0\.2\.10:39999 .* seen on eth0/,
    },
    {
      title: "fails when the node IP on the wire has no BPF NAT entry behind it (not Cilium's SNAT)",
      kase: "no-bpf-nat-entry",
      verdict: "fail",
      reason:
        /expected a BPF NAT entry for 10\.0\.2\.40 → 192\.0\.2\.10:39999 .* in cilium-496vl's `cilium bpf nat list` \(2 entries\), found none/,
    },
    {
      title: "is inconclusive when the BPF NAT table cannot be read",
      kase: "garbled-bpf-nat",
      verdict: "inconclusive",
      reason: /"bpf-nat" on cilium-496vl printed no BPF NAT entry: Error: Unable to open map/,
    },
    { title: "is inconclusive on empty output", kase: "empty", verdict: "inconclusive" },
    {
      title: "is inconclusive when the traffic exec timed out",
      kase: "timed-out",
      verdict: "inconclusive",
      reason: /timed out after 16 s/,
    },
  ]);

  it("is inconclusive when the outside address falls inside the native-routing CIDR", () => {
    const judgement = judgeCase(bpfMasquerade, "healthy", {
      ...SEED_CONTEXT,
      nativeRoutingCidr: "0.0.0.0/0",
    });
    assert.equal(judgement.verdict, "inconclusive");
    assert.match(
      judgement.reason,
      new RegExp(`${OUTSIDE_IP.replace(/\./g, "\\.")} is inside the native-routing CIDR 0\\.0\\.0\\.0/0`),
    );
  });
});
