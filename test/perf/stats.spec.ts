import { strict as assert } from "assert";

import { parseIperf3 } from "../../checks/parse/iperf3";
import { trimOutput } from "../../perf/assemble";
import { parseCurlSamples, parsePingSamples, percentile } from "../../perf/samples";
import {
  decimalsFor,
  iputilsResolutionMs,
  median,
  medianInterval,
  normalQuantile,
  pairedRatio,
  roundsForInterval,
  seededRandom,
  roundOrders,
  roundTo,
  samplesFor,
  spreadOf,
  supportedPercentile,
} from "../../perf/stats";
import { fixture, NOISY, QUIET } from "./helpers";
import { simulateRounds } from "../../scripts/measure-ratio-rule";
import fc from "fast-check";

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

  it("gives a ratio only with the rounds a 90 % interval of the median needs (5), to the digits it allows", () => {
    assert.equal(roundsForInterval(), 5);
    assert.match(
      pairedRatio([1, 2, 3, 4], [1, 2, 3, 4]).withheld ?? "",
      /4 round\(s\) with both sides measured; a 90% interval of the median ratio needs 5/,
    );
    assert.match(
      pairedRatio([1, undefined, 3, 4, 5, 6], [1, 2, 3, undefined, 5, 6]).withheld ?? "",
      /4 round/,
    );
    const r = pairedRatio([900, 950, 920, 930, 910], [1000, 1000, 1000, 1000, 1000]);
    assert.equal(r.value, 0.92);
    assert.equal(r.rounds, 5);
    // Rank (5 + 1)/2 − 1.645·√5/2 = 1.161: 0.161 of the way from x(1) to x(2), and from x(5) to x(4).
    assert.ok(
      Math.abs(r.min! - (0.9 + 0.161 * 0.01)) < 1e-3 && Math.abs(r.max! - (0.95 - 0.161 * 0.02)) < 1e-3,
      JSON.stringify(r),
    );
    assert.equal(r.shown, "0.92 (0.90–0.95)");
    assert.equal(
      pairedRatio([9, 9, 9, 9, 9], [10, 0, 10, 10, 10]).withheld?.startsWith("4 round"),
      true,
      "a zero baseline is no round",
    );
    // Busy RTTs of a few µs printed to 1 µs: equal in every round, and still no ratio.
    const coarse = pairedRatio(Array(5).fill(0.005), Array(5).fill(0.003), iputilsResolutionMs);
    assert.equal(coarse.value, undefined);
    assert.match(coarse.withheld ?? "", /is 1\.29–2\.20 \(with the tool's printed resolution\)/);
    assert.equal(iputilsResolutionMs(0.5), 0.001);
    assert.equal(iputilsResolutionMs(5), 0.01);
  });

  it("the interval is the order statistics' (distribution-free): it moves only with the ranks, not the values' shape", () => {
    const xs = [0.5, 0.91, 0.92, 0.93, 9];
    const c = medianInterval(xs, xs)!;
    // An outlier at either end moves the bounds by 0.161 of its gap to the next value, whatever its size.
    const farther = medianInterval([0.1, 0.91, 0.92, 0.93, 90], [0.1, 0.91, 0.92, 0.93, 90])!;
    assert.ok(c.lo > 0.5 && c.hi < 9);
    assert.ok(farther.lo < c.lo && farther.hi > c.hi);
    assert.equal(medianInterval([1, 2, 3, 4], [1, 2, 3, 4]), undefined);
    assert.ok(Math.abs(normalQuantile(0.95) - 1.6448536) < 1e-6);
  });

  it("more rounds never give fewer answers (property: simulated withheld rate against the round count)", () => {
    // Common random numbers: the rate at n1 rounds is read from the first n1 rounds of the same runs.
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 0.2, noNaN: true }),
        fc.double({ min: 0.3, max: 2, noNaN: true }),
        fc.integer({ min: 5, max: 25 }),
        fc.integer({ min: 1, max: 15 }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        (noise, ratio, n1, more, seed) => {
          const random = seededRandom(seed);
          const runs = 300;
          let fewer = 0;
          let more_ = 0;
          for (let i = 0; i < runs; i++) {
            const { top, bottom } = simulateRounds(random, n1 + more, noise, ratio);
            if (pairedRatio(top.slice(0, n1), bottom.slice(0, n1)).value === undefined) fewer += 1;
            if (pairedRatio(top, bottom).value === undefined) more_ += 1;
          }
          // Withheld with more rounds at most as often, up to 4 % of Monte Carlo allowance.
          return more_ / runs <= fewer / runs + 0.04;
        },
      ),
      { seed: 25, numRuns: 40 },
    );
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
