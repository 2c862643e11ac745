/**
 * One run of the network-namespace miniature (test/integration/README.md) in one of two datapath
 * modes, through the real check definitions and runner:
 *
 * - `kernel` (Legacy): the kernel forwards every packet; the agents' status is a real Legacy one.
 * - `bpf`: our tc programs (test/helpers/bpfDatapath.ts) deliver into pods with bpf_redirect_peer and
 *   out of the node after bpf_fib_lookup with bpf_redirect / bpf_redirect_neigh; the agents' status
 *   is the write-up's (`Host Routing: BPF`).
 *
 * A run builds the lab, runs the checks, measures `Ip: ForwDatagrams` (/proc/net/snmp) of each node
 * around 3 same-node and 3 cross-node pings (and, in bpf mode, the programs' counters), then cleans
 * up (programs and qdiscs, then namespaces) and records what was left, for the spec to assert.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ALL_CHECKS } from "../../checks/defs";
import { TRACE_READY } from "../../checks/defs/pathTrace";
import type {
  CheckDefinition,
  ExecResult,
  ExecTarget,
  Executor,
  LabContext,
  LabPod,
} from "../../checks/types";
import { shellJoin } from "../../lib/shell";
import { NetnsExecutor } from "../../runner/localExecutors";
import { toRecordedStep, writeRecording, type RecordedStep } from "../../runner/recording";
import { runChecks, type RunReport } from "../../runner/runner";
import { BpfDatapath, compileProgram, programLoaded, type VerdictCounts } from "./bpfDatapath";
import { MiniLab, lxcName, type MiniLabSpec } from "./netnsLab";

export type DatapathMode = "bpf" | "kernel";

const FIXTURES = path.resolve(__dirname, "../fixtures");

/**
 * What `cilium status` answers on each "agent" per mode: the write-up's status (seed lines 121-141,
 * `Host Routing: BPF`) and a real Legacy one, Cilium 1.11.0 quoted in cilium/cilium#18347 (both
 * listed in their folders' SOURCES.md).
 */
export const STATUS_FILES: Readonly<Record<DatapathMode, string>> = {
  bpf: path.join(FIXTURES, "checks/redirect-peer-same-node/healthy/host-routing.txt"),
  kernel: path.join(FIXTURES, "differs/status-legacy-iptables-issue18347.txt"),
};

/** The checks that name a datapath mechanism: in kernel mode none of them may pass. */
export const MECHANISM_CHECKS = [
  "redirect-peer-same-node",
  "redirect-peer-cross-node",
  "redirect-neigh",
] as const;

/**
 * The checks the miniature cannot run, and why; every other check of the lab runs in both modes.
 */
export const OUT_OF_SCOPE: Readonly<Record<string, string>> = {
  "cilium-agent-status": "reads the agent's full status and configuration; there is no agent",
  "service-table": "reads Cilium's service maps (`cilium service list`); there is none",
  "bpf-attach-points":
    "looks for Cilium's own programs (cil_from_container, cil_from_netdev, …); ours are not Cilium's",
  "bpf-masquerade": "its probe connects to 192.0.2.10, outside the lab, which these tests never contact",
  "nodeport-from-outside":
    "its pass needs the SNAT entry Cilium's BPF NodePort writes (`cilium bpf nat list`); the miniature's NodePort is a userspace forwarder with no such table, so the check could only be inconclusive there, never show the mechanism",
};

export const CHECKS: readonly CheckDefinition[] = ALL_CHECKS.filter(
  (c) => OUT_OF_SCOPE[c.name] === undefined,
);

