import { strict as assert } from "assert";

import { parseIperf3 } from "../../checks/parse/iperf3";
import { trimOutput } from "../../perf/assemble";
import { parseCurlSamples, parsePingSamples, percentile } from "../../perf/samples";
import {
  decimalsFor,
  iputilsResolutionMs,
  median,
  pairedRatio,
  roundOrders,
  roundTo,
  samplesFor,
  spreadOf,
  supportedPercentile,
} from "../../perf/stats";
import { fixture, NOISY, QUIET } from "./helpers";

const mbps = (raw: string): number => parseIperf3(raw).receivedMbps!;

describe("perf statistics", () => {
  it("prints a value with the digits its half-range allows", () => {
    assert.equal(decimalsFor(1700), -3);
    assert.equal(decimalsFor(166), -2);
    assert.equal(decimalsFor(0.04), 2);
    assert.equal(decimalsFor(0.1), 1);
    assert.equal(decimalsFor(0), 3);
    assert.equal(roundTo(14123, -3), "14000");
    assert.equal(roundTo(0.04567, 2), "0.05");
  });

  it("summarises a recorded iperf3 series as median and min–max, and needs three rounds", () => {
    const quiet = QUIET.map(mbps);
    const s = spreadOf(quiet);
    assert.ok(!("withheld" in s));
    assert.equal(s.median, median(quiet));
    assert.equal(s.rounds, 5);
    // 1774.9–2108.0: half-range 167 → hundreds.
    assert.equal(s.shown, "1900 (1800–2100)");
    assert.deepEqual(spreadOf(quiet.slice(0, 2)), {
      withheld: "2 usable round(s); a median and spread need 3",
    });
  });

  it("prints a percentile only when 10 samples lie above it (p99 of 100 is the second-largest value)", () => {
    assert.equal(samplesFor(50), 20);
    assert.equal(samplesFor(90), 100);
    assert.equal(samplesFor(99), 1000);
    const busy = parsePingSamples(fixture("ping/iputils-busy-netns-veth-1000.txt")).rttsMs;
    assert.equal(busy.length, 1000);
    assert.equal(supportedPercentile(busy, 99), percentile(busy, 99));
    const hundred = busy.slice(0, 100);
    const sorted = [...hundred].sort((a, b) => a - b);
    assert.equal(percentile(hundred, 99), sorted[98], "nearest rank: the second-largest of 100");
    assert.equal(supportedPercentile(hundred, 99), undefined);
    assert.equal(supportedPercentile(hundred, 90), percentile(hundred, 90));
  });

  it("withholds the ratio of a noisy series against a quiet one (both recorded over the same veth path)", () => {
    const r = pairedRatio(NOISY.map(mbps), QUIET.map(mbps));
    assert.equal(r.value, undefined);
    assert.equal(r.shown, "withheld");
    assert.ok(r.max! - r.min! > 0.2);
    assert.match(r.withheld ?? "", /too noisy/);
  });

  it("gives a ratio only with three paired rounds, to the digits their spread allows", () => {
    assert.match(
      pairedRatio([1, 2], [1, 2]).withheld ?? "",
      /2 round\(s\) with both sides measured; a ratio needs 3/,
    );
    assert.match(pairedRatio([1, undefined, 3, 4], [1, 2, 3, undefined]).withheld ?? "", /2 round/);
    const r = pairedRatio([900, 950, 920], [1000, 1000, 1000]);
    assert.deepEqual(r, { value: 0.92, min: 0.9, max: 0.95, rounds: 3, shown: "0.92 (0.90–0.95)" });
    assert.equal(
      pairedRatio([9, 9, 9], [10, 0, 10]).withheld?.startsWith("2 round"),
      true,
      "a zero baseline is no round",
    );
    // Busy RTTs of a few µs printed to 1 µs: equal in every round, and still no ratio.
    const coarse = pairedRatio([0.005, 0.005, 0.005], [0.003, 0.003, 0.003], iputilsResolutionMs);
    assert.equal(coarse.value, undefined);
    assert.match(coarse.withheld ?? "", /from 1\.29 to 2\.20 \(with the tool's printed resolution\)/);
    assert.equal(iputilsResolutionMs(0.5), 0.001);
    assert.equal(iputilsResolutionMs(5), 0.01);
  });

  it("orders the pairs per round with a seeded shuffle: the same seed, the same order", () => {
    const names = ["a", "b", "c", "d"];
    const o = roundOrders(names, 5, 42);
    assert.deepEqual(o, roundOrders(names, 5, 42));
    for (const round of o) assert.deepEqual([...round].sort(), names);
    assert.ok(new Set(o.map((r) => r.join())).size > 1, "the order changes between rounds");
  });
});

describe("evidence trimming", () => {
  it("keeps an iperf3 document whole and the head and statistics of a 1000-sample ping", () => {
    assert.equal(trimOutput(QUIET[0]), QUIET[0]);
    const ping = fixture("ping/iputils-busy-netns-veth-1000.txt");
    const t = trimOutput(ping);
    assert.match(t, /^PING 198\.51\.100\.2 /);
    assert.match(t, /lines left out/);
    assert.match(t, /1000 packets transmitted, 1000 received, 0% packet loss/);
    assert.ok(t.split("\n").length < 30);
  });
});

describe("recorded busy ping and NodePort outputs", () => {
  it("reads 200 back-to-back echo replies from iputils ping -i 0", () => {
    const p = parsePingSamples(fixture("ping/iputils-busy-loopback-200.txt"));
    assert.equal(p.rttsMs.length, 200);
    assert.equal(p.transmitted, 200);
    assert.deepEqual(p.issues, []);
  });

  it("names the backend of every answered request from the body the test pods serve", () => {
    const c = parseCurlSamples(fixture("curl/nodeport-backends-20.txt"));
    assert.equal(c.answered, 20);
    assert.deepEqual(
      c.backends.map((b) => b?.name),
      [...Array<string>(10).fill("evescn-jzms5"), ...Array<string>(10).fill("evescn-q7xhn")],
    );
    assert.deepEqual(c.backends[0], { name: "evescn-jzms5", ip: "10.0.2.202" });
    // Without a body (the older recording with -o /dev/null) no backend is named.
    assert.ok(parseCurlSamples(fixture("curl/loopback-http-20.txt")).backends.every((b) => b === undefined));
  });
});
