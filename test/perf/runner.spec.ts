import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";

import { RecordedExecutor, type Recording } from "../../runner/localExecutors";
import type { Discovery } from "../../runner/discovery";
import { parseIperf3 } from "../../checks/parse/iperf3";
import { IPERF3_CONNECT_ATTEMPTS, iperf3ClientScript, serverSeconds } from "../../perf/measurements";
import { PERF_PAIRS } from "../../perf/pairs";
import { computeRatios, planPerformance, runPerformance, summarizePairs } from "../../perf/runner";
import { renderPerformanceText } from "../../perf/format";
import { DEFAULT_PERF_SETTINGS, resolvePerfSettings } from "../../perf/settings";
import { perfCommand, perfWorstCaseSeconds, readPerformanceOutput } from "../../perf/stack";
import type { PerfPair } from "../../perf/types";
import type { LabContext } from "../../checks/types";

const FIXTURES = path.resolve(__dirname, "../fixtures/perf");
const fixture = (rel: string): string => fs.readFileSync(path.join(FIXTURES, rel), "utf8");
const SEED: LabContext = JSON.parse(fixture("seed-context.json")) as LabContext;

const isServer = (argv: readonly string[]): boolean => argv.includes("iperf3") && argv.includes("-s");
const isClient = (argv: readonly string[]): boolean => argv[0] === "sh" && /iperf3 -c/.test(argv[2] ?? "");
const isPing = (argv: readonly string[]): boolean => argv[0] === "ping";
const isCurl = (argv: readonly string[]): boolean => argv.includes("sh") && /curl/.test(argv.join(" "));

/** A healthy lab: every tool answers with a real recorded output after `delayMs`. */
function healthy(delayMs = 0, overrides: Recording[] = []): Recording[] {
  return [
    ...overrides,
    { pod: "*", argv: isServer, stdout: "Server listening on 5201\n", delayMs },
    { pod: "*", argv: isClient, stdout: fixture("iperf3/loopback-single-stream.txt"), delayMs },
    { pod: "*", argv: isPing, stdout: fixture("ping/iputils-loopback-20.txt"), delayMs },
    { pod: "*", argv: isCurl, stdout: fixture("curl/loopback-http-20.txt"), delayMs },
  ];
}

const FAST = { durationSeconds: 1, pingSamples: 20, serverStartDelayMs: 50 };

function pair(pairs: readonly PerfPair[], name: string): PerfPair {
  const p = pairs.find((x) => x.name === name);
  assert.ok(p, `no pair ${name}`);
  return p;
}

