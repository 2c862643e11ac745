import { strict as assert } from "assert";

import { RecordedExecutor } from "../../runner/localExecutors";
import { renderPerformanceText } from "../../perf/format";
import { runPerformance } from "../../perf/runner";
import { DEFAULT_PERF_SETTINGS, resolvePerfSettings } from "../../perf/settings";
import { perfCommand, perfWorstCaseSeconds, readPerformanceOutput } from "../../perf/stack";
import { IPERF3_CONNECT_ATTEMPTS, iperf3ClientScript, serverSeconds } from "../../perf/throughput";
import { planPerformance } from "../../perf/runner";
import { FAST, healthy, SEED } from "./helpers";

describe("performance settings", () => {
  it("applies the defaults once, draws a seed when none is given, and keeps explicit values", () => {
    const s = resolvePerfSettings();
    const { seed, ...rest } = s;
    assert.deepEqual(rest, DEFAULT_PERF_SETTINGS);
    assert.ok(Number.isInteger(seed) && seed >= 0 && seed <= 2147483647);
    assert.equal(resolvePerfSettings({ seed: 5 }).seed, 5);
    assert.throws(
      () => resolvePerfSettings({ streams: 1.5, pingSamples: 2 }),
      /streams must .*; pingSamples must/,
    );
  });

  it("keeps the server alive for the client's delay, its retries, the warm-up and the run", () => {
    for (const s of [
      resolvePerfSettings(),
      resolvePerfSettings({ durationSeconds: 120, omitSeconds: 10, serverStartDelayMs: 30000 }),
    ]) {
      const clientWorst =
        s.serverStartDelayMs / 1000 + IPERF3_CONNECT_ATTEMPTS + s.omitSeconds + s.durationSeconds + 15;
      assert.ok(serverSeconds(s) > clientWorst, `${serverSeconds(s)} <= ${clientWorst}`);
    }
  });

  it("omits the warm-up, pins when asked, retries only a refused connection, prints one JSON document", () => {
    const s = resolvePerfSettings({ seed: 1 });
    assert.match(
      iperf3ClientScript("10.0.0.72", s, { client: 1, server: 0 }),
      /timeout 26 iperf3 -c 10\.0\.0\.72 -p 5201 -O 1 -t 10 -P 1 -A 1,0 -i 0 -J/,
    );
    assert.doesNotMatch(iperf3ClientScript("10.0.0.72", s), / -A /);
    assert.match(iperf3ClientScript("10.0.0.72", s), /\*"Connection refused"\*\) if \[ "\$n" -lt 5 \]/);
  });
});

describe("performance in the stack", () => {
  it("runs the perf CLI with every value quoted, the profile, and a timeout above the worst case", () => {
    const cmd = perfCommand({
      kindCluster: "lab x",
      namespace: "default",
      appLabel: "evescn",
      durationSeconds: 5,
      datapathProfile: "lab",
    });
    assert.match(cmd, /^timeout --kill-after=10 \d+ node cli\/run\.js perf --kind-cluster 'lab x' /);
    assert.match(
      cmd,
      /--duration 5 --omit 1 --streams 1 --repeats 5 --samples 20 --rr-samples 1000 --port 5201 --datapath-profile lab --output json$/,
    );
    assert.doesNotMatch(cmd, /--seed/);
    const timeout = Number(/^timeout --kill-after=10 (\d+)/.exec(cmd)?.[1]);
    assert.equal(timeout, perfWorstCaseSeconds({ durationSeconds: 5 }) + 120);
  });

  it("bounds the run by the CPU count plus every round's slowest steps", () => {
    const plan = planPerformance(SEED, { seed: 0 });
    const byCheck = new Map<string, number>();
    for (const s of plan.steps)
      byCheck.set(s.check, Math.max(byCheck.get(s.check) ?? 0, s.delayMs / 1000 + s.timeoutSeconds + 7));
    const cpu = byCheck.get("host-cpus")!;
    // The cross-node ratio's two pairs run twice a round (A-B-B-A).
    const twice = (check: string): number => (/^(pod-to-pod-cross-node|node-to-node)-/.test(check) ? 2 : 1);
    const round = [...byCheck.entries()].reduce((a, [c, v]) => a + (c === "host-cpus" ? 0 : twice(c) * v), 0);
    assert.equal(perfWorstCaseSeconds({}, SEED), Math.ceil(cpu + 5 * round));
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
  });
});

describe("renderPerformanceText", () => {
  it("prints one row per pair with spreads, the ratios or why not, the datapath, the method and the summary", async () => {
    const perf = await runPerformance(SEED, new RecordedExecutor(healthy()), {
      ...FAST,
      datapathProfile: "lab",
    });
    const lines = renderPerformanceText(perf).trimEnd().split("\n");
    assert.match(
      lines[0],
      /^PAIR +VERDICT +MBIT\/S +CPU SND\/RCV % +BUSY RTT P50 MS +P99 +IDLE P50 MS +SAMPLES$/,
    );
    // The same recorded run every round: no spread, so three decimals.
    assert.match(
      lines[1],
      /^pod-to-pod-same-node +PASS +1941\.\d+ \(1941\.\d+–1941\.\d+\) +13\.\d+ \(.*\) \/ 11\.\d+ .* +- +0\.\d+ .* +600$/,
    );
    assert.ok(lines.some((l) => l.startsWith("  sameNodePodVsNode = withheld: unlike paths")));
    assert.ok(lines.some((l) => l.startsWith("datapath (lab): debug.enabled=true")));
    assert.ok(lines.some((l) => l.includes("No comparison with published figures")));
    assert.equal(lines[lines.length - 1].replace(/ in [\d.]+ s$/, ""), "4/4 pairs measured");
  });
});
