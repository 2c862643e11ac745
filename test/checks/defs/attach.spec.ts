import { strict as assert } from "assert";

import { bpfAttachPoints, isDeviceProgram, isVethProgram } from "../../../checks/defs/attach";
import { SEED_CONTEXT, runCases } from "./seedContext";

describe("bpf-attach-points", () => {
  it("runs one script per node in the agent: tc on the device, the endpoint map, tc on every lxc, bpftool", () => {
    const steps = bpfAttachPoints.steps(SEED_CONTEXT);
    assert.equal(steps.length, 3);
    const script = steps[0].argv[2];
    assert.match(script, /tc filter show dev eth0 ingress[\s\S]*tc filter show dev eth0 egress/);
    assert.match(script, /cilium endpoint list -o 'jsonpath=\{range \[\*\]\}/);
    assert.match(script, /for path in \/sys\/class\/net\/lxc\*; do/);
    assert.match(script, /bpftool net show/);
    assert.equal(steps[0].target.container, "cilium-agent");
  });

  it("recognises Cilium's program names of every generation", () => {
    assert.ok(isDeviceProgram("cilium-eth0", "eth0", "ingress"));
    assert.ok(isDeviceProgram("cil_from_netdev", "eth0", "ingress"));
    assert.ok(isDeviceProgram("cil_to_netdev-eth0", "eth0", "egress"));
    assert.ok(isDeviceProgram("bpf_host.o:[from-netdev]", "eth0", "ingress"));
    assert.ok(!isDeviceProgram("cil_to_netdev", "eth0", "ingress"));
    assert.ok(!isDeviceProgram("cilium-eth1", "eth0", "ingress"));
    assert.ok(isVethProgram("cilium-lxcbf5cb1e7ceb0"));
    assert.ok(isVethProgram("cil_from_container"));
    assert.ok(isVethProgram("bpf_lxc.o:[from-container]"));
    assert.ok(!isVethProgram("cilium-eth0"));
  });

  runCases(bpfAttachPoints, [
    {
      title: "passes on 1.13's tc filters (cilium-eth0 both ways, cilium-lxc... on the test pod's veth)",
      kase: "healthy",
      verdict: "pass",
      reason:
        /worker2: eth0 ingress: cilium-eth0; eth0 egress: cilium-eth0; lxccb7c1b078d26 \(evescn-jzms5\) ingress: cilium-lxccb7c1b078d26/,
      facts: { bpfAttachMode: "tc" },
    },
    {
      title: "passes on tcx attachments that only bpftool shows (Cilium 1.16+ on kernel >= 6.6)",
      kase: "healthy-tcx",
      verdict: "pass",
      reason:
        /eth0 ingress: cil_from_netdev; eth0 egress: cil_to_netdev; lxc56a9c4b40736 \(evescn-q7xhn\) ingress: cil_from_container/,
      facts: { bpfAttachMode: "tcx" },
    },
    {
      title: "fails when the test pod's veth has no program on ingress",
      kase: "veth-without-program",
      verdict: "fail",
      reason:
        /expected a Cilium program \(cilium-lxc\.\.\., cil_from_container\) on lxc56a9c4b40736 ingress \(evescn-q7xhn's veth\) on .*-worker, found no BPF program/,
    },
    {
      title: "fails when the device has nothing on egress",
      kase: "device-egress-missing",
      verdict: "fail",
      reason: /on eth0 egress of .*worker2, found no BPF program/,
    },
    {
      title: "is inconclusive when the test pod's veth cannot be identified",
      kase: "endpoints-unavailable",
      verdict: "inconclusive",
      reason:
        /cannot find the host-side veth of evescn-zx9kk .*cilium endpoint list failed: Error: couldn't found output printer/,
    },
    {
      title: "is inconclusive when tc shows nothing and bpftool is unavailable (could be tcx)",
      kase: "tcx-without-bpftool",
      verdict: "inconclusive",
      reason: /tc showed nothing, and bpftool net show \(where tcx attachments show\) exited with code 127/,
    },
    {
      title:
        "is inconclusive, not fail, when bpftool's output is not bpftool's and tc shows nothing (exit 0)",
      kase: "garbled-bpftool",
      verdict: "inconclusive",
      reason:
        /cannot tell what is attached on eth0 ingress of .*-worker: tc showed nothing, and bpftool net show .* printed output that is not bpftool's/,
    },
    { title: "is inconclusive on empty output", kase: "empty", verdict: "inconclusive" },
    {
      title: "is inconclusive when a node timed out",
      kase: "timed-out",
      verdict: "inconclusive",
      reason: /timed out after 50 s/,
    },
  ]);
});