export function miniSpec(prefix: string): MiniLabSpec {
  return {
    prefix,
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
}

/** The miniature as the checks see it: node namespaces are both the node probes and the "agents". */
export function labContext(spec: MiniLabSpec): LabContext {
  const pod = (name: string, node: string, ip: string, namespace = "default"): LabPod => ({
    name,
    namespace,
    node,
    ip,
  });
  const all = spec.nodes.flatMap((n) => n.pods.map((p) => pod(p.name, n.name, p.ip)));
  return {
    nodes: spec.nodes.map((n) => ({ name: n.name, role: "worker", internalIp: n.ip, podCidrs: [n.podCidr] })),
    testPods: all.filter((p) => p.name.startsWith("evescn-")),
    client: all.find((p) => p.name === "net") as LabPod,
    ciliumPods: spec.nodes.map((n) => pod(n.name, n.name, n.ip, "kube-system")),
    probePods: spec.nodes.map((n) => pod(n.name, n.name, n.ip)),
    kubeProxyPods: [],
    // No service translation here: the "ClusterIP" is a test pod's own address and port, so the
    // clusterip-from-pod definition is the plain HTTP-to-a-pod check.
    service: { name: "serversvc", clusterIp: "10.0.2.10", port: 80, nodePort: spec.nodePort },
    nodeDevice: "eth0",
    nativeRoutingCidr: "10.0.0.0/8",
    // The "nodes" are namespaces of this machine: the node's own binaries are this machine's.
    nodeRoot: "/",
  };
}

/** Wraps an executor and keeps every result, to judge the same evidence again under other claims. */
export class KeepingExecutor implements Executor {
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

/** `Ip: ForwDatagrams` of /proc/net/snmp (a header line of names, then a line of values). */
export function forwDatagrams(snmp: string): number | undefined {
  const ip = snmp.split("\n").filter((l) => l.startsWith("Ip: "));
  if (ip.length < 2) return undefined;
  const names = ip[0].split(/\s+/);
  const values = ip[1].split(/\s+/);
  const i = names.indexOf("ForwDatagrams");
  const n = i < 0 ? NaN : Number(values[i]);
  return Number.isInteger(n) ? n : undefined;
}

export interface Cleanup {
  /** After detaching: devices still holding a clsact qdisc, programs still loaded. */
  readonly qdiscsLeft: readonly string[];
  readonly programsLeft: readonly number[];
  /** After destroying: namespaces of the lab, its veths in this namespace, its programs. */
  readonly namespacesLeft: readonly string[];
  readonly linksLeft: readonly string[];
  readonly programsLeftAfterDestroy: readonly number[];
}

export interface MiniatureRun {
  readonly mode: DatapathMode;
  readonly ctx: LabContext;
  readonly report: RunReport;
  readonly keeper: KeepingExecutor;
  readonly recorded: readonly RecordedStep[];
  readonly recordingDir: string;
  readonly durationMs: number;
  /** eth0 MAC of each node. */
  readonly macs: Readonly<Record<string, string>>;
  /** ForwDatagrams delta of each node over 3 pings, same node (net → evescn-a) and cross node (→ evescn-b). */
  readonly forwarded: Readonly<Record<"sameNode" | "crossNode", Record<string, number>>>;
  /** bpf mode: each attached program's counter deltas over the same pings (`node/dev`). */
  readonly redirects: Readonly<Record<"sameNode" | "crossNode", Record<string, VerdictCounts>>>;
  /** bpf mode: each program's counters over the whole run (checks and pings). */
  readonly programTotals: Readonly<Record<string, VerdictCounts>>;
  readonly cleanup: Cleanup;
}

const PING = (ip: string) => ["ping", "-n", "-q", "-c", "3", "-i", "0.2", "-w", "5", ip];

function diff(a: VerdictCounts, b: VerdictCounts): VerdictCounts {
  return {
    redirectPeer: b.redirectPeer - a.redirectPeer,
    redirect: b.redirect - a.redirect,
    redirectNeigh: b.redirectNeigh - a.redirectNeigh,
    toStack: b.toStack - a.toStack,
  };
}

/** Compiles and attaches the programs: from_container on every lxc, from_netdev on every eth0. */
export function attachDatapath(lab: MiniLab, bpf: BpfDatapath): void {
  const netdev = path.join(lab.dir, "from_netdev.o");
  compileProgram("from_netdev", netdev);
  for (const node of lab.spec.nodes) {
    // Cilium's endpoint map holds each pod's MAC; here the node's neighbour table does, so the
    // FIB lookup towards a local pod succeeds from the first packet.
    for (const pod of node.pods) {
      const mac = lab.exec(pod.name, "cat", "/sys/class/net/eth0/address").trim();
      lab.ip(
        "-n",
        lab.ns(node.name),
        "neigh",
        "replace",
        pod.ip,
        "lladdr",
        mac,
        "dev",
        lxcName(pod.name),
        "nud",
        "permanent",
      );
    }
    const eth0 = Number(lab.exec(node.name, "cat", "/sys/class/net/eth0/ifindex").trim());
    const container = path.join(lab.dir, `from_container-${node.name}.o`);
    compileProgram("from_container", container, { DIRECT_ROUTING_DEV_IFINDEX: eth0 });
    for (const pod of node.pods) bpf.attach(node.name, lxcName(pod.name), "from_container", container);
    bpf.attach(node.name, "eth0", "from_netdev", netdev);
  }
}

/** Builds, checks, measures and cleans up one run of the miniature. */
export async function runMiniature(
  mode: DatapathMode,
  prefix: string,
  python: string,
): Promise<MiniatureRun> {
  const spec = miniSpec(prefix);
  const started = Date.now();
  const lab = new MiniLab(spec);
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}bin-`));
  try {
    lab.build();
    const bpf = new BpfDatapath(lab);
    if (mode === "bpf") attachDatapath(lab, bpf);
    lab.startServices(python);

    // The claim under test: a `cilium` on PATH that answers `cilium status` with the mode's recorded
    // status, and whose `monitor` prints the monitor's ready header (checks/defs/pathTrace.ts
    // TRACE_READY, which gates the traffic) and then no event until interrupted: there is no agent
    // here to trace, so the trace evidence is "no event", never a made-up one. Anything else is refused.
    fs.writeFileSync(
      path.join(bin, "cilium"),
      [
        "#!/bin/sh",
        'if [ "$1" = monitor ]; then',
        `  echo ${shellJoin([TRACE_READY])} >&2`,
        "  trap 'exit 0' INT",
        "  while :; do sleep 1; done",
        "fi",
        `[ "$1" = status ] || { echo "the miniature has no Cilium agent: only 'cilium status' and 'cilium monitor' are answered" >&2; exit 1; }`,
        `exec ${shellJoin(["cat", STATUS_FILES[mode]])}`,
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
    const ctx = labContext(spec);
    const keeper = new KeepingExecutor(
      new NetnsExecutor({ prefix, env: { PATH: `${bin}:${process.env.PATH ?? ""}` } }),
    );
    const recorded: RecordedStep[] = [];
    // the servers take a moment to listen; the HTTP checks retry, this only avoids a first refusal
    await new Promise((r) => setTimeout(r, 500));
    const report = await runChecks(CHECKS, ctx, keeper, {
      onStep: (r) => recorded.push(toRecordedStep(r.check, r.step, r.result)),
    });
    const recordingDir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}rec-`));
    writeRecording(recordingDir, ctx, recorded);
    const durationMs = Date.now() - started;

    const nodes = spec.nodes.map((n) => n.name);
    const macs = Object.fromEntries(
      nodes.map((n) => [n, lab.exec(n, "cat", "/sys/class/net/eth0/address").trim()]),
    );
    const snapshot = () => ({
      forw: Object.fromEntries(
        nodes.map((n) => [n, forwDatagrams(lab.exec(n, "cat", "/proc/net/snmp")) ?? NaN]),
      ),
      counts: Object.fromEntries(bpf.attachments.map((a) => [`${a.node}/${a.dev}`, bpf.counts(a)])),
    });
    const measure = (dstIp: string) => {
      const before = snapshot();
      lab.exec("net", ...PING(dstIp));
      const after = snapshot();
      return {
        forw: Object.fromEntries(nodes.map((n) => [n, after.forw[n] - before.forw[n]])),
        counts: Object.fromEntries(
          Object.keys(after.counts).map((k) => [k, diff(before.counts[k], after.counts[k])]),
        ),
      };
    };
    const same = measure("10.0.1.10");
    const cross = measure("10.0.2.10");
    const programTotals = snapshot().counts;

    await bpf.detach();
    const qdiscsLeft = bpf.qdiscsLeft();
    const programsLeft = bpf.programsLeft();
    lab.destroy();
    fs.rmSync(bin, { recursive: true, force: true });
    const ours = new Set([
      ...spec.nodes.flatMap((n) => n.pods.map((p) => lxcName(p.name))),
      ...nodes.map((_, i) => `vn${i + 1}`),
    ]);
    const links = JSON.parse(
      spawnSync("ip", ["-j", "link", "show"], { encoding: "utf8" }).stdout || "[]",
    ) as {
      ifname: string;
    }[];
    return {
      mode,
      ctx,
      report,
      keeper,
      recorded,
      recordingDir,
      durationMs,
      macs,
      forwarded: { sameNode: same.forw, crossNode: cross.forw },
      redirects: { sameNode: same.counts, crossNode: cross.counts },
      programTotals,
      cleanup: {
        qdiscsLeft,
        programsLeft,
        namespacesLeft: lab.leftovers(),
        linksLeft: links.map((l) => l.ifname).filter((n) => ours.has(n)),
        programsLeftAfterDestroy: bpf.attachments.map((a) => a.progId).filter(programLoaded),
      },
    };
  } finally {
    lab.destroy();
    fs.rmSync(bin, { recursive: true, force: true });
  }
}
