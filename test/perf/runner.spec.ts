import { strict as assert } from "assert";

import { RecordedExecutor } from "../../runner/localExecutors";
import type { Discovery } from "../../runner/discoveryTypes";
import { parseIperf3 } from "../../checks/parse/iperf3";
import { PERF_PAIRS } from "../../perf/pairs";
import { planPerformance, runPerformance, summarizePairs } from "../../perf/runner";
import { median, roundOrders } from "../../perf/stats";
import { withAbba } from "../../perf/abba";
import { choosePinning, parseCpuList, parseCpuProbe } from "../../perf/cpus";
import type { PerfPair } from "../../perf/types";
import type { LabContext } from "../../checks/types";
import {
  assertAbbaBlock,
  isFortioServer,
  clientTo,
  fixture,
  healthy,
  isBusyPing,
  isClient,
  isCurl,
  isIdlePing,
  isNproc,
  isServer,
  NOISY,
  QUIET,
  FAST,
  SEED,
  SeriesExecutor,
} from "./helpers";

function pair(pairs: readonly PerfPair[], name: string): PerfPair {
  const p = pairs.find((x) => x.name === name);
  assert.ok(p, `no pair ${name}`);
  return p;
}

const fig = (p: PerfPair, name: string) => p.figures.find((f) => f.name === name);
const mbps = (raw: string): number => parseIperf3(raw).receivedMbps!;
/** The cross-node pods' address and the other node's, in the seed lab. */
const CROSS = "10.0.0.72";
const NODE = "172.18.0.3";

