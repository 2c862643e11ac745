/**
 * The real check definitions, through the real runner, against a miniature of the lab made of
 * network namespaces (see README.md here): real ping, curl, tcpdump beside traffic, ip route,
 * iptables-save and conntrack, executed with `ip netns exec` by the NetnsExecutor.
 *
 * Two "nodes" on a bridge (the kind network 172.31.250.0/24), two "pods" each, /32 pod addresses with
 * a default route via the node's cilium_host, forwarding and native routes between the nodes. There is
 * no eBPF here: the kernel forwards, so both directions of a ping cross the host-side veths, and the
 * bpf_redirect_peer checks must FAIL when told the host routing is BPF.
 *
 * Runs as root with `ip netns` (skipped otherwise; in CI as root it must run). Every namespace and
 * process is removed in `after`, and on process exit as a last resort.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  clusteripFromPod,
  noKubeProxy,
  nodeRoutes,
  nodeportFromPod,
  pingCrossNode,
  pingSameNode,
  podAddressing,
  redirectNeigh,
  redirectPeerCrossNode,
  redirectPeerSameNode,
} from "../../checks/defs";
import { NetnsExecutor } from "../../runner/localExecutors";
import { parseTcpdump } from "../../checks/parse";
import { splitSections } from "../../checks/probes";
import { runChecks, type RunReport } from "../../runner/runner";
import { ReplayExecutor, toRecordedStep, writeRecording, type RecordedStep } from "../../runner/recording";
import { main as checkMain } from "../../cli/check";
import type {
  CheckDefinition,
  CheckResult,
  ExecResult,
  ExecTarget,
  Executor,
  LabContext,
  LabPod,
} from "../../checks/types";
import { MiniLab, lxcName, netnsUsable, type MiniLabSpec } from "../helpers/netnsLab";

const PREFIX = `labt${process.pid}-`;
const FIXTURES = path.resolve(__dirname, "../fixtures/checks");

const SPEC: MiniLabSpec = {
  prefix: PREFIX,
  network: "172.31.250.0/24",
  nodePort: 32000,
  nodes: [
    {
      name: "node1",
      ip: "172.31.250.2",
      podCidr: "10.0.1.0/24",
      gateway: "10.0.1.1",
      pods: [
        { name: "net", ip: "10.0.1.11" },
        { name: "evescn-a", ip: "10.0.1.10", http: true },
      ],
      nodePortBackend: "10.0.1.10",
    },
    {
      name: "node2",
      ip: "172.31.250.3",
      podCidr: "10.0.2.0/24",
      gateway: "10.0.2.1",
      pods: [
        { name: "evescn-b", ip: "10.0.2.10", http: true },
        { name: "evescn-c", ip: "10.0.2.11", http: true },
      ],
      nodePortBackend: "10.0.2.10",
    },
  ],
};

/** The miniature as the checks see it: node namespaces are both the node probes and the "agents". */
function labContext(): LabContext {
  const pod = (name: string, node: string, ip: string, namespace = "default"): LabPod => ({
    name,
    namespace,
    node,
    ip,
  });
  const all = SPEC.nodes.flatMap((n) => n.pods.map((p) => pod(p.name, n.name, p.ip)));
  return {
    nodes: SPEC.nodes.map((n) => ({ name: n.name, role: "worker", internalIp: n.ip, podCidrs: [n.podCidr] })),
    testPods: all.filter((p) => p.name.startsWith("evescn-")),
    client: all.find((p) => p.name === "net") as LabPod,
    ciliumPods: SPEC.nodes.map((n) => pod(n.name, n.name, n.ip, "kube-system")),
    probePods: SPEC.nodes.map((n) => pod(n.name, n.name, n.ip)),
    kubeProxyPods: [],
    // No service translation here: the "ClusterIP" is a test pod's own address and port, so the
    // clusterip-from-pod definition is the plain HTTP-to-a-pod check.
    service: { name: "serversvc", clusterIp: "10.0.2.10", port: 80, nodePort: SPEC.nodePort },
    nodeDevice: "eth0",
    nativeRoutingCidr: "10.0.0.0/8",
    // The "nodes" are namespaces of this machine: the node's own binaries are this machine's.
    nodeRoot: "/",
  };
}

const CHECKS: readonly CheckDefinition[] = [
  podAddressing,
  nodeRoutes,
  pingSameNode,
  pingCrossNode,
  clusteripFromPod,
  nodeportFromPod,
  noKubeProxy,
  redirectPeerSameNode,
  redirectPeerCrossNode,
  redirectNeigh,
];

