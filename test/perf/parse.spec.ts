import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import fc from "fast-check";

import { parseIperf3 } from "../../checks/parse/iperf3";
import { parseCurlSamples, parsePingSamples, percentile, percentiles } from "../../perf/samples";

/**
 * Golden fixtures: test/fixtures/perf/<tool>/<case>.txt is real output (see SOURCES.md), <case>.json
 * the reviewed result without `raw` (undefined fields absent, as in JSON).
 */
const FIXTURES = path.resolve(__dirname, "../fixtures/perf");

const PARSERS: Readonly<Record<string, (raw: string) => { readonly raw: string }>> = {
  iperf3: parseIperf3,
  ping: parsePingSamples,
  curl: parseCurlSamples,
};

function comparable(result: { readonly raw: string }): unknown {
  const { raw: _raw, ...rest } = result;
  return JSON.parse(JSON.stringify(rest)) as unknown;
}

function casesOf(dir: string): string[] {
  return fs
    .readdirSync(path.join(FIXTURES, dir))
    .filter((f) => f.endsWith(".txt"))
    .map((f) => f.slice(0, -".txt".length))
    .sort();
}

describe("performance parsers: golden fixtures", () => {
  for (const [dir, parse] of Object.entries(PARSERS)) {
    describe(dir, () => {
      it("pairs every recorded output with a reviewed result", () => {
        const files = fs.readdirSync(path.join(FIXTURES, dir));
        const cases = casesOf(dir);
        assert.ok(cases.length >= 2, `too few fixtures in ${dir}`);
        for (const c of cases) assert.ok(files.includes(`${c}.json`), `${dir}/${c}.txt has no ${c}.json`);
        for (const f of files)
          assert.ok(cases.includes(f.replace(/\.(json|txt)$/, "")), `${dir}/${f} is unpaired`);
      });
      for (const name of casesOf(dir)) {
        it(`parses ${name} into its reviewed result and keeps the raw output`, () => {
          const base = path.join(FIXTURES, dir, name);
          const raw = fs.readFileSync(`${base}.txt`, "utf8");
          const result = parse(raw);
          assert.equal(result.raw, raw);
          assert.deepEqual(comparable(result), JSON.parse(fs.readFileSync(`${base}.json`, "utf8")));
        });
      }
    });
  }
});

describe("parseIperf3", () => {
  const read = (name: string): string =>
    fs.readFileSync(path.join(FIXTURES, "iperf3", `${name}.txt`), "utf8");

  it("reads throughput from end.sum_received in Mbit/s (10^6), not from the sender", () => {
    const r = parseIperf3(read("loopback-single-stream"));
    const doc = JSON.parse(read("loopback-single-stream")) as {
      end: { sum_received: { bits_per_second: number } };
    };
    assert.equal(r.receivedMbps, Math.round(doc.end.sum_received.bits_per_second / 1000) / 1000);
    assert.notEqual(r.receivedMbps, r.sentMbps);
  });

  it("sums parallel streams and keeps each stream", () => {
    const r = parseIperf3(read("loopback-two-streams"));
    assert.equal(r.streams, 2);
    assert.equal(r.perStream.length, 2);
    assert.equal(r.connected?.length, 2);
    const sum = r.perStream.reduce((s, p) => s + (p.retransmits ?? 0), 0);
    assert.equal(r.retransmits, sum);
  });

  it("reports iperf3's error field for a refused connection, with no invented figures", () => {
    const r = parseIperf3(read("connection-refused"));
    assert.match(r.error ?? "", /Connection refused/);
    assert.equal(r.receivedMbps, undefined);
    assert.deepEqual(r.connected, []);
  });

  it("reads the error line of a run without -J", () => {
    assert.match(parseIperf3(read("text-mode-refused")).error ?? "", /Connection refused/);
  });

  it("finds the document when text surrounds it, and says so", () => {
    const r = parseIperf3(`warning: something\n${read("loopback-single-stream")}\ntrailing`);
    assert.equal(r.receivedMbps, parseIperf3(read("loopback-single-stream")).receivedMbps);
    assert.ok(r.issues.some((i) => /text around/.test(i)));
  });

  it("never throws and never invents a negative or non-finite figure, whatever the input", () => {
    const json = fc.jsonValue().map((v) => JSON.stringify(v));
    const shaped = fc
      .record({
        start: fc.option(fc.record({ connected: fc.anything(), test_start: fc.anything() })),
        end: fc.option(
          fc.record({ sum_sent: fc.anything(), sum_received: fc.anything(), streams: fc.anything() }),
        ),
        error: fc.option(fc.anything()),
      })
      .map((v) => JSON.stringify(v));
    fc.assert(
      fc.property(fc.oneof(fc.string(), json, shaped), (raw) => {
        const r = parseIperf3(raw);
        for (const v of [r.sentMbps, r.receivedMbps, r.retransmits, r.seconds]) {
          assert.ok(v === undefined || (Number.isFinite(v) && v >= 0));
        }
        assert.equal(r.raw, raw);
      }),
      { numRuns: 300 },
    );
    assert.deepEqual(parseIperf3(undefined as unknown as string).issues, ["empty output"]);
  });
});