describe("runPerformance (recorded outputs, rounds)", () => {
  it("measures every pair once per round in the recorded seeded order, and keeps every round's evidence", async () => {
    const ex = new SeriesExecutor(healthy(), [{ match: (_t, a) => isClient(a), outputs: QUIET }]);
    const perf = await runPerformance(SEED, ex, FAST);
    assert.equal(perf.summary, "4/4 pairs measured");
    const names = PERF_PAIRS.map((p) => p.name);
    assert.deepEqual(
      perf.order,
      roundOrders(names, 3, 7).map((r) => withAbba(r)),
    );
    // Within each round the ratio's pairs run A-B-B-A, one block, the others once.
    for (const round of perf.order) {
      assertAbbaBlock(round);
      assert.equal(round.length, 6);
    }
    assert.notDeepEqual(roundOrders(names, 3, 7), roundOrders(names, 3, 8));
    // The calls follow that order: the CPU probes (one per pod a pair uses), then per round each
    // pair's measurements.
    const calls = ex.base.calls;
    const probes = calls.findIndex((c) => !isNproc(c.argv));
    assert.equal(probes, 5, "net, the two peers' test pods, the two nodes' probes");
    const pairOf = (argv: readonly string[]): string | undefined => {
      const text = argv.join(" ");
      if (isCurl(argv)) return "pod-to-nodeport";
      if (text.includes(NODE)) return "node-to-node";
      if (text.includes(CROSS)) return "pod-to-pod-cross-node";
      if (text.includes("10.0.2.202")) return "pod-to-pod-same-node";
      return undefined;
    };
    const seen = calls
      .slice(probes)
      .filter((c) => !isServer(c.argv) && !isFortioServer(c.argv))
      .map((c) => pairOf(c.argv));
    const expected = perf.order.flat().flatMap((n) =>
      // iperf3 client, fortio TCP_RR and TCP_CRR, busy and idle ping.
      n === "pod-to-nodeport"
        ? [n]
        : n === "node-to-node" || n.startsWith("pod-to-pod")
          ? [n, n, n, n, n]
          : [],
    );
    assert.deepEqual(seen, expected);
    for (const p of perf.pairs) {
      assert.equal(p.rounds, 3, p.name);
      assert.ok(
        p.evidence.some((e) => e.command.startsWith("[round 3] ")),
        p.name,
      );
    }
    assert.deepEqual(perf.host, {
      cpus: 2,
      // Two CPUs (0-1 allowed everywhere): the client gets CPU 1, and the server has no CPU left that
      // is neither 0 nor the client's, so nothing is pinned (perf/cpus.ts).
      pinning: ["pod-to-pod-same-node", "pod-to-pod-cross-node", "node-to-node"]
        .map(
          (n) =>
            `${n}: not pinned (the server pod has no CPU other than 0 and the client's 1); CPU use is reported`,
        )
        .join("; "),
    });
  });

  it("gives throughput as the median of the rounds with their min–max, and the CPU of both sides", async () => {
    const ex = new SeriesExecutor(healthy(), [{ match: (_t, a) => isClient(a), outputs: QUIET }]);
    const perf = await runPerformance(SEED, ex, { ...FAST, only: ["node-to-node"] });
    const p = perf.pairs[0];
    const values = QUIET.slice(0, 3).map(mbps);
    const t = fig(p, "throughput")!;
    assert.equal(t.value, median(values));
    assert.equal(t.min, Math.min(...values));
    assert.equal(t.max, Math.max(...values));
    assert.equal(t.samples, 3);
    // 1941.3, 1871.8, 1774.9: half-range 83 → rounded to tens.
    assert.equal(t.shown, "1870 (1770–1940)");
    assert.equal(p.throughputMbps, median(values));
    const senders = QUIET.slice(0, 3).map((r) => parseIperf3(r).senderCpuPercent!);
    assert.equal(fig(p, "cpu-sender")!.value, median(senders));
    assert.ok(fig(p, "cpu-receiver")!.value! > 0);
  });

  it("pools the busy samples and drops the percentiles the sample size cannot support", async () => {
    const perf = await runPerformance(SEED, new RecordedExecutor(healthy()), {
      ...FAST,
      only: ["pod-to-pod-same-node"],
    });
    const p = perf.pairs[0];
    assert.equal(p.samples, 600); // 3 rounds × 200 busy round trips
    assert.ok(fig(p, "rr-p50")!.value! > 0 && fig(p, "rr-p90")!.value! >= fig(p, "rr-p50")!.value!);
    assert.equal(fig(p, "rr-p99")!.withheld, "600 samples; p99 needs 1000 (10 above it)");
    assert.equal(p.rttP99Ms, undefined);
    // 3 × 20 idle pings: p50 only.
    assert.ok(fig(p, "ping-p50")!.value! > 0);
    assert.equal(fig(p, "ping-p90")!.withheld, "60 samples; p90 needs 100 (10 above it)");
  });

  it("withholds the cross-node ratio when the rounds are noisy, and says why", async () => {
    const ex = new SeriesExecutor(healthy(), [
      { match: clientTo(CROSS), outputs: NOISY },
      { match: clientTo(NODE), outputs: QUIET },
    ]);
    const perf = await runPerformance(SEED, ex, { ...FAST, repeats: 5 });
    const r = perf.ratios.crossNodePodVsNode;
    assert.equal(r.value, undefined);
    assert.equal(r.rounds, 5);
    assert.match(
      r.withheld ?? "",
      /^the 90% interval of the median ratio \d\.\d\d is 0\.\d\d–1\.\d\d: too noisy/,
    );
    // The noisy series itself is printed with the few digits its spread allows.
    // Each round's figure is the mean of its two A-B-B-A runs (NOISY cycles through its 5 outputs).
    assert.equal(fig(pair(perf.pairs, "pod-to-pod-cross-node"), "throughput")!.shown, "1800 (1700–2300)");
  });

  it("gives a ratio when both sides agree round by round (the same recorded run on both)", async () => {
    const ex = new SeriesExecutor(healthy(), [
      { match: clientTo(CROSS), outputs: QUIET },
      { match: clientTo(NODE), outputs: QUIET },
    ]);
    // Five rounds: the fewest a 90 % interval of the median ratio needs (perf/stats.ts).
    const perf = await runPerformance(SEED, ex, {
      ...FAST,
      repeats: 5,
      only: ["pod-to-pod-cross-node", "node-to-node"],
    });
    assert.deepEqual(perf.ratios.crossNodePodVsNode, {
      compares: "pod-to-pod-cross-node throughput / node-to-node throughput",
      value: 1,
      min: 1,
      max: 1,
      rounds: 5,
      shown: "1.000 (1.000–1.000)",
    });
    // The busy p50s are equal too, but printed to 1 µs (0.002 ms): the resolution alone forbids a ratio.
    assert.match(
      perf.ratios.crossNodePodVsNodeRrP50.withheld ?? "",
      /with the tool's printed resolution\): too noisy/,
    );
  });

  it("never divides same-node pod traffic by node-to-node", async () => {
    const perf = await runPerformance(SEED, new RecordedExecutor(healthy()), FAST);
    assert.equal(perf.ratios.sameNodePodVsNode.shown, "withheld");
    assert.match(
      perf.ratios.sameNodePodVsNode.withheld ?? "",
      /^unlike paths: same-node pod traffic never leaves the node/,
    );
  });

  it("splits the NodePort figures by the backend the body names", async () => {
    const perf = await runPerformance(SEED, new RecordedExecutor(healthy()), {
      ...FAST,
      only: ["pod-to-nodeport"],
    });
    const p = perf.pairs[0];
    assert.equal(p.verdict, "pass", p.reason);
    assert.match(p.reason, /^3 rounds: connect-local-p50 \S+ \(\S+\) ms; connect-remote-p50 /);
    // evescn-jzms5 runs on the client's node (worker2), evescn-q7xhn on worker: 10 + 10 per round.
    assert.equal(fig(p, "connect-local-p50")!.samples, 30);
    assert.equal(fig(p, "connect-remote-p50")!.samples, 30);
    assert.ok(fig(p, "request-remote-p50")!.value! > 0);
    assert.equal(fig(p, "connect-unknown-p50"), undefined);
  });

  it("keeps a NodePort series cut by busybox timeout (exit 143) and by coreutils timeout (124)", async () => {
    for (const exitCode of [143, 124]) {
      const ex = new RecordedExecutor(
        healthy(0, [
          { pod: "net", argv: isCurl, stdout: fixture("curl/nodeport-backends-20.txt"), exitCode },
        ]),
      );
      const perf = await runPerformance(SEED, ex, { ...FAST, only: ["pod-to-nodeport"] });
      assert.equal(perf.pairs[0].verdict, "pass", `${exitCode}: ${perf.pairs[0].reason}`);
    }
  });

  it("pins a single-stream run to a CPU of each pod's allowed list, never CPU 0 nor the same, and never -P 2", () => {
    // Parsed lists, not tool outputs: the captured cpus/*.txt are read by the parser tests.
    assert.deepEqual(choosePinning(1, [0, 1, 2, 3], [0, 1, 2, 3]), { client: 1, server: 2 });
    assert.deepEqual(choosePinning(1, [2, 3], [0, 2]), {
      why: "the server pod has no CPU other than 0 and the client's 2",
    });
    assert.match(
      (choosePinning(2, [0, 1, 2, 3], [0, 1, 2, 3]) as { why: string }).why,
      /^2 streams: iperf3 -A would put every stream on one CPU/,
    );
    assert.deepEqual(parseCpuProbe(fixture("cpus/host.txt")), { nproc: 2, allowed: [0, 1] });
    assert.deepEqual(parseCpuProbe(fixture("cpus/cpu1.txt")), { nproc: 1, allowed: [1] });
    assert.deepEqual(parseCpuList("0-3,8,10-11"), [0, 1, 2, 3, 8, 10, 11]);
    assert.equal(parseCpuList("0-3:2/4"), undefined);
  });

  it("pins nothing with two streams even with CPUs to spare, and says why", async () => {
    const ex = new RecordedExecutor(healthy());
    const perf = await runPerformance(SEED, ex, { ...FAST, streams: 2, only: ["pod-to-pod-same-node"] });
    assert.match(
      perf.host.pinning,
      /^pod-to-pod-same-node: not pinned \(2 streams: iperf3 -A would put every stream on one CPU/,
    );
    assert.ok(ex.calls.filter((c) => isClient(c.argv)).every((c) => !c.argv[2].includes(" -A ")));
  });

  it("pins nothing when the pods may run on CPU 0 only, and says so", async () => {
    const ex = new RecordedExecutor(
      healthy(0, [{ pod: "*", argv: isNproc, stdout: fixture("cpus/cpu0.txt") }]),
    );
    const perf = await runPerformance(SEED, ex, { ...FAST, only: ["node-to-node"] });
    assert.deepEqual(perf.host, {
      cpus: 1,
      pinning: "node-to-node: not pinned (the client pod may run on CPU 0 only); CPU use is reported",
    });
    const clients = ex.calls.filter((c) => isClient(c.argv));
    assert.ok(clients.length === 3 && clients.every((c) => !c.argv[2].includes(" -A ")));
  });

  it("refuses the busy test when the answering ping is not iputils", async () => {
    const ex = new RecordedExecutor(
      healthy(0, [{ pod: "*", argv: isBusyPing, stdout: fixture("ping/busybox-seed-same-node.txt") }]),
    );
    const perf = await runPerformance(SEED, ex, { ...FAST, only: ["pod-to-pod-same-node"] });
    assert.equal(perf.pairs[0].verdict, "inconclusive");
    assert.match(perf.pairs[0].reason, /round 1 rr: a ping other than iputils answered/);
  });

  it("leaves a pair inconclusive with iperf3's error and the server's output when the connection is refused", async () => {
    const ex = new RecordedExecutor(
      healthy(0, [
        {
          pod: "evescn-jzms5",
          argv: isServer,
          stdout: "",
          stderr: fixture("iperf3/text-mode-refused.txt"),
          exitCode: 1,
        },
        {
          pod: "net",
          argv: (a) => isClient(a) && a[2].includes("10.0.2.202"),
          stdout: fixture("iperf3/connection-refused.txt"),
        },
      ]),
    );
    const perf = await runPerformance(SEED, ex, { ...FAST, only: ["pod-to-pod-same-node"] });
    const same = perf.pairs[0];
    assert.equal(same.verdict, "inconclusive");
    assert.match(
      same.reason,
      /^round 1 throughput: iperf3 to 10\.0\.2\.202:5201 reported: unable to connect to server: Connection refused \(server: exit 1/,
    );
    assert.equal(fig(same, "throughput")!.withheld, "0 usable round(s); a median and spread need 3");
    assert.equal(same.samples, 600, "the latency was still measured");
    assert.equal(perf.summary, "0/1 pairs measured, 1 inconclusive");
  });

  it("fails a pair that exchanged no traffic (no echo reply) and says so", async () => {
    const ex = new RecordedExecutor(
      healthy(0, [
        {
          pod: "net",
          argv: (a) => isBusyPing(a) && a.includes(CROSS),
          stdout: fixture("ping/iputils-total-loss.txt"),
          exitCode: 1,
        },
      ]),
    );
    const perf = await runPerformance(SEED, ex, { ...FAST, only: ["pod-to-pod-cross-node"] });
    assert.equal(perf.pairs[0].verdict, "fail");
    assert.match(perf.pairs[0].reason, /^round 1 rr: no echo reply from 10\.0\.0\.72 \(12 sent\)/);
  });

  it("marks a step that timed out inconclusive, not measured", async () => {
    const ex = new RecordedExecutor(healthy(0, [{ pod: "*", argv: isIdlePing, timedOut: true }]));
    const perf = await runPerformance(SEED, ex, { ...FAST, only: ["node-to-node"] });
    assert.equal(perf.pairs[0].verdict, "inconclusive");
    assert.match(perf.pairs[0].reason, /round 1 ping: "ping" on node-probe-\S+ timed out/);
  });

  it("skips a pair whose pods are missing, runs nothing for it, and computes no ratio from it", async () => {
    const ctx: LabContext = { ...SEED, probePods: SEED.probePods.filter((p) => !p.node.endsWith("-worker")) };
    const ex = new RecordedExecutor(healthy());
    const perf = await runPerformance(ctx, ex, { ...FAST, only: ["pod-to-pod-cross-node", "node-to-node"] });
    const node = pair(perf.pairs, "node-to-node");
    assert.equal(node.verdict, "inconclusive");
    assert.equal(node.reason, "no node-probe pod on cilium-kubeproxy-replacement-ebpf-worker");
    assert.deepEqual(node.evidence, []);
    // The CPU probes of net and the two test pods (no probe pod on worker: node-to-node has no plan,
    // so neither node's probe is asked), then only the cross-node pod pair: 3 rounds of server,
    // client, the fortio server and its two clients, busy and idle ping.
    assert.equal(ex.calls.length, 3 + 3 * 7, "the CPU probes, then only the cross-node pod pair");
    assert.deepEqual(perf.ratios, {});
  });

  it("runs nothing when discovery failed, and says why for every pair", async () => {
    const discovery: Discovery = {
      problems: [{ source: "nodes", fatal: true, message: "kubectl get nodes failed" }],
      evidence: [
        { command: "kubectl get nodes -o json", output: "connection refused", exitCode: 1, timedOut: false },
      ],
    };
    const ex = new RecordedExecutor([]);
    const perf = await runPerformance(discovery, ex, FAST);
    assert.equal(ex.calls.length, 0);
    assert.equal(perf.pairs.length, PERF_PAIRS.length);
    for (const p of perf.pairs) {
      assert.equal(p.verdict, "inconclusive");
      assert.equal(p.reason, "the lab could not be discovered: kubectl get nodes failed");
    }
    assert.deepEqual(perf.problems, ["error: kubectl get nodes failed"]);
  });

  it("rejects settings out of range and unknown pairs before running anything", async () => {
    const ex = new RecordedExecutor([]);
    await assert.rejects(
      runPerformance(SEED, ex, { repeats: 2 }),
      /repeats must be an integer from 3 to 50 \(got 2\)/,
    );
    await assert.rejects(
      runPerformance(SEED, ex, { only: ["pod-to-moon"] }),
      /unknown pair\(s\): pod-to-moon/,
    );
    assert.equal(ex.calls.length, 0);
    assert.equal(summarizePairs([{ verdict: "pass" }, { verdict: "fail" }]), "1/2 pairs measured, 1 failed");
  });

  it("plans the CPU count and one round without running anything (dry run)", () => {
    const plan = planPerformance(SEED, { durationSeconds: 5, seed: 1 });
    assert.deepEqual(
      [...new Set(plan.steps.map((s) => s.check))],
      [
        "host-cpus",
        "pod-to-pod-same-node-throughput",
        "pod-to-pod-same-node-tcp-rr",
        "pod-to-pod-same-node-rr",
        "pod-to-pod-same-node-ping",
        "pod-to-pod-cross-node-throughput",
        "pod-to-pod-cross-node-tcp-rr",
        "pod-to-pod-cross-node-rr",
        "pod-to-pod-cross-node-ping",
        "pod-to-nodeport-latency",
        "node-to-node-throughput",
        "node-to-node-tcp-rr",
        "node-to-node-rr",
        "node-to-node-ping",
      ],
    );
    assert.equal(plan.steps.find((s) => s.step === "client")?.delayMs, 2000);
  });
});