/** Wraps an executor and keeps every result, to judge the same evidence again under other claims. */
class KeepingExecutor implements Executor {
  readonly results = new Map<string, ExecResult>();
  constructor(private readonly inner: Executor) {}
  static key(target: ExecTarget, argv: readonly string[]): string {
    return JSON.stringify([target.pod, target.container ?? "", ...argv]);
  }
  async exec(target: ExecTarget, argv: readonly string[], opts: { timeoutSeconds: number }) {
    const r = await this.inner.exec(target, argv, opts);
    this.results.set(KeepingExecutor.key(target, argv), r);
    return r;
  }
  /** The results of a check's steps, as the runner handed them to its judge. */
  resultsFor(check: CheckDefinition, ctx: LabContext): Map<string, ExecResult> {
    const map = new Map<string, ExecResult>();
    for (const s of check.steps(ctx)) {
      const r = this.results.get(KeepingExecutor.key(s.target, s.argv));
      if (r !== undefined) map.set(s.id, r);
    }
    return map;
  }
}

function packetsSeen(output: string, a: string, b: string) {
  const packets = parseTcpdump(output).packets;
  return {
    request: packets.some((p) => p.kind === "echo request" && p.srcIp === a && p.dstIp === b),
    reply: packets.some((p) => p.kind === "echo reply" && p.srcIp === b && p.dstIp === a),
  };
}

