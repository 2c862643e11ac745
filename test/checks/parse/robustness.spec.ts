import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import {
  parseArp,
  parseCiliumStatus,
  parseIpAddr,
  parseIpRoute,
  parseIptablesSave,
  parsePing,
  parseServiceList,
  parseTcFilters,
  parseTcpdump,
} from "../../../checks/parse";

const FIXTURES = path.resolve(__dirname, "../../fixtures/parse");
const fixture = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), "utf8");

interface Result {
  readonly raw: string;
  readonly issues: readonly string[];
}

interface Case {
  readonly name: string;
  readonly parse: (raw: string) => Result;
  /** Scalar fields that must be undefined when nothing was read. */
  readonly scalars: readonly string[];
  /** List fields that must be empty when nothing was read. */
  readonly lists: readonly string[];
  /** A real fixture, cut at half its length for the truncation test. */
  readonly cutFixture: string;
  /**
   * Whether that cut can be seen. A list (services, routes, arp entries) cut at a line boundary is
   * indistinguishable from a shorter list; the test then only checks that nothing is invented.
   */
  readonly cutDetectable: boolean;
  /** The list field whose entries a cut output must share with the full one (all but the last). */
  readonly prefixList?: string;
}

const CASES: readonly Case[] = [
  {
    name: "parseCiliumStatus",
    parse: parseCiliumStatus,
    scalars: [
      "format",
      "ciliumVersion",
      "kubeProxyReplacement",
      "hostRouting",
      "masquerading",
      "masqueradeCidr",
      "routingNetwork",
      "clusterHealthReachable",
      "clusterHealthTotal",
      "controllersHealthy",
      "controllersTotal",
    ],
    lists: ["kprDevices"],
    cutFixture: "cilium-status/seed-1.13-flattened.txt",
    cutDetectable: true,
  },
  {
    name: "parsePing",
    parse: parsePing,
    scalars: ["transmitted", "received", "lossPercent", "rttMin", "rttAvg", "rttMax", "ttl"],
    lists: [],
    cutFixture: "ping/iputils-loopback.txt",
    cutDetectable: true,
  },
  {
    name: "parseServiceList",
    parse: parseServiceList,
    scalars: [],
    lists: ["services"],
    cutFixture: "service-list/upstream-pr24136-maintenance.txt",
    cutDetectable: false,
    prefixList: "services",
  },
  {
    name: "parseIpRoute",
    parse: parseIpRoute,
    scalars: [],
    lists: ["routes"],
    cutFixture: "ip-route/seed-pod-net.txt",
    cutDetectable: true,
    prefixList: "routes",
  },
  {
    name: "parseIpAddr",
    parse: parseIpAddr,
    scalars: [],
    lists: ["interfaces"],
    cutFixture: "ip-addr/netns-pod-veth.txt",
    cutDetectable: true,
    prefixList: "interfaces",
  },
  {
    name: "parseTcFilters",
    parse: (raw) => parseTcFilters(raw, { dev: "eth0", direction: "egress" }),
    scalars: ["format"],
    lists: ["programs"],
    cutFixture: "tc-filters/seed-eth0-egress.txt",
    cutDetectable: true,
    prefixList: "programs",
  },
  {
    name: "parseTcpdump",
    parse: parseTcpdump,
    scalars: ["capturedCount"],
    lists: ["packets"],
    cutFixture: "tcpdump/seed-nodeport-curl-tcp.txt",
    cutDetectable: true,
    prefixList: "packets",
  },
  {
    name: "parseIptablesSave",
    parse: parseIptablesSave,
    scalars: [],
    lists: ["nodePortsMentioned", "chains", "tables"],
    cutFixture: "iptables-save/legacy-fake-kube-proxy.txt",
    cutDetectable: true,
    prefixList: "chains",
  },
  {
    name: "parseArp",
    parse: parseArp,
    scalars: [],
    lists: ["entries"],
    cutFixture: "arp/netns-net-tools.txt",
    cutDetectable: true,
    prefixList: "entries",
  },
];

