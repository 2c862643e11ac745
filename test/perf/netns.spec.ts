import { strict as assert } from "assert";
import { execFileSync, spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as path from "path";

import { NetnsExecutor } from "../../runner/localExecutors";
import { runPerformance } from "../../perf/runner";
import type { Performance } from "../../perf/types";
import type { LabContext, LabPod } from "../../checks/types";

/**
 * The performance runner end to end with real iperf3, ping and curl, in a small routed lab of network
 * namespaces that this spec creates and always removes:
 *
 *   net (10.1.1.2) ─veth─ probe-1 [node 1, 172.31.0.1] ─veth─ probe-2 [node 2, 172.31.0.2] ─veth─ evescn-b (10.2.1.2)
 *   evescn-a (10.1.2.2) ─veth─ probe-1
 *
 * Each node namespace routes the other node's pod range via the other node's address (native routing,
 * as in the lab), and serves HTTP on its node IP at the NodePort (python3 -m http.server).
 * NetnsExecutor runs a step in the namespace named after the target pod.
 */
const prefix = `perf-${process.pid}-`;
const NS = ["net", "evescn-a", "evescn-b", "probe-1", "probe-2"].map((n) => `${prefix}${n}`);
const [NET, PA, PB, N1, N2] = NS;
const NODE_PORT = 32080;

function has(tool: string): boolean {
  return (process.env.PATH ?? "").split(":").some((d) => d !== "" && fs.existsSync(path.join(d, tool)));
}

function canRun(): boolean {
  return process.getuid?.() === 0 && ["ip", "iperf3", "ping", "curl", "python3"].every(has);
}

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: "pipe" });
}

/** veth between two namespaces, addresses on both ends, both ends up. */
function link(nsA: string, devA: string, addrA: string, nsB: string, devB: string, addrB: string): void {
  ip("-n", nsA, "link", "add", devA, "type", "veth", "peer", "name", devB, "netns", nsB);
  ip("-n", nsA, "addr", "add", addrA, "dev", devA);
  ip("-n", nsB, "addr", "add", addrB, "dev", devB);
  ip("-n", nsA, "link", "set", devA, "up");
  ip("-n", nsB, "link", "set", devB, "up");
}

const pod = (name: string, node: string, podIp: string): LabPod => ({
  name,
  namespace: "default",
  node,
  ip: podIp,
});

const CTX: LabContext = {
  nodes: [
    { name: "node-1", role: "worker", internalIp: "172.31.0.1", podCidrs: ["10.1.0.0/16"] },
    { name: "node-2", role: "worker", internalIp: "172.31.0.2", podCidrs: ["10.2.0.0/16"] },
  ],
  testPods: [pod("evescn-a", "node-1", "10.1.2.2"), pod("evescn-b", "node-2", "10.2.1.2")],
  client: pod("net", "node-1", "10.1.1.2"),
  ciliumPods: [],
  probePods: [pod("probe-1", "node-1", "172.31.0.1"), pod("probe-2", "node-2", "172.31.0.2")],
  kubeProxyPods: [],
  service: { name: "serversvc", clusterIp: "10.96.0.10", port: 8080, nodePort: NODE_PORT },
  nodeDevice: "eth0",
  nativeRoutingCidr: "10.0.0.0/8",
};

