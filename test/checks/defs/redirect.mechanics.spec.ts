/**
 * Probe mechanics of the bpf_redirect_peer checks against real tools: network namespaces stand in for
 * a node (with lxc* host-side veths and an lxc_health device), the client pod and a test pod. The
 * check's own steps run through the runner's scheduler (traffic once the captures listen) and the NetnsExecutor; the judge reads what
 * tcpdump really printed. Plain kernel forwarding shows both directions on both veths (as Legacy host
 * routing does), so a fake `cilium status` saying BPF must fail, and one saying Legacy must fail too
 * (bpf_redirect_peer is not used) unless the cluster's cilium-config explains it (`differs`).
 *
 * Needs root, `ip`, `tcpdump` and `timeout`; skipped otherwise.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { redirectPeerSameNode } from "../../../checks/defs/redirectPeer";
import { NetnsExecutor } from "../../../runner/localExecutors";
import { runSteps as runRunnerSteps, SYSTEM_CLOCK } from "../../../runner/schedule";
import type { ExecResult, LabContext } from "../../../checks/types";

const PREFIX = `ckdef${process.pid}-`;
const NETNS = ["node", "net", "evescn-jzms5", "agent"];

function sh(cmd: string): boolean {
  return spawnSync("sh", ["-c", cmd], { stdio: "ignore" }).status === 0;
}

function canRun(): boolean {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return false;
  return ["ip -V", "tcpdump --version", "timeout --version"].every(sh);
}

const CTX: LabContext = {
  nodes: [{ name: "n1", role: "worker", internalIp: "10.200.9.9", podCidrs: ["10.200.0.0/24"] }],
  testPods: [{ name: "evescn-jzms5", namespace: "t", node: "n1", ip: "10.200.0.2" }],
  client: { name: "net", namespace: "t", node: "n1", ip: "10.200.0.1" },
  ciliumPods: [{ name: "agent", namespace: "kube-system", node: "n1", ip: "10.200.9.9" }],
  probePods: [{ name: "node", namespace: "t", node: "n1", ip: "10.200.9.9" }],
  kubeProxyPods: [],
  service: { name: "serversvc", clusterIp: "10.96.0.99", port: 8080, nodePort: 32000 },
  nodeDevice: "eth0",
};

function setup(): boolean {
  const n = (name: string): string => `${PREFIX}${name}`;
  const inNs = (ns: string, cmd: string): string => `ip netns exec ${n(ns)} ${cmd}`;
  const cmds = [
    ...NETNS.map((ns) => `ip netns add ${n(ns)}`),
    `ip link add lxcaaa0001 netns ${n("node")} type veth peer name eth0 netns ${n("net")}`,
    `ip link add lxcbbb0002 netns ${n("node")} type veth peer name eth0 netns ${n("evescn-jzms5")}`,
    inNs("node", "ip link add lxc_health type veth peer name health0"),
    inNs("node", "sysctl -qw net.ipv4.ip_forward=1"),
    ...["lo", "lxcaaa0001", "lxcbbb0002", "lxc_health"].map((d) => inNs("node", `ip link set ${d} up`)),
    inNs("node", "ip addr add 10.200.1.1/32 dev lxcaaa0001"),
    inNs("node", "ip addr add 10.200.1.2/32 dev lxcbbb0002"),
    inNs("node", "ip route add 10.200.0.1/32 dev lxcaaa0001"),
    inNs("node", "ip route add 10.200.0.2/32 dev lxcbbb0002"),
    ...[
      ["net", "10.200.0.1", "10.200.1.1"],
      ["evescn-jzms5", "10.200.0.2", "10.200.1.2"],
    ].flatMap(([ns, ip, gw]) => [
      inNs(ns, "ip link set lo up"),
      inNs(ns, "ip link set eth0 up"),
      inNs(ns, `ip addr add ${ip}/32 dev eth0`),
      inNs(ns, `ip route add ${gw} dev eth0 scope link`),
      inNs(ns, `ip route add default via ${gw} dev eth0`),
    ]),
  ];
  return cmds.every(sh);
}

function teardown(): void {
  for (const ns of NETNS) sh(`ip netns del ${PREFIX}${ns} 2>/dev/null`);
}

/** Runs a check's steps as the runner does: the ping once every capture printed "listening on". */
async function runSteps(executor: NetnsExecutor): Promise<Map<string, ExecResult>> {
  const steps = redirectPeerSameNode.steps(CTX);
  const outcome = await runRunnerSteps(
    steps,
    (step, onOutput) =>
      executor.exec(step.target, step.argv, { timeoutSeconds: step.timeoutSeconds, onOutput }),
    { clock: SYSTEM_CLOCK, readyTimeoutMs: 20000 },
  );
  assert.deepEqual(outcome.notStarted, [], "every capture announced that it listens");
  return new Map(outcome.results);
}

/** An executor whose PATH holds a fake `cilium` printing the given host routing mode. */
function executorWith(hostRouting: string, dir: string): NetnsExecutor {
  const bin = path.join(dir, hostRouting);
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(bin, "cilium"), `#!/bin/sh\necho 'Host Routing: ${hostRouting}'\n`, {
    mode: 0o755,
  });
  return new NetnsExecutor({ prefix: PREFIX, env: { PATH: `${bin}:${process.env.PATH ?? ""}` } });
}

describe("redirect-peer-same-node against real veths and tcpdump (network namespaces)", function () {
  this.timeout(60000);
  let ready = false;
  let dir = "";

  before(function () {
    if (!canRun()) this.skip();
    teardown();
    ready = setup();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ckdef-"));
    if (!ready) {
      teardown();
      this.skip();
    }
  });

  after(() => {
    teardown();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("finds both host-side veths by ifindex, skips lxc_health; Legacy host routing never passes", async () => {
    const results = await runSteps(executorWith("Legacy", dir));
    const judgement = redirectPeerSameNode.judge(CTX, results);
    const veths = results.get("veths:n1")?.stdout ?? "";
    assert.doesNotMatch(veths, /lxc_health/);
    assert.equal(judgement.verdict, "fail", `${judgement.reason}\n--- veths ---\n${veths}`);
    assert.match(judgement.reason, /agent reports "Host Routing: Legacy"/);
    assert.match(judgement.reason, /lxcaaa0001, the host-side veth of source net \(n1\) saw both directions/);
    assert.deepEqual(judgement.facts?.redirectPeerSameNode, {
      hostRouting: "Legacy",
      sourceVeth: { dev: "lxcaaa0001", request: true, reply: true },
      destinationVeth: { dev: "lxcbbb0002", request: true, reply: true },
    });
    const explained = redirectPeerSameNode.judge(
      { ...CTX, clusterDifferences: [{ key: "enable-host-legacy-routing", found: "true", lab: "false" }] },
      results,
    );
    assert.equal(explained.verdict, "differs", explained.reason);
  });

  it("fails the BPF expectation when the request crosses the destination's host-side veth", async () => {
    const judgement = redirectPeerSameNode.judge(CTX, await runSteps(executorWith("BPF", dir)));
    assert.equal(judgement.verdict, "fail", judgement.reason);
    assert.match(
      judgement.reason,
      /expected only the echo reply on lxcbbb0002, the host-side veth of destination evescn-jzms5/,
    );
    assert.match(judgement.reason, /expected only the echo request on lxcaaa0001/);
  });
});
