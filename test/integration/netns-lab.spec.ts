/**
 * The real check definitions, through the real runner, against a miniature of the lab made of
 * network namespaces (see README.md here), once per datapath mode:
 *
 * - `bpf`: our tc programs (bpf/) deliver into pods with bpf_redirect_peer and out of the node with
 *   bpf_redirect / bpf_redirect_neigh after bpf_fib_lookup; `cilium status` says `Host Routing: BPF`
 *   (the write-up's). Every check that names one of these mechanisms must pass.
 * - `kernel`: the kernel forwards; `cilium status` says `Host Routing: Legacy` (a real one). No check
 *   that names a mechanism may pass: one that does fails this suite.
 *
 * Both: real ping, curl, tcpdump beside traffic, ip route, iptables-save and conntrack, executed with
 * `ip netns exec` by the NetnsExecutor; `Ip: ForwDatagrams` measured around 3 pings per path; every
 * program, qdisc, namespace and veth removed at the end of the run (asserted), and on exit.
 *
 * Runs as root with `ip netns` (skipped otherwise; in CI as root it must run); the bpf mode also
 * skips, saying why, when the kernel refuses to load the programs.
 */
import { strict as assert } from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ALL_CHECKS, redirectNeigh, redirectPeerCrossNode, redirectPeerSameNode } from "../../checks/defs";
import { parseTcpdump } from "../../checks/parse";
import { splitSections } from "../../checks/probes";
import { main as checkMain } from "../../cli/check";
import { ReplayExecutor, type RecordedStep } from "../../runner/recording";
import { runChecks, type RunReport } from "../../runner/runner";
import type { CheckDefinition, CheckResult, ExecResult, LabContext } from "../../checks/types";
import { BPF_TOOLS, bpfRefusal, compileProgram, programLoaded } from "../helpers/bpfDatapath";
import {
  CHECKS,
  MECHANISM_CHECKS,
  OUT_OF_SCOPE,
  STATUS_FILES,
  runMiniature,
  type DatapathMode,
  type MiniatureRun,
} from "../helpers/miniature";
import { lxcName, netnsUsable, namespacesWithPrefix } from "../helpers/netnsLab";

const TOOLS = ["tcpdump", "ping", "curl", "busybox", "python3", "iptables-nft", "conntrack"];

function packetsSeen(output: string, a: string, b: string) {
  const packets = parseTcpdump(output).packets;
  return {
    request: packets.some((p) => p.kind === "echo request" && p.srcIp === a && p.dstIp === b),
    reply: packets.some((p) => p.kind === "echo reply" && p.srcIp === b && p.dstIp === a),
  };
}

/** Why this mode cannot run here (undefined: it can); in CI as root only the kernel's refusal skips. */
function reasonToSkip(mode: DatapathMode, prefix: string, dir: string): string | undefined {
  const ci = Boolean(process.env.CI) && process.getuid?.() === 0;
  if (!netnsUsable(prefix)) {
    if (ci) throw new Error("CI runs as root but `ip netns` does not work: the integration test must run");
    return "not root, or `ip netns` does not work";
  }
  const needed = mode === "bpf" ? [...TOOLS, ...BPF_TOOLS] : TOOLS;
  const missing = needed.filter((t) => spawnSync("sh", ["-c", 'command -v "$1"', "sh", t]).status !== 0);
  if (missing.length > 0) {
    if (process.env.CI) throw new Error(`missing tools: ${missing.join(", ")}`);
    return `missing tools: ${missing.join(", ")}`;
  }
  if (mode !== "bpf") return undefined;
  const object = path.join(dir, "probe.o");
  compileProgram("from_netdev", object);
  const refused = bpfRefusal(prefix, object);
  return refused === undefined ? undefined : `the kernel refuses our tc BPF program: ${refused}`;
}

/**
 * The judge of a check, again, on the kept evidence of the run: as run (`status` "as-run"), with
 * another `cilium status` (a file), or with none (undefined).
 */
function rejudge(run: MiniatureRun, check: CheckDefinition, status: string | undefined | "as-run") {
  const results = new Map<string, ExecResult>(run.keeper.resultsFor(check, run.ctx));
  // redirect-peer-cross-node reads the status from the `status` section of its `trace` step (the
  // destination agent's status + trace exec); redirect-peer-same-node from its `host-routing` step.
  const id = results.has("host-routing") ? "host-routing" : "trace";
  const hr = results.get(id);
  if (status === undefined) results.delete(id);
  else if (status !== "as-run") {
    assert.ok(hr, `no ${id} step in the evidence`);
    const text = fs.readFileSync(status, "utf8");
    const stdout =
      id === "host-routing"
        ? text
        : hr.stdout.replace(
            /(=== status\n)[\s\S]*?(=== exit)/,
            (_m, head: string, tail: string) => `${head}${text.endsWith("\n") ? text : `${text}\n`}${tail}`,
          );
    assert.ok(id === "host-routing" || stdout !== hr.stdout, "no status section in the trace step");
    results.set(id, { ...hr, stdout });
  }
  return check.judge(run.ctx, results);
}