describe("percentiles", () => {
  it("uses the nearest rank: always one of the samples", () => {
    const v = [0.5, 0.1, 0.3, 0.2, 0.4];
    assert.equal(percentile(v, 50), 0.3);
    assert.equal(percentile(v, 90), 0.5);
    assert.equal(percentile(v, 99), 0.5);
    assert.equal(percentile(v, 20), 0.1);
    assert.equal(percentile([7], 99), 7);
  });

  it("is undefined for no samples or a p outside (0, 100]", () => {
    assert.equal(percentile([], 50), undefined);
    assert.equal(percentile([1], 0), undefined);
    assert.equal(percentile([1], 101), undefined);
    assert.deepEqual(percentiles([]), {
      count: 0,
      p50: undefined,
      p90: undefined,
      p99: undefined,
      min: undefined,
      max: undefined,
    });
  });

  it("orders p50 <= p90 <= p99 within [min, max] for any sample set", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e4, noNaN: true }), { minLength: 1 }), (v) => {
        const p = percentiles(v);
        assert.ok(p.min! <= p.p50! && p.p50! <= p.p90! && p.p90! <= p.p99! && p.p99! <= p.max!);
        assert.ok(v.includes(p.p50!) && v.includes(p.p99!));
      }),
    );
  });

  it("gives the percentiles of the recorded loopback ping (20 samples: p90 is the 18th, p99 the 20th)", () => {
    const ping = parsePingSamples(
      fs.readFileSync(path.join(FIXTURES, "ping", "iputils-loopback-20.txt"), "utf8"),
    );
    const sorted = [...ping.rttsMs].sort((a, b) => a - b);
    const p = percentiles(ping.rttsMs);
    assert.equal(ping.rttsMs.length, 20);
    assert.equal(p.p50, sorted[9]);
    assert.equal(p.p90, sorted[17]);
    assert.equal(p.p99, sorted[19]);
  });
});

describe("parsePingSamples", () => {
  it("leaves duplicate replies out of the samples", () => {
    const raw = [
      "64 bytes from 10.0.0.1: icmp_seq=1 ttl=64 time=0.100 ms",
      "64 bytes from 10.0.0.1: icmp_seq=1 ttl=64 time=0.300 ms (DUP!)",
      "64 bytes from 10.0.0.1: icmp_seq=2 ttl=64 time=0.200 ms",
      "",
      "--- 10.0.0.1 ping statistics ---",
      "2 packets transmitted, 2 received, +1 duplicates, 0% packet loss, time 1001ms",
    ].join("\n");
    const r = parsePingSamples(raw);
    assert.deepEqual(r.rttsMs, [0.1, 0.2]);
    assert.equal(r.duplicates, 1);
    assert.deepEqual(r.issues, []);
  });

  it("says so when the reply lines and the statistics disagree", () => {
    const r = parsePingSamples("3 packets transmitted, 3 received, 0% packet loss, time 2ms\n");
    assert.deepEqual(r.rttsMs, []);
    assert.ok(r.issues.some((i) => /no reply line/.test(i)));
  });
});

describe("parseCurlSamples", () => {
  it("counts only answered requests as samples, in milliseconds", () => {
    const r = parseCurlSamples(
      "sample 200 0.000250 0.001500\nsample 000 0.000000 2.001000\ncurl: (28) timeout\n",
    );
    assert.deepEqual(r.connectMs, [0.25]);
    assert.deepEqual(r.totalMs, [1.5]);
    assert.equal(r.requests, 2);
    assert.equal(r.answered, 1);
    assert.deepEqual(r.codes, { "200": 1, "000": 1 });
    assert.deepEqual(r.errors, ["curl: (28) timeout"]);
  });

  it("says there is nothing to read in output without sample lines", () => {
    assert.deepEqual(parseCurlSamples("PodName: x\n").issues, [
      'no sample line ("sample <code> <connect> <total>")',
    ]);
  });
});