const GARBAGE: ReadonlyArray<readonly [string, string]> = [
  ["prose", 'Error from server (NotFound): pods "cilium-xyz" not found\n'],
  ["a shell error", "sh: 1: tcpdump: not found\n"],
  [
    "binary bytes",
    Buffer.from([0, 255, 1, 2, 0x1b, 0x5b, 0x32, 0x4a, 10, 0xc3, 0x28, 0, 7]).toString("latin1"),
  ],
  ["half of a JSON document", '{"cilium": {"state": "Ok", "msg": "1.16'],
  ["a JSON array of numbers", "[1, 2, 3]"],
];

/** Inputs a JavaScript caller or a bad cast might pass instead of a string. */
const NOT_STRINGS: ReadonlyArray<readonly [string, unknown]> = [
  ["undefined", undefined],
  ["null", null],
  ["a number", 42],
  ["an object", { stdout: "x" }],
];

function field(result: Result, name: string): unknown {
  return (result as unknown as Record<string, unknown>)[name];
}

/** `format` says what the text looked like (half a JSON document is still "json"); checked elsewhere. */
function assertNothingRead(c: Case, result: Result): void {
  for (const s of c.scalars.filter((f) => f !== "format")) {
    assert.equal(field(result, s), undefined, `${c.name}: ${s} should be undefined`);
  }
  for (const l of c.lists) assert.deepEqual(field(result, l), [], `${c.name}: ${l} should be empty`);
}

describe("parser robustness", () => {
  for (const c of CASES) {
    describe(c.name, () => {
      it("returns raw, nothing read and a non-empty issues list for empty output", () => {
        for (const raw of ["", "   \n\t\n"]) {
          const result = c.parse(raw);
          assert.equal(result.raw, raw);
          assertNothingRead(c, result);
          assert.ok(result.issues.length > 0, "issues should say the output is empty");
          assert.ok(
            result.issues.some((i) => /empty/.test(i)),
            result.issues.join("; "),
          );
        }
      });

      for (const [label, raw] of GARBAGE) {
        it(`reads nothing from ${label} and says so`, () => {
          const result = c.parse(raw);
          assert.equal(result.raw, raw);
          assertNothingRead(c, result);
          assert.ok(result.issues.length > 0, "garbage must leave an issue");
        });
      }

      for (const [label, value] of NOT_STRINGS) {
        it(`does not throw when handed ${label} instead of a string`, () => {
          const result = c.parse(value as string);
          assert.equal(typeof result.raw, "string");
          assert.ok(result.issues.length > 0);
        });
      }

      const cutTitle = c.cutDetectable
        ? "reports the first half of a real output as incomplete without inventing values"
        : "invents nothing from the first half of a real output (a cut list looks like a shorter one)";
      it(cutTitle, () => {
        const full = fixture(c.cutFixture);
        const half = full.slice(0, Math.floor(full.length / 2));
        const result = c.parse(half);
        const complete = c.parse(full);
        assert.equal(result.raw, half);
        assert.deepEqual(complete.issues, [], `the full ${c.cutFixture} should parse without issues`);
        if (c.cutDetectable) assert.ok(result.issues.length > 0, `no issue for a cut ${c.cutFixture}`);
        if (c.prefixList !== undefined) {
          const cut = field(result, c.prefixList) as unknown[];
          const whole = field(complete, c.prefixList) as unknown[];
          assert.ok(cut.length <= whole.length);
          assert.deepEqual(cut.slice(0, -1), whole.slice(0, Math.max(cut.length - 1, 0)));
        }
      });

      it("finishes quickly on a megabyte of one garbage line", () => {
        const start = Date.now();
        const result = c.parse(`filter ${"a: 1 => 2 bpf handle ".repeat(50_000)}`);
        assert.ok(Date.now() - start < 2000, `${c.name} took ${Date.now() - start} ms`);
        assert.ok(result.issues.length > 0);
      });
    });
  }
});