const MECHANISMS: readonly CheckDefinition[] = [redirectPeerSameNode, redirectPeerCrossNode, redirectNeigh];

const PEER_CHECKS = [
  [redirectPeerSameNode, "evescn-a", ["node1"]],
  [redirectPeerCrossNode, "evescn-b", ["node1", "node2"]],
] as const;

describe("integration: the network-namespace miniature's scope", () => {
  it("leaves out only checks that exist, each with its reason, and runs every other one, the mechanism checks included", () => {
    const names = ALL_CHECKS.map((c) => c.name);
    for (const name of Object.keys(OUT_OF_SCOPE)) assert.ok(names.includes(name), `${name} is not a check`);
    assert.deepEqual(
      CHECKS.map((c) => c.name),
      names.filter((n) => OUT_OF_SCOPE[n] === undefined),
    );
    for (const name of MECHANISM_CHECKS)
      assert.ok(
        CHECKS.some((c) => c.name === name),
        name,
      );
  });
});

for (const mode of ["bpf", "kernel"] as const) {
  describe(`integration: the check definitions against the network-namespace miniature, ${mode} datapath`, function () {
    this.timeout(120000);
    const prefix = `labt${process.pid}${mode[0]}-`;
    let run: MiniatureRun;
    let tmp = "";
    const byName = (name: string): CheckResult => {
      const r = run.report.results.find((x) => x.name === name);
      assert.ok(r, `no result for ${name}`);
      return r;
    };
    const podOf = (name: string) => {
      const p = run.ctx.testPods.find((x) => x.name === name);
      assert.ok(p);
      return p;
    };

    before(async function () {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}probe-`));
      const why = reasonToSkip(mode, prefix, tmp);
      if (why !== undefined) {
        console.log(`      skipped (${mode} datapath): ${why}`);
        this.skip();
      }
      const python = spawnSync("python3", ["-c", "import sys; print(sys.executable)"], {
        encoding: "utf8",
      }).stdout.trim();
      run = await runMiniature(mode, prefix, python);
      console.log(
        `      netns miniature (${mode}): built and checked in ${(run.durationMs / 1000).toFixed(1)} s; ${run.report.summary}`,
      );
      for (const r of run.report.results) {
        console.log(`        ${r.verdict.padEnd(12)} ${r.name}: ${r.reason.slice(0, 200)}`);
      }
      console.log(`        ForwDatagrams deltas over 3 pings: ${JSON.stringify(run.forwarded)}`);
      if (mode === "bpf") {
        console.log(`        program counter deltas: ${JSON.stringify(run.redirects)}`);
        console.log(`        program counters over the run: ${JSON.stringify(run.programTotals)}`);
      }
      for (const check of MECHANISMS) {
        console.log(`        facts ${check.name}: ${JSON.stringify(rejudge(run, check, "as-run").facts)}`);
      }
    });

    after(() => {
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
      if (run?.recordingDir) fs.rmSync(run.recordingDir, { recursive: true, force: true });
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

    for (const [check, dst] of PEER_CHECKS) {
      it(`${check.name}: its sanity capture inside the destination pod sees both directions`, () => {
        const sanity = byName(check.name).evidence.find(
          (e) => /-i eth0/.test(e.command) && e.command.includes(`${prefix}${dst} `),
        );
        assert.ok(sanity, "no sanity capture in the evidence");
        const capture = splitSections(sanity.output).get("capture");
        assert.ok(capture);
        assert.deepEqual(packetsSeen(capture.output, run.ctx.client.ip, podOf(dst).ip), {
          request: true,
          reply: true,
        });
      });
    }

    if (mode === "bpf") bpfModeTests(() => run, byName);
    else kernelModeTests(() => run, byName, podOf);

    it("detaches every program and qdisc, then leaves no namespace, veth or program behind", () => {
      assert.deepEqual(run.cleanup, {
        qdiscsLeft: [],
        programsLeft: [],
        namespacesLeft: [],
        linksLeft: [],
        programsLeftAfterDestroy: [],
      });
    });

    it("records the run (--record format) and judges the recording offline with identical verdicts (--replay)", async () => {
      const doc = JSON.parse(fs.readFileSync(path.join(run.recordingDir, "recording.json"), "utf8"));
      assert.equal(doc.version, 1);
      assert.deepEqual(doc.context, run.ctx);
      assert.equal(doc.steps.length, run.recorded.length);
      // The CLI, offline: no kubectl on PATH is needed, nothing is executed.
      let stdout = "";
      let stderr = "";
      const code = await checkMain(["--replay", run.recordingDir, "--output", "json"], {
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
        run.report.results.map((r) => [r.name, r.verdict, r.reason]),
      );
      // The recording holds no kubeconfig and no path of this machine's temp files.
      assert.doesNotMatch(JSON.stringify(doc), /kubeconfig|client-key-data|current-context/);
    });

    it("replays a recording without a step as inconclusive, naming the step", async () => {
      const doc = JSON.parse(fs.readFileSync(path.join(run.recordingDir, "recording.json"), "utf8"));
      const kept = doc.steps.filter((s: RecordedStep) => !(s.check === "ping-cross-node"));
      const replay = await runChecks(CHECKS, doc.context, new ReplayExecutor(kept));
      const ping = replay.results.find((r) => r.name === "ping-cross-node");
      assert.equal(ping?.verdict, "inconclusive");
      assert.match(
        ping?.reason ?? "",
        /the recording has no output for step\(s\) "[^"]+" of ping-cross-node/,
      );
      assert.equal(
        replay.results.find((r) => r.name === "ping-same-node")?.verdict,
        byName("ping-same-node").verdict,
      );
    });

    it("builds and checks within a minute", () => {
      assert.ok(run.durationMs < 60000, `took ${run.durationMs} ms`);
    });
  });
}

type Get = () => MiniatureRun;
type ByName = (name: string) => CheckResult;
type PodOf = (name: string) => LabContext["client"];

/** bpf mode: the mechanisms are there, and the checks that name them pass on that evidence. */
function bpfModeTests(get: Get, byName: ByName): void {
  for (const name of MECHANISM_CHECKS) {
    it(`${name} passes: the mechanism it names runs`, () => {
      const r = byName(name);
      assert.equal(r.verdict, "pass", r.reason);
    });
  }

  for (const [check, dst] of PEER_CHECKS) {
    it(`${check.name}: the source's veth saw only the request, the destination's only the reply`, () => {
      const r = byName(check.name);
      assert.match(
        r.reason,
        new RegExp(`${lxcName("net")}, the host-side veth of source net .*saw only the echo request`),
      );
      assert.match(
        r.reason,
        new RegExp(`${lxcName(dst)}, the host-side veth of destination ${dst} .*saw only the echo reply`),
      );
    });

    it(`${check.name}: the same one-sided captures do not pass under a Legacy status`, () => {
      const j = rejudge(get(), check, STATUS_FILES.kernel);
      assert.notEqual(j.verdict, "pass", j.reason);
    });
  }

  it("redirect-peer-cross-node: the destination's trace (the stub's header, no event) is said to tell nothing, and does not stop the pass", () => {
    const r = byName("redirect-peer-cross-node");
    assert.equal(r.verdict, "pass", r.reason);
    assert.match(
      r.reason,
      /destination trace tells nothing: the trace stream of node2 shows no event of the echo requests/,
    );
  });

  it("redirect-neigh: requests leave node1's eth0 from its MAC to node2's", () => {
    const r = byName("redirect-neigh");
    assert.ok(r.reason.includes(`as ${get().macs.node1} > ${get().macs.node2}`), r.reason);
  });

  it("a run killed by SIGTERM with the datapath attached leaves no namespace and no program", async function () {
    this.timeout(60000);
    const left = await killedMidRun(`labt${process.pid}x-`);
    assert.equal(left.progIds.length, 6);
    assert.deepEqual({ namespaces: left.namespaces, loaded: left.loaded }, { namespaces: [], loaded: [] });
  });

  it("the kernel forwards nothing: Ip: ForwDatagrams stays put on both nodes over 3 pings per path", () => {
    assert.deepEqual(get().forwarded, {
      sameNode: { node1: 0, node2: 0 },
      crossNode: { node1: 0, node2: 0 },
    });
  });

  it("our programs moved every packet: bpf_redirect_peer into each pod, bpf_redirect(_neigh) out of each node", () => {
    const { sameNode, crossNode } = get().redirects;
    const net = `node1/${lxcName("net")}`;
    const a = `node1/${lxcName("evescn-a")}`;
    const b = `node2/${lxcName("evescn-b")}`;
    // same node: 3 requests from net's veth, 3 replies from evescn-a's, each straight into the peer pod
    assert.equal(sameNode[net].redirectPeer, 3, JSON.stringify(sameNode));
    assert.equal(sameNode[a].redirectPeer, 3, JSON.stringify(sameNode));
    // cross node: out of each node after the FIB lookup, into the pod from the receiving eth0
    for (const out of [net, b]) {
      assert.equal(crossNode[out].redirect + crossNode[out].redirectNeigh, 3, JSON.stringify(crossNode));
    }
    assert.equal(crossNode["node2/eth0"].redirectPeer, 3, JSON.stringify(crossNode));
    assert.equal(crossNode["node1/eth0"].redirectPeer, 3, JSON.stringify(crossNode));
    for (const counts of [...Object.values(sameNode), ...Object.values(crossNode)]) {
      assert.equal(counts.toStack, 0, JSON.stringify(get().redirects));
    }
  });
}

/** A process that built the lab and attached the datapath, killed by SIGTERM: what it leaves. */
async function killedMidRun(
  prefix: string,
): Promise<{ progIds: number[]; namespaces: string[]; loaded: number[] }> {
  const child = spawn(
    process.execPath,
    ["-r", "tsx/cjs", path.join(__dirname, "../helpers/bpfExitChild.ts"), prefix],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the child did not attach within 30 s")), 30000);
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("\n")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("exit", () => reject(new Error(`the child exited before attaching: ${out}`)));
  });
  const progIds = JSON.parse(out.split("\n")[0]) as number[];
  child.kill("SIGTERM");
  await exited;
  // the namespaces' devices, qdiscs and programs are freed by the kernel after the names are gone
  let loaded = progIds.filter(programLoaded);
  for (let i = 0; i < 100 && loaded.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    loaded = progIds.filter(programLoaded);
  }
  return { progIds, namespaces: namespacesWithPrefix(prefix), loaded };
}

/** kernel mode: no mechanism is there, and no check that names one may pass. */
function kernelModeTests(get: Get, byName: ByName, podOf: PodOf): void {
  // With today's judges (before issue 22's fix) all three pass here: redirect-peer-* pass under a
  // Legacy status, redirect-neigh reads only MACs. These tests fail until those judges are fixed.
  for (const name of MECHANISM_CHECKS) {
    it(`${name} does not pass: the kernel forwarded, no mechanism ran`, () => {
      const r = byName(name);
      assert.notEqual(r.verdict, "pass", `${name} passed in kernel mode: ${r.reason}`);
    });
  }

  for (const [check, dst, nodes] of PEER_CHECKS) {
    it(`${check.name}: both veths saw both directions, and the same captures fail under a BPF status`, () => {
      const r = byName(check.name);
      const captures = r.evidence.filter((e) => e.command.includes("tcpdump") && e.command.includes("lxc*"));
      assert.equal(captures.length, nodes.length);
      const dstCapture = captures
        .map((e) => splitSections(e.output))
        .flatMap((m) => [...m.values()])
        .find((s) => s.name.startsWith(`veth ${lxcName(dst)} `));
      assert.ok(dstCapture, "no capture of the destination's veth in the evidence");
      assert.deepEqual(packetsSeen(dstCapture.output, get().ctx.client.ip, podOf(dst).ip), {
        request: true,
        reply: true,
      });
      const j = rejudge(get(), check, STATUS_FILES.bpf);
      assert.equal(j.verdict, "fail", j.reason);
      assert.match(
        j.reason,
        new RegExp(
          `expected only the echo reply on ${lxcName(dst)}.*saw the echo request and the echo reply`,
        ),
      );
      assert.equal(rejudge(get(), check, undefined).verdict, "inconclusive");
    });
  }

  it("the kernel forwards every packet: Ip: ForwDatagrams grows by 6 on each node the 3 pings cross", () => {
    assert.deepEqual(get().forwarded, {
      sameNode: { node1: 6, node2: 0 },
      crossNode: { node1: 6, node2: 6 },
    });
  });

  it("redirect-neigh's MACs alone cannot tell: the kernel's frame also goes node1's MAC > node2's", () => {
    const j = rejudge(get(), redirectNeigh, "as-run");
    const facts = j.facts?.redirectNeigh as { sourceMac?: string; nextHopMac?: string } | undefined;
    assert.equal(facts?.sourceMac, get().macs.node1, JSON.stringify(j.facts));
    assert.equal(facts?.nextHopMac, get().macs.node2, JSON.stringify(j.facts));
  });
}
