import { strict as assert } from "assert";

import { runPerformance } from "../../perf/runner";
import { fortioLoadArgv, fortioPorts, parseFortioJson } from "../../perf/tcpRr";
import { resolvePerfSettings } from "../../perf/settings";
import { RecordedExecutor } from "../../runner/localExecutors";
import { fixture, healthy, isFortioRr, SEED } from "./helpers";

const FAST = { seed: 7, repeats: 3, durationSeconds: 1, serverStartDelayMs: 0 };

describe("TCP_RR and TCP_CRR with fortio (perf/tcpRr.ts)", () => {
  it("reads fortio's JSON: answered requests, percentiles in ms, the rate, the sockets", () => {
    const rr = parseFortioJson(fixture("fortio/tcp-rr-loopback.json"));
    assert.equal(rr.runType, "TCP");
    assert.equal(rr.ok, 103176);
    assert.deepEqual(rr.errors, {});
    assert.equal(rr.sockets, 1, "one connection kept open");
    assert.ok(Math.abs(rr.p50Ms! - 0.0167) < 0.0001, String(rr.p50Ms));
    assert.ok(rr.p50Ms! <= rr.p90Ms! && rr.p90Ms! <= rr.p99Ms!);
    assert.ok(Math.abs(rr.qps! - 51587) < 1);
    const crr = parseFortioJson(fixture("fortio/http-crr-loopback.json"));
    assert.equal(crr.ok, 12515);
    assert.equal(crr.sockets, 12516, "a new connection per request (and the warm-up's)");
    const refused = parseFortioJson(fixture("fortio/tcp-rr-refused.json"));
    assert.equal(refused.ok, 0);
    assert.deepEqual(refused.errors, { "dial tcp 127.0.0.1:18079: connect: connection refused": 28500 });
    assert.match(parseFortioJson("Aggregated Function Time : count 3").issue ?? "", /^not fortio's JSON/);
  });

  it("asks for one connection, no pacing, 1 µs buckets, and new connections only for TCP_CRR", () => {
    const s = resolvePerfSettings({ seed: 1 });
    assert.deepEqual(fortioPorts(s), { tcp: 5202, http: 5203 });
    assert.deepEqual(
      fortioLoadArgv("tcp://10.0.0.72:5202", false).join(" "),
      "fortio load -qps 0 -c 1 -t 5s -r 0.000001 -p 50,90,99 -json - tcp://10.0.0.72:5202",
    );
    assert.match(
      fortioLoadArgv("http://10.0.0.72:5203/", true).join(" "),
      / -connection-reuse 1:1 -json - http:/,
    );
  });

  it("reports TCP_RR percentiles and rates per pair, and a cross-node ratio from them", async () => {
    const perf = await runPerformance(SEED, new RecordedExecutor(healthy()), FAST);
    const same = perf.pairs.find((p) => p.name === "pod-to-pod-same-node")!;
    const p50 = same.figures.find((f) => f.name === "tcp-rr-p50")!;
    assert.equal(p50.samples, 3);
    assert.ok(Math.abs(p50.value! - 0.0167) < 0.0001);
    assert.ok(same.figures.find((f) => f.name === "tcp-crr-rate")!.value! > 6000);
    assert.equal(same.figures.find((f) => f.name === "tcp-rr-rate")!.unit, "1/s");
    assert.match(perf.ratios.crossNodePodVsNodeTcpRrP50.compares, /TCP_RR p50/);
    assert.equal(
      perf.pairs.find((p) => p.name === "pod-to-nodeport")!.figures.some((f) => f.name.startsWith("tcp-rr")),
      false,
    );
  });

  it("is inconclusive, naming fortio's error, when every request was refused (fortio still exits 0)", async () => {
    const ex = new RecordedExecutor(
      healthy(0, [{ pod: "*", argv: isFortioRr, stdout: fixture("fortio/tcp-rr-refused.json") }]),
    );
    const perf = await runPerformance(SEED, ex, { ...FAST, only: ["pod-to-pod-same-node"] });
    const p = perf.pairs[0];
    assert.equal(p.verdict, "inconclusive");
    assert.match(
      p.reason,
      /tcp-rr: rr: fortio counted 28500 × dial tcp 127\.0\.0\.1:18079: connect: connection refused beside 0 answered/,
    );
  });
});