describe("integration: the check definitions against a network-namespace miniature of the lab", function () {
  this.timeout(120000);
  let lab: MiniLab | undefined;
  let bin = "";
  let report: RunReport;
  let keeper: KeepingExecutor;
  let ctx: LabContext;
  let durationMs = 0;
  const recorded: RecordedStep[] = [];
  let recordingDir = "";
  const byName = (name: string): CheckResult => {
    const r = report.results.find((x) => x.name === name);
    assert.ok(r, `no result for ${name}`);
    return r;
  };

  before(async function () {
    if (!netnsUsable(PREFIX)) {
      if (process.env.CI && process.getuid?.() === 0) {
        throw new Error("CI runs as root but `ip netns` does not work: the integration test must run");
      }
      this.skip();
    }
    const missing = ["tcpdump", "ping", "curl", "busybox", "python3", "iptables-nft", "conntrack"].filter(
      (t) => spawnSync("sh", ["-c", `command -v ${t}`]).status !== 0,
    );
    if (missing.length > 0) {
      if (process.env.CI) throw new Error(`missing tools: ${missing.join(", ")}`);
      this.skip();
    }
    const python = spawnSync("python3", ["-c", "import sys; print(sys.executable)"], {
      encoding: "utf8",
    }).stdout.trim();

    const started = Date.now();
    lab = new MiniLab(SPEC);
    lab.build();
    lab.startServices(python);

    // The claim under test: a `cilium` on PATH that reports BPF host routing (the seed's status
    // text), and whose `monitor` prints its header and then no event until interrupted (there is no
    // eBPF here to trace). Nothing else of Cilium exists here; only the redirect checks read it.
    bin = fs.mkdtempSync(path.join(os.tmpdir(), `${PREFIX}bin-`));
    const status = path.join(FIXTURES, "redirect-peer-same-node/healthy/host-routing.txt");
    fs.writeFileSync(
      path.join(bin, "cilium"),
      [
        "#!/bin/sh",
        'if [ "$1" = monitor ]; then',
        "  echo 'Press Ctrl-C to quit' >&2",
        "  trap 'exit 0' INT",
        "  while :; do sleep 1; done",
        "fi",
        `exec cat '${status}'`,
        "",
      ].join("\n"),
      { mode: 0o755 },
    );

    ctx = labContext();
    keeper = new KeepingExecutor(
      new NetnsExecutor({ prefix: PREFIX, env: { PATH: `${bin}:${process.env.PATH ?? ""}` } }),
    );
    // the servers take a moment to listen; the HTTP checks retry, this only avoids a first refusal
    await new Promise((r) => setTimeout(r, 500));
    report = await runChecks(CHECKS, ctx, keeper, {
      onStep: (r) => recorded.push(toRecordedStep(r.check, r.step, r.result)),
    });
    recordingDir = fs.mkdtempSync(path.join(os.tmpdir(), `${PREFIX}rec-`));
    writeRecording(recordingDir, ctx, recorded);
    durationMs = Date.now() - started;
    console.log(
      `      netns miniature: built and checked in ${(durationMs / 1000).toFixed(1)} s; ${report.summary}`,
    );
    for (const r of report.results) {
      console.log(`        ${r.verdict.padEnd(12)} ${r.name}: ${r.reason.slice(0, 160)}`);
    }
  });

  after(() => {
    lab?.destroy();
    if (bin) fs.rmSync(bin, { recursive: true, force: true });
    if (recordingDir) fs.rmSync(recordingDir, { recursive: true, force: true });
    const left = lab?.leftovers() ?? [];
    if (left.length > 0) throw new Error(`namespaces left behind: ${left.join(", ")}`);
  });

  it("gives the client a /32 on eth0 and a default route via its node's cilium_host (pod-addressing passes)", () => {
    const r = byName("pod-addressing");
    assert.equal(r.verdict, "pass", r.reason);
    assert.match(
      r.reason,
      /net has 10\.0\.1\.11\/32 on eth0; default route via 10\.0\.1\.1, cilium_host of node1/,
    );
  });

  it("routes each node's pod CIDR via the peer node on eth0 (node-routes passes)", () => {
    const r = byName("node-routes");
    assert.equal(r.verdict, "pass", r.reason);
    assert.match(r.reason, /\(2 routes\)/);
  });

  it("pings a pod on the same node with ttl 63 and one on the other node with ttl 62 (ping checks pass)", () => {
    const same = byName("ping-same-node");
    const cross = byName("ping-cross-node");
    assert.equal(same.verdict, "pass", same.reason);
    assert.equal(cross.verdict, "pass", cross.reason);
    assert.match(same.reason, /net → evescn-a \(10\.0\.1\.10, node1\): 3\/3 replies, 0% loss.*ttl 63/);
    assert.match(cross.reason, /net → evescn-b \(10\.0\.2\.10, node2\): 3\/3 replies, 0% loss.*ttl 62/);
  });

  it("gets the test server's answer over HTTP from a pod on the other node (pod IP:80)", () => {
    const r = byName("clusterip-from-pod");
    assert.equal(r.verdict, "pass", r.reason);
    assert.match(r.reason, /http:\/\/10\.0\.2\.10:80\/ → evescn-b \(10\.0\.2\.10\)/);
    assert.match(r.evidence[0].output, /PodName: evescn-b \| PodIP: eth0 10\.0\.2\.10\/32/);
    assert.match(r.evidence[0].output, /^10\.0\.2\.10:80 200$/m);
  });

  it("answers on every node's port 32000 through the userspace forwarders (nodeport-from-pod passes)", () => {
    const r = byName("nodeport-from-pod");
    assert.equal(r.verdict, "pass", r.reason);
  });

  it("reads both iptables backends with the node's binaries, nftables and conntrack in the node namespaces: no kube-proxy rules, no entries", () => {
    const r = byName("no-kube-proxy");
    assert.equal(r.verdict, "pass", r.reason);
    assert.match(r.reason, /in use: nf_tables\)/);
    const dump = r.evidence.find((e) => e.command.includes("iptables-nft-save"));
    assert.ok(dump);
    assert.match(dump.output, /:LABT-FORWARD - \[0:0\]/);
    assert.match(dump.output, /flow entries have been shown/);
  });

  for (const [name, dst, nodes] of [
    ["redirect-peer-same-node", "evescn-a", ["node1"]],
    ["redirect-peer-cross-node", "evescn-b", ["node1", "node2"]],
  ] as const) {
    it(`${name}: FAILS, since without eBPF the destination's host-side veth sees both directions`, () => {
      const r = byName(name);
      const dstPod = ctx.testPods.find((p) => p.name === dst);
      assert.ok(dstPod);
      assert.equal(r.verdict, "fail", r.reason);
      assert.match(
        r.reason,
        new RegExp(
          `expected only the echo reply on ${lxcName(dst)}, the host-side veth of destination ${dst} \\(${dstPod.node}\\) .*saw the echo request and the echo reply`,
        ),
      );
      assert.match(
        r.reason,
        new RegExp(
          `expected only the echo request on ${lxcName("net")}, the host-side veth of source net .*saw the echo request and the echo reply`,
        ),
      );
      // the captures are the evidence: one per node, the lxc devices labelled by ifindex
      const captures = r.evidence.filter((e) => e.command.includes("tcpdump") && e.command.includes("lxc*"));
      assert.equal(captures.length, nodes.length);
      const dstCapture = captures
        .map((e) => splitSections(e.output))
        .flatMap((m) => [...m.values()])
        .find((s) => s.name.startsWith(`veth ${lxcName(dst)} `));
      assert.ok(dstCapture, "no capture of the destination's veth in the evidence");
      assert.deepEqual(packetsSeen(dstCapture.output, ctx.client.ip, dstPod.ip), {
        request: true,
        reply: true,
      });
    });

    it(`${name}: its sanity capture inside the destination pod sees both directions`, () => {
      const r = byName(name);
      const dstPod = ctx.testPods.find((p) => p.name === dst);
      assert.ok(dstPod);
      const sanity = r.evidence.find(
        (e) => /-i eth0/.test(e.command) && e.command.includes(`${PREFIX}${dst} `),
      );
      assert.ok(sanity, "no sanity capture in the evidence");
      const capture = splitSections(sanity.output).get("capture");
      assert.ok(capture);
      assert.deepEqual(packetsSeen(capture.output, ctx.client.ip, dstPod.ip), { request: true, reply: true });
    });

    it(`${name}: the same captures are inconclusive without a host-routing claim, fail under a Legacy claim, differ where the cluster's config explains it`, () => {
      const check = name === "redirect-peer-same-node" ? redirectPeerSameNode : redirectPeerCrossNode;
      const results = keeper.resultsFor(check, ctx);
      const unknown = new Map(results);
      unknown.delete("host-routing");
      assert.equal(check.judge(ctx, unknown).verdict, "inconclusive");
      const legacy = new Map(results);
      const legacyStatus = fs.readFileSync(
        path.join(FIXTURES, "redirect-peer-same-node/legacy-host-routing/host-routing.txt"),
        "utf8",
      );
      const hr = legacy.get("host-routing");
      assert.ok(hr);
      legacy.set("host-routing", { ...hr, stdout: legacyStatus });
      const j = check.judge(ctx, legacy);
      assert.equal(j.verdict, "fail", j.reason);
      assert.match(j.reason, /reports "Host Routing: Legacy".*saw both directions/);
      const explained = check.judge(
        { ...ctx, clusterDifferences: [{ key: "enable-host-legacy-routing", found: "true", lab: "false" }] },
        legacy,
      );
      assert.equal(explained.verdict, "differs", explained.reason);
    });
  }

  it("does not pass redirect-neigh on plain kernel routing: the frame is right, but node1's ForwDatagrams grew and no trace shows the BPF path", () => {
    const r = byName("redirect-neigh");
    assert.equal(r.verdict, "inconclusive", r.reason);
    const mac = lab?.exec("node2", "cat", "/sys/class/net/eth0/address").trim();
    assert.ok(mac && r.reason.includes(mac), r.reason);
    assert.match(r.reason, /the kernel's forwarding writes the same frame/);
    assert.match(
      r.reason,
      /Ip: ForwDatagrams grew by \d+ \(\d+ → \d+\) while 3 echo requests were sent: the kernel may have forwarded them/,
    );
    assert.match(r.reason, /shows no event of the echo requests/);
  });

  it("records the run (--record format) and judges the recording offline with identical verdicts (--replay)", async () => {
    const doc = JSON.parse(fs.readFileSync(path.join(recordingDir, "recording.json"), "utf8"));
    assert.equal(doc.version, 1);
    assert.deepEqual(doc.context, ctx);
    assert.deepEqual(Object.keys(doc.steps[0]).sort(), [
      "argv",
      "check",
      "container",
      "durationMs",
      "exitCode",
      "pod",
      "stderr",
      "stdout",
      "step",
      "timedOut",
    ]);
    assert.equal(doc.steps.length, recorded.length);
    // The CLI, offline: no kubectl on PATH is needed, nothing is executed.
    let stdout = "";
    let stderr = "";
    const code = await checkMain(["--replay", recordingDir, "--output", "json"], {
      stdout: { write: (t: string) => (stdout += t), isTTY: false },
      stderr: { write: (t: string) => (stderr += t) },
      env: { PATH: "/nonexistent" },
      loadDefinitions: () => CHECKS,
      handleSignals: false,
    });
    assert.equal(code, 0, stderr);
    const replayed = JSON.parse(stdout) as RunReport;
    assert.deepEqual(
      replayed.results.map((r) => [r.name, r.verdict, r.reason]),
      report.results.map((r) => [r.name, r.verdict, r.reason]),
    );
    // The recording holds no kubeconfig and no path of this machine's temp files.
    assert.doesNotMatch(JSON.stringify(doc), /kubeconfig|client-key-data|current-context/);
  });

  it("replays a recording without a step as inconclusive, naming the step", async () => {
    const doc = JSON.parse(fs.readFileSync(path.join(recordingDir, "recording.json"), "utf8"));
    const kept = doc.steps.filter((s: RecordedStep) => !(s.check === "ping-cross-node"));
    const replay = await runChecks(CHECKS, doc.context, new ReplayExecutor(kept));
    const ping = replay.results.find((r) => r.name === "ping-cross-node");
    assert.equal(ping?.verdict, "inconclusive");
    assert.match(ping?.reason ?? "", /the recording has no output for step\(s\) "[^"]+" of ping-cross-node/);
    const same = replay.results.find((r) => r.name === "ping-same-node");
    assert.equal(same?.verdict, byName("ping-same-node").verdict);
  });

  it(`builds, checks and is done within a minute`, () => {
    assert.ok(durationMs < 60000, `took ${durationMs} ms`);
  });
});
