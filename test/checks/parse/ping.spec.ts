import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parsePing } from "../../../checks/parse";

const fixture = (name: string): string =>
  fs.readFileSync(path.resolve(__dirname, "../../fixtures/parse/ping", name), "utf8");

describe("parsePing", () => {
  it("reads TTL 63 for the seed's same-node ping and 62 for its cross-node ping", () => {
    assert.equal(parsePing(fixture("busybox-seed-same-node.txt")).ttl, 63);
    assert.equal(parsePing(fixture("busybox-seed-cross-node.txt")).ttl, 62);
  });

  it("takes the TTL of the first reply when replies differ", () => {
    const raw = [
      "PING 10.0.0.72 (10.0.0.72): 56 data bytes",
      "64 bytes from 10.0.0.72: seq=0 ttl=62 time=1.916 ms",
      "64 bytes from 10.0.0.72: seq=1 ttl=63 time=1.100 ms",
      "",
      "--- 10.0.0.72 ping statistics ---",
      "2 packets transmitted, 2 packets received, 0% packet loss",
      "round-trip min/avg/max = 1.100/1.508/1.916 ms",
    ].join("\n");
    assert.equal(parsePing(raw).ttl, 62);
  });

  it("reads iputils' error count and fractional loss from the statistics line", () => {
    const raw = "3 packets transmitted, 2 received, +1 errors, 33.3333% packet loss, time 2003ms\n";
    const result = parsePing(raw);
    assert.equal(result.transmitted, 3);
    assert.equal(result.received, 2);
    assert.equal(result.lossPercent, 33.3333);
  });

  it("asks for no round-trip line and no TTL when no reply came back", () => {
    const result = parsePing(fixture("iputils-total-loss.txt"));
    assert.equal(result.received, 0);
    assert.equal(result.rttAvg, undefined);
    assert.equal(result.ttl, undefined);
    assert.deepEqual(result.issues, []);
  });

  it("names the statistics line as missing when the output stops after the replies", () => {
    const raw =
      "PING 127.0.0.1 (127.0.0.1): 56 data bytes\n64 bytes from 127.0.0.1: seq=0 ttl=64 time=0.054 ms\n";
    const result = parsePing(raw);
    assert.equal(result.ttl, 64);
    assert.equal(result.transmitted, undefined);
    assert.equal(result.lossPercent, undefined);
    assert.ok(result.issues.some((i) => i.includes("statistics")));
    assert.ok(result.issues.some((i) => i.includes("round-trip")));
  });

  it("never turns a missing number into -1 or NaN", () => {
    const result = parsePing("ping: bad address 'nowhere'\n");
    for (const value of Object.values(result)) {
      if (typeof value === "number") assert.ok(Number.isFinite(value) && value >= 0);
    }
    assert.equal(result.rttMin, undefined);
  });
});
