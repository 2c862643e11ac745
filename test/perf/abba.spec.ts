import { strict as assert } from "assert";

import { ABBA_PAIRS, withAbba } from "../../perf/abba";
import { latencyMedians, throughputSeries, type Measured, type PairRound } from "../../perf/figures";
import { pairedRatio } from "../../perf/stats";

const A = ABBA_PAIRS.a;
const B = ABBA_PAIRS.b;

/** A measurement's typed figures (not a tool's output: the values a parser would have read). */
const run = (mbps: number, rtts: number[] = []): Measured[] => [
  {
    result: { name: "x", proves: "", verdict: "pass", reason: "", evidence: [], durationMs: 1 },
    figures: { kind: "throughput", throughputMbps: mbps, senderCpuPercent: mbps / 100 },
  },
  {
    result: { name: "y", proves: "", verdict: "pass", reason: "", evidence: [], durationMs: 1 },
    figures: { kind: "latency", method: "rr", sent: rtts.length, rttsMs: rtts },
  },
];

describe("A-B-B-A within a round (perf/abba.ts)", () => {
  it("turns the ratio's two pairs into one A-B-B-A block where the first of them fell", () => {
    assert.deepEqual(withAbba(["x", B, "y", A]), ["x", A, B, B, A, "y"]);
    assert.deepEqual(withAbba([A, "x", B]), [A, B, B, A, "x"]);
    assert.deepEqual(withAbba(["x", A]), ["x", A], "without its baseline, A runs once");
  });

  it("a round's figure is the mean of its two runs (throughput) and the pool of their samples (latency)", () => {
    const round: PairRound = [...run(100, [0.1, 0.3]), ...run(80, [0.2])];
    assert.deepEqual(
      throughputSeries([round], (f) => f.throughputMbps),
      [90],
    );
    assert.deepEqual(
      throughputSeries([round], (f) => f.senderCpuPercent),
      [0.9],
    );
    assert.deepEqual(latencyMedians([round], "rr"), [0.2]);
  });

  it("cancels a drift that is linear over the block, which A-B alone turns into a ratio", () => {
    // Both paths carry 1000 Mbit/s; the host loses 10 Mbit/s per run, over five rounds of 4 runs.
    const drift = (i: number): number => 1000 - 10 * i;
    const abba: { a: PairRound[]; b: PairRound[] } = { a: [], b: [] };
    const ab: { a: PairRound[]; b: PairRound[] } = { a: [], b: [] };
    for (let r = 0; r < 5; r++) {
      const t = 4 * r;
      abba.a.push([...run(drift(t)), ...run(drift(t + 3))]);
      abba.b.push([...run(drift(t + 1)), ...run(drift(t + 2))]);
      ab.a.push(run(drift(2 * r)));
      ab.b.push(run(drift(2 * r + 1)));
    }
    const ratio = (x: { a: PairRound[]; b: PairRound[] }) =>
      pairedRatio(
        throughputSeries(x.a, (f) => f.throughputMbps),
        throughputSeries(x.b, (f) => f.throughputMbps),
      ).value;
    assert.equal(ratio(abba), 1);
    assert.ok(ratio(ab)! > 1, String(ratio(ab)));
  });
});
