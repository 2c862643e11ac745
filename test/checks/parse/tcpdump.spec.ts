import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseTcpdump } from "../../../checks/parse";

const fixture = (name: string): string =>
  fs.readFileSync(path.resolve(__dirname, "../../fixtures/parse/tcpdump", name), "utf8");

describe("parseTcpdump", () => {
  it("sees only the request on the seed's lxc device (bpf_redirect_peer skips it for the reply)", () => {
    const { packets } = parseTcpdump(fixture("seed-same-node-lxcbf5-request-only.txt"));
    assert.deepEqual(
      packets.map((p) => p.kind),
      ["echo request"],
    );
  });

  it("leaves MACs undefined without -e", () => {
    const { packets } = parseTcpdump(fixture("netns-icmp-no-e.txt"));
    assert.equal(packets.length, 2);
    assert.ok(packets.every((p) => p.srcMac === undefined && p.dstMac === undefined));
  });

  it("counts a capture that saw nothing as complete, with zero packets", () => {
    const result = parseTcpdump(fixture("netns-nothing-captured.txt"));
    assert.equal(result.capturedCount, 0);
    assert.deepEqual(result.packets, []);
    assert.deepEqual(result.issues, []);
  });

  it("reads an IPv6 echo request", () => {
    const raw =
      "10:00:00.000001 02:42:ac:12:00:02 > 02:42:ac:12:00:03, ethertype IPv6 (0x86dd), length 118: fc00:f853:ccd:e793::2 > fc00:f853:ccd:e793::3: ICMP6, echo request, id 1, seq 1, length 64\n";
    const [packet] = parseTcpdump(raw).packets;
    assert.equal(packet.kind, "echo request");
    assert.equal(packet.srcIp, "fc00:f853:ccd:e793::2");
    assert.equal(packet.dstIp, "fc00:f853:ccd:e793::3");
  });

  it("keeps an ARP frame as other, with MACs and without IPs", () => {
    const raw =
      "10:00:00.000001 02:42:ac:12:00:02 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 172.18.0.3 tell 172.18.0.2, length 28\n";
    const [packet] = parseTcpdump(raw).packets;
    assert.equal(packet.kind, "other");
    assert.equal(packet.srcMac, "02:42:ac:12:00:02");
    assert.equal(packet.srcIp, undefined);
  });

  it("reads a decoded UDP datagram (no UDP word) as udp by its ports", () => {
    const { packets } = parseTcpdump(fixture("netns-udp.txt"));
    assert.deepEqual(
      packets.map((p) => [p.kind, p.dstPort]),
      [
        ["udp", 40000],
        ["other", undefined],
        ["udp", 5353],
        ["other", undefined],
      ],
    );
  });

  it("reads -i any lines with an interface and direction prefix", () => {
    const raw =
      "10:00:00.000001 eth0  Out IP 10.0.2.40.32794 > 10.0.2.202.80: Flags [S], seq 1, win 64240, length 0\n";
    const [packet] = parseTcpdump(raw).packets;
    assert.equal(packet.kind, "tcp");
    assert.equal(packet.tcpFlags, "S");
    assert.equal(packet.dstPort, 80);
  });

  it("reports a capture killed before its summary", () => {
    const raw = "listening on eth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n";
    const result = parseTcpdump(raw);
    assert.equal(result.capturedCount, undefined);
    assert.ok(result.issues.some((i) => i.includes("summary")));
  });

  it("reports a captured count that differs from the packet lines read", () => {
    const lines = fixture("netns-icmp.txt").split("\n");
    const result = parseTcpdump(lines.slice(1).join("\n"));
    assert.equal(result.capturedCount, 4);
    assert.equal(result.packets.length, 3);
    assert.ok(result.issues.some((i) => i.includes("4 packets captured but 3")));
  });
});