describe("runPerformance end to end in network namespaces", function () {
  this.timeout(90_000);
  let http: ChildProcess | undefined;
  let perf: Performance;

  before(async function () {
    if (!canRun()) this.skip();
    for (const ns of NS) ip("netns", "add", ns);
    for (const ns of NS) ip("-n", ns, "link", "set", "lo", "up");
    link(N1, "eth0", "172.31.0.1/24", N2, "eth0", "172.31.0.2/24");
    link(NET, "eth0", "10.1.1.2/24", N1, "lxcnet", "10.1.1.1/24");
    link(PA, "eth0", "10.1.2.2/24", N1, "lxca", "10.1.2.1/24");
    link(PB, "eth0", "10.2.1.2/24", N2, "lxcb", "10.2.1.1/24");
    ip("-n", NET, "route", "add", "default", "via", "10.1.1.1");
    ip("-n", PA, "route", "add", "default", "via", "10.1.2.1");
    ip("-n", PB, "route", "add", "default", "via", "10.2.1.1");
    ip("-n", N1, "route", "add", "10.2.0.0/16", "via", "172.31.0.2");
    ip("-n", N2, "route", "add", "10.1.0.0/16", "via", "172.31.0.1");
    for (const ns of [N1, N2])
      execFileSync("ip", ["netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=1"]);

    // The "NodePort": an HTTP server on node 1's address.
    http = spawn(
      "ip",
      ["netns", "exec", N1, "python3", "-m", "http.server", String(NODE_PORT), "--bind", "172.31.0.1"],
      {
        stdio: "ignore",
      },
    );
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        execFileSync("ip", [
          "netns",
          "exec",
          NET,
          "curl",
          "-s",
          "-o",
          "/dev/null",
          "--max-time",
          "1",
          `http://172.31.0.1:${NODE_PORT}/`,
        ]);
        break;
      } catch {
        if (Date.now() > deadline) throw new Error("the HTTP server in the node namespace did not start");
        await new Promise((r) => setTimeout(r, 200));
      }
    }

    perf = await runPerformance(CTX, new NetnsExecutor({ prefix }), {
      durationSeconds: 1,
      streams: 1,
      pingSamples: 5,
      serverStartDelayMs: 500,
    });
  });

  after(() => {
    if (http?.pid !== undefined) {
      try {
        process.kill(http.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    for (const ns of NS) {
      if (fs.existsSync(`/run/netns/${ns}`)) {
        try {
          execFileSync("ip", ["netns", "del", ns], { stdio: "pipe" });
        } catch {
          // keep removing the others
        }
      }
    }
  });

  it("measures all four pairs", () => {
    assert.equal(
      perf.summary,
      "4/4 pairs measured",
      JSON.stringify(perf.pairs.map((p) => [p.name, p.reason])),
    );
  });

  it("reports positive throughput for the three iperf3 pairs and none for the NodePort", () => {
    for (const name of ["pod-to-pod-same-node", "pod-to-pod-cross-node", "node-to-node"]) {
      const p = perf.pairs.find((x) => x.name === name)!;
      assert.ok(p.throughputMbps !== undefined && p.throughputMbps > 0, `${name}: ${p.reason}`);
      assert.ok(p.retransmits !== undefined && p.retransmits >= 0);
    }
    assert.equal(perf.pairs.find((x) => x.name === "pod-to-nodeport")?.throughputMbps, undefined);
  });

  it("reports positive, ordered latency percentiles over every sample", () => {
    for (const p of perf.pairs) {
      assert.equal(p.samples, 5, `${p.name}: ${p.reason}`);
      assert.ok(p.rttP50Ms! > 0 && p.rttP50Ms! <= p.rttP90Ms! && p.rttP90Ms! <= p.rttP99Ms!, p.name);
    }
  });

  it("keeps each command as run and its raw output as evidence", () => {
    const cross = perf.pairs.find((x) => x.name === "pod-to-pod-cross-node")!;
    assert.deepEqual(
      cross.evidence.map((e) => e.command.split(" ").slice(0, 5).join(" ")),
      [`ip netns exec ${PB} timeout`, `ip netns exec ${NET} sh`, `ip netns exec ${NET} ping`],
    );
    assert.match(cross.evidence[1].output, /"sum_received"/);
    assert.match(cross.evidence[2].output, /5 packets transmitted, 5 received/);
    const nodePort = perf.pairs.find((x) => x.name === "pod-to-nodeport")!;
    assert.match(nodePort.evidence[0].output, /^sample 200 /m);
  });

  it("computes the ratios against the node-to-node pair", () => {
    for (const key of ["crossNodePodVsNode", "sameNodePodVsNode", "crossNodePodVsNodeRttP50"] as const) {
      assert.ok(perf.ratios[key] !== undefined && perf.ratios[key]! > 0, key);
    }
  });
});