describe("runPerformance (recorded outputs)", () => {
  it("measures every pair, keeps the evidence and computes the ratios against node-to-node", async () => {
    const ex = new RecordedExecutor(healthy());
    const perf = await runPerformance(SEED, ex, FAST);
    assert.equal(perf.summary, "4/4 pairs measured");
    assert.deepEqual(
      perf.pairs.map((p) => p.name),
      ["pod-to-pod-same-node", "pod-to-pod-cross-node", "pod-to-nodeport", "node-to-node"],
    );
    const expected = parseIperf3(fixture("iperf3/loopback-single-stream.txt"));
    const same = pair(perf.pairs, "pod-to-pod-same-node");
    assert.equal(same.verdict, "pass", same.reason);
    assert.equal(same.throughputMbps, expected.receivedMbps);
    assert.equal(same.retransmits, expected.retransmits);
    assert.equal(same.samples, 20);
    assert.equal(same.latencyMethod, "icmp-echo");
    assert.ok(same.rttP50Ms! > 0 && same.rttP50Ms! <= same.rttP90Ms! && same.rttP90Ms! <= same.rttP99Ms!);
    assert.equal(same.from, "net 10.0.2.40 on cilium-kubeproxy-replacement-ebpf-worker2");
    assert.equal(same.to, "evescn-jzms5 10.0.2.202 on cilium-kubeproxy-replacement-ebpf-worker2");
    // server, client, ping: the commands as typed and the raw outputs
    assert.equal(same.evidence.length, 3);
    assert.match(
      same.evidence[0].command,
      /^kubectl exec -n default evescn-jzms5 -- timeout \d+ iperf3 -s -1 -p 5201$/,
    );
    assert.equal(same.evidence[1].output, fixture("iperf3/loopback-single-stream.txt"));
    assert.match(same.evidence[2].command, /ping -n -c 20 -i 0.2 -w 9 10.0.2.202$/);

    const nodePort = pair(perf.pairs, "pod-to-nodeport");
    assert.equal(nodePort.throughputMbps, undefined);
    assert.equal(nodePort.latencyMethod, "tcp-connect");
    assert.equal(nodePort.to, "NodePort 172.18.0.2:32000 on cilium-kubeproxy-replacement-ebpf-worker2");
    assert.ok(nodePort.requestP50Ms! > 0);
    assert.ok(nodePort.notes?.some((n) => /Throughput is not measured/.test(n)));

    const node = pair(perf.pairs, "node-to-node");
    assert.match(node.from, /^node-probe-\S+ 172\.18\.0\.2 on .*-worker2$/);
    assert.match(node.to, / 172\.18\.0\.3 on .*-worker$/); // the cross-node pods' two nodes
    assert.deepEqual(perf.ratios, {
      crossNodePodVsNode: 1,
      sameNodePodVsNode: 1,
      crossNodePodVsNodeRttP50: 1,
      sameNodePodVsNodeRttP50: 1,
      crossNodePodVsNodeRttP99: 1,
    });
    assert.deepEqual(perf.settings, { ...DEFAULT_PERF_SETTINGS, ...FAST });
  });

  it("runs one measurement at a time, and starts the iperf3 client after its server", async () => {
    const ex = new RecordedExecutor(healthy(60));
    await runPerformance(SEED, ex, { ...FAST, only: ["pod-to-pod-same-node", "node-to-node"] });
    const calls = ex.calls;
    // server+client, ping, server+client, ping
    assert.equal(calls.length, 6);
    const [server, client, ping, server2, client2, ping2] = calls;
    assert.ok(isServer(server.argv) && isClient(client.argv) && isPing(ping.argv));
    assert.ok(client.startedAt - server.startedAt >= 45, "the client waited for the server");
    assert.ok(ping.startedAt >= client.startedAt + 55, "the ping ran after the throughput run ended");
    assert.ok(server2.startedAt >= ping.startedAt + 55, "the next pair started after the previous ended");
    assert.ok(client2.startedAt >= server2.startedAt && ping2.startedAt >= client2.startedAt + 55);
  });

  it("leaves a pair inconclusive with iperf3's error and the server's output when the connection is refused", async () => {
    const ex = new RecordedExecutor(
      healthy(0, [
        {
          pod: "evescn-jzms5",
          argv: isServer,
          stdout: "",
          stderr: "iperf3: error - unable to start listener for connections: Address already in use\n",
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
      /^throughput: iperf3 to 10\.0\.2\.202:5201 reported: unable to connect to server: Connection refused \(server: exit 1: iperf3: error - unable to start listener/,
    );
    assert.equal(same.throughputMbps, undefined);
    assert.equal(same.samples, 20, "the latency was still measured");
    assert.equal(perf.summary, "0/1 pairs measured, 1 inconclusive");
  });

  it("fails a pair that exchanged no traffic (no echo reply) and says so", async () => {
    const ex = new RecordedExecutor(
      healthy(0, [
        {
          pod: "net",
          argv: (a) => isPing(a) && a.includes("10.0.0.72"),
          stdout: fixture("ping/iputils-total-loss.txt"),
          exitCode: 1,
        },
      ]),
    );
    const perf = await runPerformance(SEED, ex, { ...FAST, only: ["pod-to-pod-cross-node"] });
    assert.equal(perf.pairs[0].verdict, "fail");
    assert.equal(perf.pairs[0].reason, "latency: no echo reply from 10.0.0.72 (12 sent)");
    assert.equal(perf.pairs[0].samples, 0);
    assert.ok(perf.pairs[0].throughputMbps! > 0);
  });

  it("fails the NodePort pair when no request is answered", async () => {
    const ex = new RecordedExecutor(
      healthy(0, [{ pod: "net", argv: isCurl, stdout: fixture("curl/connection-refused.txt") }]),
    );
    const perf = await runPerformance(SEED, ex, { ...FAST, only: ["pod-to-nodeport"] });
    assert.equal(perf.pairs[0].verdict, "fail");
    assert.match(
      perf.pairs[0].reason,
      /no request to 172\.18\.0\.2:32000 was answered \(3× 000\): curl: \(7\)/,
    );
  });

  it("marks a step that timed out inconclusive, not measured", async () => {
    const ex = new RecordedExecutor(healthy(0, [{ pod: "*", argv: isPing, timedOut: true }]));
    const perf = await runPerformance(SEED, ex, { ...FAST, only: ["node-to-node"] });
    assert.equal(perf.pairs[0].verdict, "inconclusive");
    assert.match(perf.pairs[0].reason, /latency: "ping" on node-probe-\S+ timed out/);
  });

  it("skips a pair whose pods are missing, runs nothing for it, and computes no ratio from it", async () => {
    const ctx: LabContext = { ...SEED, probePods: SEED.probePods.filter((p) => !p.node.endsWith("-worker")) };
    const ex = new RecordedExecutor(healthy());
    const perf = await runPerformance(ctx, ex, { ...FAST, only: ["pod-to-pod-cross-node", "node-to-node"] });
    const node = pair(perf.pairs, "node-to-node");
    assert.equal(node.verdict, "inconclusive");
    assert.equal(node.reason, "no node-probe pod on cilium-kubeproxy-replacement-ebpf-worker");
    assert.deepEqual(node.evidence, []);
    assert.equal(ex.calls.length, 3, "only the cross-node pod pair ran");
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
      assert.deepEqual(p.evidence, [{ command: "kubectl get nodes -o json", output: "connection refused" }]);
    }
    assert.deepEqual(perf.problems, ["error: kubectl get nodes failed"]);
  });

  it("rejects settings out of range and unknown pairs before running anything", async () => {
    const ex = new RecordedExecutor([]);
    await assert.rejects(
      runPerformance(SEED, ex, { durationSeconds: 0 }),
      /durationSeconds must be an integer from 1 to 120 \(got 0\)/,
    );
    await assert.rejects(
      runPerformance(SEED, ex, { only: ["pod-to-moon"] }),
      /unknown pair\(s\): pod-to-moon/,
    );
    assert.equal(ex.calls.length, 0);
  });
});

describe("performance settings and helpers", () => {
  it("applies the defaults once and keeps explicit values", () => {
    assert.deepEqual(resolvePerfSettings(), {
      durationSeconds: 10,
      streams: 1,
      pingSamples: 100,
      port: 5201,
      serverStartDelayMs: 2000,
    });
    assert.equal(resolvePerfSettings({ streams: 4 }).streams, 4);
    assert.throws(
      () => resolvePerfSettings({ streams: 1.5, pingSamples: 2 }),
      /streams must .*; pingSamples must/,
    );
  });

  it("keeps the server alive for the client's delay, its retries and its whole run", () => {
    for (const s of [
      resolvePerfSettings(),
      resolvePerfSettings({ durationSeconds: 120, serverStartDelayMs: 30000 }),
    ]) {
      const clientWorst = s.serverStartDelayMs / 1000 + IPERF3_CONNECT_ATTEMPTS + s.durationSeconds + 15;
      assert.ok(serverSeconds(s) > clientWorst, `${serverSeconds(s)} <= ${clientWorst}`);
    }
  });

  it("retries the client only on a refused connection and prints one JSON document", () => {
    const script = iperf3ClientScript("10.0.0.72", resolvePerfSettings());
    assert.match(script, /timeout 25 iperf3 -c 10\.0\.0\.72 -p 5201 -t 10 -P 1 -i 0 -J/);
    assert.match(script, /\*"Connection refused"\*\) if \[ "\$n" -lt 5 \]/);
    assert.match(script, />&2/);
  });

  it("divides pod figures by the node-to-node figures, and gives no ratio without a baseline", () => {
    const p = (name: string, throughputMbps?: number, rttP50Ms?: number, rttP99Ms?: number): PerfPair => ({
      name,
      from: "a",
      to: "b",
      throughputMbps,
      rttP50Ms,
      rttP99Ms,
      samples: 1,
      verdict: "pass",
      reason: "",
      evidence: [],
    });
    assert.deepEqual(
      computeRatios([
        p("pod-to-pod-cross-node", 9000, 0.06, 0.1),
        p("pod-to-pod-same-node", 12000, 0.03),
        p("node-to-node", 10000, 0.05, 0.08),
      ]),
      {
        crossNodePodVsNode: 0.9,
        sameNodePodVsNode: 1.2,
        crossNodePodVsNodeRttP50: 1.2,
        sameNodePodVsNodeRttP50: 0.6,
        crossNodePodVsNodeRttP99: 1.25,
      },
    );
    assert.deepEqual(computeRatios([p("pod-to-pod-cross-node", 9000), p("node-to-node", 0)]), {});
    assert.equal(summarizePairs([{ verdict: "pass" }, { verdict: "fail" }]), "1/2 pairs measured, 1 failed");
  });

  it("plans every measurement without running anything (dry run)", () => {
    const plan = planPerformance(SEED, { durationSeconds: 5 });
    assert.equal(plan.counts.checks, 7);
    assert.equal(plan.counts.totalExecs, 10);
    assert.deepEqual(
      [...new Set(plan.steps.map((s) => s.check))],
      [
        "pod-to-pod-same-node-throughput",
        "pod-to-pod-same-node-latency",
        "pod-to-pod-cross-node-throughput",
        "pod-to-pod-cross-node-latency",
        "pod-to-nodeport-latency",
        "node-to-node-throughput",
        "node-to-node-latency",
      ],
    );
    assert.equal(plan.steps.find((s) => s.step === "client")?.delayMs, 2000);
  });
});

describe("performance in the stack", () => {
  it("runs the perf CLI with every value quoted and a timeout above the worst case", () => {
    const cmd = perfCommand({
      kindCluster: "lab x",
      namespace: "default",
      appLabel: "evescn",
      durationSeconds: 5,
    });
    assert.match(cmd, /^timeout --kill-after=10 \d+ node cli\/run\.js perf --kind-cluster 'lab x' /);
    assert.match(cmd, /--duration 5 --streams 1 --samples 100 --port 5201 --output json$/);
    const timeout = Number(/^timeout --kill-after=10 (\d+)/.exec(cmd)?.[1]);
    assert.equal(timeout, perfWorstCaseSeconds({ durationSeconds: 5 }) + 120);
  });

  it("bounds the run by the sum of each measurement's slowest step", () => {
    const plan = planPerformance(SEED);
    const byCheck = new Map<string, number>();
    for (const s of plan.steps) {
      byCheck.set(s.check, Math.max(byCheck.get(s.check) ?? 0, s.delayMs / 1000 + s.timeoutSeconds + 7));
    }
    const sum = [...byCheck.values()].reduce((a, b) => a + b, 0);
    assert.equal(perfWorstCaseSeconds({}, SEED), Math.ceil(sum));
    assert.equal(perfWorstCaseSeconds(), Math.ceil(sum));
  });

  it("reads the runner's document, and says what came instead when there is none", async () => {
    const perf = await runPerformance(SEED, new RecordedExecutor(healthy()), {
      ...FAST,
      only: ["node-to-node"],
    });
    assert.deepEqual(readPerformanceOutput(JSON.stringify({ performance: perf })), perf);
    const empty = readPerformanceOutput("kubectl: not found\n", { pingSamples: 20 });
    assert.equal(empty.summary, "0/0 pairs measured");
    assert.equal(empty.settings.pingSamples, 20);
    assert.deepEqual(empty.problems, [
      'error: the performance runner printed no { performance } document (it printed "kubectl: not found")',
    ]);
    assert.match(readPerformanceOutput("").problems[0], /it printed nothing/);
  });
});

describe("renderPerformanceText", () => {
  it("prints one row per pair, the ratios and the summary line last", async () => {
    const perf = await runPerformance(SEED, new RecordedExecutor(healthy()), FAST);
    const text = renderPerformanceText(perf);
    const lines = text.trimEnd().split("\n");
    assert.match(lines[0], /^PAIR +VERDICT +MBIT\/S +RETR +RTT P50\/P90\/P99 MS +SAMPLES$/);
    assert.match(lines[1], /^pod-to-pod-same-node +PASS +11914\.6 +2 +0\.039\/0\.042\/0\.044 +20$/);
    assert.match(lines[3], /^pod-to-nodeport +PASS +- +- +0\.882\/5\.298\/13\.496 \(tcp connect\) +20$/);
    assert.ok(lines.includes("  crossNodePodVsNode = 1.000"));
    assert.equal(lines[lines.length - 1], "4/4 pairs measured");
  });
});
