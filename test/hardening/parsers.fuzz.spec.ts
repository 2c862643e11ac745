/**
 * Garbled or truncated tool output never yields a pass.
 *
 * Part 1, the parsers (every one exported by checks/parse): each golden fixture under
 * test/fixtures/parse (with its own parser) and each recorded step output under test/fixtures/checks
 * (with every parser) is cut at every line boundary and at random byte offsets, has lines deleted or
 * duplicated, characters mutated, binary garbage spliced in, or is replaced by garbage. Whatever comes
 * in, a parser returns `raw` and an `issues` list, never throws, never returns NaN, Infinity or a
 * negative number, never a number that is not written in its input, and a prefix that lost a value
 * the full output had leaves that value undefined or says so in `issues`.
 *
 * Part 2, the judges: every check of ALL_CHECKS is fed the seed's healthy recorded results with one
 * step's output emptied, cut to its first line, cut in half, or replaced by garbage; the verdict is
 * never "pass" unless the pass does not rest on that step (listed, with the reason, below).
 *
 * Seeded (LAB_FC_SEED overrides); the counts of fuzzed inputs are printed at the end.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import fc from "fast-check";
import { ALL_CHECKS } from "../../checks/defs";
import { parseIperf3 } from "../../checks/parse";
import * as parseModule from "../../checks/parse";
import { PARSERS_BY_FIXTURE_FOLDER } from "../helpers/parsers";
import type { CheckDefinition, ExecResult, LabContext } from "../../checks/types";
import { SEED_CONTEXT, caseResults } from "../checks/defs/seedContext";

const SEED = Number(process.env.LAB_FC_SEED ?? 20261125);
const PARSE_FIXTURES = path.resolve(__dirname, "../fixtures/parse");
/** parseIperf3's golden fixtures live with the performance measurements. */
const PERF_FIXTURES = path.resolve(__dirname, "../fixtures/perf");
const CHECK_FIXTURES = path.resolve(__dirname, "../fixtures/checks");
/** Random mutations per fixture and parser. */
const MUTATIONS_PER_FIXTURE = 12;
/** Random byte-offset cuts per fixture and parser. */
const BYTE_CUTS_PER_FIXTURE = 6;

interface Parsed {
  readonly raw: string;
  readonly issues: readonly string[];
}
type Parser = (raw: string, args?: unknown) => Parsed;

/** Every exported parser, by fixture folder. */
const PARSERS: Readonly<Record<string, Parser>> = {
  ...PARSERS_BY_FIXTURE_FOLDER,
  iperf3: (raw) => parseIperf3(raw),
};

/** Where each parser's golden fixtures are. */
function fixtureDir(folder: string): string {
  return folder === "iperf3" ? path.join(PERF_FIXTURES, folder) : path.join(PARSE_FIXTURES, folder);
}

/** Numbers a parser derives rather than reads (counts of what it saw); exempt from "written in the input". */
const DERIVED_NUMBERS: Readonly<Record<string, readonly string[]>> = {
  "iptables-save": ["ruleCount"],
};

/**
 * Parsers that convert what they read (iperf3: bits/s to Mbit/s, µs to ms, percentages rounded to 3
 * decimals): each of their numbers must be some number of the input, scaled and rounded that way.
 */
const CONVERTING = new Set(["iperf3"]);
const NUMBER_TOKEN = /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

function derivable(input: string, n: number): boolean {
  const round3 = (x: number) => Math.round(x * 1000) / 1000;
  for (const token of input.match(NUMBER_TOKEN) ?? []) {
    const x = Number(token);
    if ([1, 1e-3, 1e-6].some((k) => x * k === n || round3(x * k) === n)) return true;
  }
  return false;
}

/** The property a number sits in: `perStream[0].senderMbps` → `senderMbps`. */
function leafKey(at: string): string {
  return (
    at
      .replace(/\[\d+\]/g, "")
      .split(".")
      .pop() ?? at
  );
}

const counts = {
  parseFixtures: 0,
  checkFixtures: 0,
  lineCuts: 0,
  byteCuts: 0,
  mutations: 0,
  garbage: 0,
  judgeVariants: 0,
  judgeMutations: 0,
};

// ---- fixtures --------------------------------------------------------------------------------

interface Fixture {
  readonly name: string;
  readonly text: string;
  readonly args?: unknown;
}

function walkTxt(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return walkTxt(p);
    return e.name.endsWith(".txt") ? [p] : [];
  });
}

function parseFixtures(folder: string): Fixture[] {
  return walkTxt(fixtureDir(folder))
    .sort()
    .map((file) => {
      const argsFile = file.replace(/\.txt$/, ".args.json");
      return {
        name: path.relative(path.dirname(fixtureDir(folder)), file),
        text: fs.readFileSync(file, "utf8"),
        args: fs.existsSync(argsFile)
          ? (JSON.parse(fs.readFileSync(argsFile, "utf8")) as unknown)
          : undefined,
      };
    });
}

const CHECK_FIXTURE_FILES = walkTxt(CHECK_FIXTURES).sort();

// ---- mutations -------------------------------------------------------------------------------

/** Line-boundary prefixes: the first k lines with their newlines, for every k. */
function linePrefixes(text: string): string[] {
  const out: string[] = [];
  let i = text.indexOf("\n");
  while (i >= 0 && i < text.length - 1) {
    out.push(text.slice(0, i + 1));
    i = text.indexOf("\n", i + 1);
  }
  return out;
}

/**
 * Line-boundary prefixes of a long text, bounded: every boundary within the first 60 and the last 30
 * lines and before every line that opens a block (starts without white space: a section title, a
 * table, a new record), and one in every `ceil(lines / 100)` boundaries elsewhere. Short texts (up to
 * 100 lines) keep every boundary. Used where every parser reads every recorded check output: the cuts
 * of a 560-line `cilium status --verbose` inside its controller list were 90 % of this file's CPU
 * (12 s of 13) and exercise the same parser states as the sampled ones; each parser's own fixtures
 * are still cut at every boundary (golden sweep above).
 */
function boundedLinePrefixes(text: string): string[] {
  const all = linePrefixes(text);
  if (all.length <= 100) return all;
  const stride = Math.ceil(all.length / 100);
  const lines = text.split("\n");
  return all.filter(
    (_, k) => k < 60 || k >= all.length - 30 || k % stride === 0 || /^\S/.test(lines[k + 1] ?? ""),
  );
}

/** The text cut at a byte offset (a multi-byte character cut in two decodes as U+FFFD). */
function cutAtByte(text: string, offset: number): string {
  const bytes = Buffer.from(text, "utf8");
  return bytes.subarray(0, offset % Math.max(1, bytes.length)).toString("utf8");
}

type Mutation =
  | { readonly kind: "delete-line"; readonly at: number }
  | { readonly kind: "duplicate-line"; readonly at: number }
  | { readonly kind: "swap-lines"; readonly at: number; readonly with: number }
  | { readonly kind: "char"; readonly at: number; readonly ch: string }
  | { readonly kind: "delete-chars"; readonly at: number; readonly n: number }
  | { readonly kind: "splice-garbage"; readonly at: number; readonly bytes: Uint8Array };

const garbageBytes = fc.uint8Array({ minLength: 1, maxLength: 120 });
const mutationArb: fc.Arbitrary<Mutation[]> = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant("delete-line" as const), at: fc.nat() }),
    fc.record({ kind: fc.constant("duplicate-line" as const), at: fc.nat() }),
    fc.record({ kind: fc.constant("swap-lines" as const), at: fc.nat(), with: fc.nat() }),
    fc.record({
      kind: fc.constant("char" as const),
      at: fc.nat(),
      ch: fc.oneof(
        fc.constantFrom("0", "9", "-", ".", ":", "/", " ", "\n", "\t", "%", "x", "\u0000", "\ufffd", "é"),
        fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
      ),
    }),
    fc.record({
      kind: fc.constant("delete-chars" as const),
      at: fc.nat(),
      n: fc.integer({ min: 1, max: 8 }),
    }),
    fc.record({ kind: fc.constant("splice-garbage" as const), at: fc.nat(), bytes: garbageBytes }),
  ),
  { minLength: 1, maxLength: 4 },
);

function mutate(text: string, mutations: readonly Mutation[]): string {
  let t = text;
  for (const m of mutations) {
    const lines = t.split("\n");
    const li = (n: number) => n % Math.max(1, lines.length);
    const ci = (n: number) => n % Math.max(1, t.length);
    switch (m.kind) {
      case "delete-line":
        lines.splice(li(m.at), 1);
        t = lines.join("\n");
        break;
      case "duplicate-line":
        lines.splice(li(m.at), 0, lines[li(m.at)]);
        t = lines.join("\n");
        break;
      case "swap-lines": {
        const [a, b] = [li(m.at), li(m.with)];
        [lines[a], lines[b]] = [lines[b], lines[a]];
        t = lines.join("\n");
        break;
      }
      case "char":
        t = t.slice(0, ci(m.at)) + m.ch + t.slice(ci(m.at) + 1);
        break;
      case "delete-chars":
        t = t.slice(0, ci(m.at)) + t.slice(ci(m.at) + m.n);
        break;
      case "splice-garbage":
        t = t.slice(0, ci(m.at)) + Buffer.from(m.bytes).toString("latin1") + t.slice(ci(m.at));
        break;
    }
  }
  return t;
}

// ---- invariants ------------------------------------------------------------------------------

interface NumberAt {
  readonly path: string;
  readonly value: number;
}

function numbersOf(value: unknown, at = ""): NumberAt[] {
  if (typeof value === "number") return [{ path: at, value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => numbersOf(v, `${at}[${i}]`));
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).flatMap(([k, v]) =>
      k === "raw" ? [] : numbersOf(v, at ? `${at}.${k}` : k),
    );
  }
  return [];
}

/** A decimal number as a tool could have written it (`0.05` in `0.050`, `1` in `1.000`). */
function writtenIn(input: string, n: number): boolean {
  return input.includes(String(n));
}

function describeInput(input: string): string {
  return JSON.stringify(input.length > 300 ? `${input.slice(0, 150)}…${input.slice(-150)}` : input);
}

/** The invariants every parse must hold, whatever the input. */
function checkParse(folder: string, parser: Parser, input: string, args?: unknown): Parsed {
  let result: Parsed;
  try {
    result = parser(input, args);
  } catch (e) {
    throw new Error(`${folder} threw ${String(e)} on ${describeInput(input)}`);
  }
  assert.equal(result.raw, input, `${folder}: raw is not the input`);
  assert.ok(Array.isArray(result.issues), `${folder}: no issues list`);
  assert.ok(
    result.issues.every((i) => typeof i === "string"),
    `${folder}: issues must be strings`,
  );
  const derived = new Set(DERIVED_NUMBERS[folder] ?? []);
  for (const { path: p, value } of numbersOf(result)) {
    assert.ok(Number.isFinite(value), `${folder}: ${p} is ${value} on ${describeInput(input)}`);
    assert.ok(value >= 0, `${folder}: ${p} is negative (${value}) on ${describeInput(input)}`);
    if (!derived.has(leafKey(p))) {
      assert.ok(
        writtenIn(input, value) || (CONVERTING.has(folder) && derivable(input, value)),
        `${folder}: ${p} = ${value} is not written in the input (invented): ${describeInput(input)}`,
      );
    }
  }
  return result;
}

function fields(result: Parsed): Record<string, unknown> {
  const { raw: _raw, issues: _issues, ...rest } = result as unknown as Record<string, unknown>;
  return rest;
}

/**
 * A prefix of an output keeps the full output's values or loses them, saying so: a scalar that
 * differs from the full parse is undefined or comes with an issue; a list keeps the full list's
 * entries in order (the last one may be partial, when the cut went through it).
 */
function checkPrefix(folder: string, full: Parsed, cut: Parsed): void {
  const f = fields(full);
  const c = fields(cut);
  // A count of what was read shrinks with the input: a dump cut after a table's COMMIT looks like a
  // dump of fewer tables (the same holds for any list cut at an entry boundary).
  const derived = new Set(DERIVED_NUMBERS[folder] ?? []);
  for (const [key, value] of Object.entries(f)) {
    if (derived.has(key)) continue;
    const got = c[key];
    if (Array.isArray(value)) {
      if (got === undefined) continue; // a list the cut output does not show at all: lost, not invented
      const list = got as unknown[];
      assert.ok(Array.isArray(list), `${folder}: ${key} is not a list`);
      const keep = Math.max(0, list.length - 1);
      assert.deepEqual(
        list.slice(0, keep),
        value.slice(0, keep),
        `${folder}: ${key} of a prefix is not a prefix of the full ${key}: ${describeInput(cut.raw)}`,
      );
      continue;
    }
    if (value === undefined || got === undefined) continue;
    if (JSON.stringify(got) !== JSON.stringify(value)) {
      assert.ok(
        cut.issues.length > 0,
        `${folder}: ${key} is ${JSON.stringify(got)} in a prefix (${JSON.stringify(value)} in the full output) and no issue says the output is incomplete: ${describeInput(cut.raw)}`,
      );
    }
  }
}

// ---- the specs -------------------------------------------------------------------------------

describe("parsers under fuzzed tool output", function () {
  this.timeout(120000);

  it("covers every parser exported by checks/parse", () => {
    const exported = Object.keys(parseModule)
      .filter((k) => /^parse[A-Z]/.test(k))
      .sort();
    assert.deepEqual(exported, [
      "parseArp",
      "parseBpfLbList",
      "parseBpfNatList",
      "parseCiliumStatus",
      "parseCiliumTrace",
      "parseIpAddr",
      "parseIpRoute",
      "parseIperf3",
      "parseIptablesSave",
      "parsePing",
      "parseProcSnmp",
      "parseServiceList",
      "parseTcFilters",
      "parseTcpdump",
    ]);
    const folders = fs
      .readdirSync(PARSE_FIXTURES)
      .filter((d) => fs.statSync(path.join(PARSE_FIXTURES, d)).isDirectory());
    assert.deepEqual(Object.keys(PARSERS).sort(), [...folders, "iperf3"].sort());
  });

  for (const [folder, parser] of Object.entries(PARSERS)) {
    describe(folder, () => {
      const fixtures = parseFixtures(folder);

      it(`reads every golden fixture within the invariants (${fixtures.length} fixtures)`, () => {
        assert.ok(fixtures.length > 0);
        for (const fx of fixtures) {
          counts.parseFixtures++;
          checkParse(folder, parser, fx.text, fx.args);
        }
      });

      it("keeps or visibly loses each value when a fixture is cut at every line boundary", () => {
        for (const fx of fixtures) {
          const full = checkParse(folder, parser, fx.text, fx.args);
          for (const prefix of linePrefixes(fx.text)) {
            counts.lineCuts++;
            checkPrefix(folder, full, checkParse(folder, parser, prefix, fx.args));
          }
        }
      });

      it("keeps or visibly loses each value when a fixture is cut at random byte offsets", () => {
        fc.assert(
          fc.property(fc.constantFrom(...fixtures), fc.nat(), (fx, offset) => {
            counts.byteCuts++;
            const full = checkParse(folder, parser, fx.text, fx.args);
            const cut = cutAtByte(fx.text, offset);
            checkPrefix(folder, full, checkParse(folder, parser, cut, fx.args));
          }),
          { numRuns: fixtures.length * BYTE_CUTS_PER_FIXTURE, seed: SEED },
        );
      });

      it("stays within the invariants under line deletion and duplication, character mutation and spliced garbage", () => {
        fc.assert(
          fc.property(fc.constantFrom(...fixtures), mutationArb, (fx, mutations) => {
            counts.mutations++;
            checkParse(folder, parser, mutate(fx.text, mutations), fx.args);
          }),
          { numRuns: fixtures.length * MUTATIONS_PER_FIXTURE, seed: SEED + 1 },
        );
      });

      it("reads nothing from binary garbage and says so", () => {
        fc.assert(
          fc.property(
            garbageBytes,
            fc.constantFrom("latin1", "utf8") as fc.Arbitrary<BufferEncoding>,
            (bytes, enc) => {
              counts.garbage++;
              const input = Buffer.from(bytes).toString(enc);
              const result = checkParse(folder, parser, input);
              assert.ok(
                result.issues.length > 0,
                `${folder}: garbage left no issue: ${describeInput(input)}`,
              );
            },
          ),
          { numRuns: 100, seed: SEED + 2 },
        );
      });
    });
  }

  describe("every parser over the recorded step outputs of the checks (test/fixtures/checks)", () => {
    const fixtures: Fixture[] = CHECK_FIXTURE_FILES.map((file) => ({
      name: path.relative(CHECK_FIXTURES, file),
      text: fs.readFileSync(file, "utf8"),
    }));

    it(`stays within the invariants on ${fixtures.length} recorded outputs, cut at line boundaries (bounded) and mutated`, () => {
      assert.ok(fixtures.length > 50);
      const mutations = fc.sample(mutationArb, { numRuns: 4 * fixtures.length, seed: SEED + 3 });
      fixtures.forEach((fx, i) => {
        counts.checkFixtures++;
        const inputs = [fx.text, ...boundedLinePrefixes(fx.text)];
        counts.lineCuts += (inputs.length - 1) * Object.keys(PARSERS).length;
        const mutated = mutations.slice(4 * i, 4 * i + 4).map((m) => mutate(fx.text, m));
        counts.mutations += mutated.length * Object.keys(PARSERS).length;
        for (const [folder, parser] of Object.entries(PARSERS)) {
          const full = checkParse(folder, parser, fx.text);
          for (const prefix of inputs.slice(1)) checkPrefix(folder, full, checkParse(folder, parser, prefix));
          for (const m of mutated) checkParse(folder, parser, m);
        }
      });
    });
  });
});

// ---- judges ----------------------------------------------------------------------------------

/**
 * Steps whose loss a pass may survive, by design of the check, and what the reason must then say.
 * Anything else that still passes with a step emptied, cut to one line or garbled is a judge that
 * passes without its evidence.
 */
const PASS_DOES_NOT_REST_ON: Readonly<
  Record<string, { readonly steps: RegExp; readonly reason: RegExp; readonly why: string }>
> = {
  "redirect-peer-same-node": {
    steps: /^host-routing$/,
    reason: /judged as BPF host routing/,
    why: "the host routing mode only sets the expectation; with the mode unknown a one-sided capture is judged as BPF, and the reason says so",
  },
  "redirect-peer-cross-node": {
    steps: /^trace$/,
    reason: /judged as BPF host routing/,
    why: "as redirect-peer-same-node: the destination agent's status is the `status` section of its trace step (the trace events are evidence beside the veths, said when unreadable)",
  },
  "nodeport-from-outside": {
    steps: /^nat:.*-worker2$/,
    reason: /BPF NAT table not needed on .*-worker2: every answer there came from its own pod$/,
    why: "worker2's answers all came from its own pod, so its table shows nothing; the pass says it was not needed",
  },
};

const GARBAGE_OUTPUTS: readonly (readonly [string, string])[] = [
  ["prose", 'Error from server (NotFound): pods "net" not found\n'],
  ["a shell error", "sh: 1: tcpdump: not found\n"],
  ["binary", Buffer.from([0, 255, 1, 2, 0x1b, 0x5b, 0x32, 0x4a, 10, 0xc3, 0x28, 0, 7]).toString("latin1")],
  ["half a JSON document", '{"cilium": {"state": "Ok", "msg": "1.16'],
];

function withOutput(
  results: ReadonlyMap<string, ExecResult>,
  id: string,
  stdout: string,
): Map<string, ExecResult> {
  const copy = new Map(results);
  const r = results.get(id);
  if (r !== undefined) copy.set(id, { ...r, stdout });
  return copy;
}

function firstLine(text: string): string {
  const i = text.indexOf("\n");
  return i < 0 ? text : text.slice(0, i + 1);
}

function judgeOf(check: CheckDefinition, ctx: LabContext, results: ReadonlyMap<string, ExecResult>) {
  const j = check.judge(ctx, results);
  assert.ok(["pass", "fail", "inconclusive"].includes(j.verdict), `${check.name}: no verdict`);
  assert.equal(typeof j.reason, "string");
  return j;
}

/**
 * Facts of a judgement made on cut evidence that the full evidence does not support: a value that
 * differs from the healthy judgement's (undefined or "unknown" is fine: it was lost, not invented).
 */
function inventedFacts(cut: unknown, full: unknown, at = "facts"): string[] {
  // "unknown" is how a judge writes a value it could not read: lost, not invented
  if (cut === undefined || cut === null || cut === "unknown") return [];
  if (Array.isArray(cut)) {
    const known = new Set((Array.isArray(full) ? full : []).map((x) => JSON.stringify(x)));
    return cut.filter((x) => !known.has(JSON.stringify(x))).map((x) => `${at} holds ${JSON.stringify(x)}`);
  }
  if (typeof cut === "object") {
    const f = (typeof full === "object" && full !== null ? full : {}) as Record<string, unknown>;
    return Object.entries(cut as Record<string, unknown>).flatMap(([k, v]) =>
      inventedFacts(v, f[k], `${at}.${k}`),
    );
  }
  return cut === full ? [] : [`${at} = ${JSON.stringify(cut)} (full evidence: ${JSON.stringify(full)})`];
}

describe("judges fed garbled evidence (seed-healthy recordings)", () => {
  for (const check of ALL_CHECKS) {
    describe(check.name, () => {
      const steps = check.steps(SEED_CONTEXT);
      const healthy = caseResults(check.name, "healthy", steps);
      const exempt = PASS_DOES_NOT_REST_ON[check.name];

      it("passes on the healthy recording (the baseline)", () => {
        assert.equal(judgeOf(check, SEED_CONTEXT, healthy).verdict, "pass");
      });

      for (const step of steps) {
        const original = healthy.get(step.id)?.stdout ?? "";
        const mayPass = exempt !== undefined && exempt.steps.test(step.id);

        it(`${mayPass ? "passes only as documented" : "never passes"} when "${step.id}" is emptied, cut to its first line or replaced by garbage`, () => {
          const variants: (readonly [string, string])[] = [
            ["emptied", ""],
            ["cut to its first line", firstLine(original)],
            ...GARBAGE_OUTPUTS.map(([label, text]) => [`replaced by ${label}`, text] as const),
          ];
          const passed: string[] = [];
          for (const [label, text] of variants) {
            if (text === original) continue; // a one-line output cut to its first line is unchanged
            counts.judgeVariants++;
            const j = judgeOf(check, SEED_CONTEXT, withOutput(healthy, step.id, text));
            if (j.verdict === "pass" && !(mayPass && exempt.reason.test(j.reason))) {
              passed.push(`${label}: ${j.reason}`);
            }
          }
          assert.deepEqual(passed, [], `${check.name} passed without the evidence of "${step.id}"`);
        });

        it(`invents no fact when "${step.id}" is cut at any line boundary, in half or at random bytes`, () => {
          const full = judgeOf(check, SEED_CONTEXT, healthy);
          const cuts = [
            ...linePrefixes(original),
            original.slice(0, Math.floor(original.length / 2)),
            ...fc.sample(fc.nat(), { numRuns: 10, seed: SEED + 5 }).map((n) => cutAtByte(original, n)),
          ];
          const problems: string[] = [];
          for (const text of cuts) {
            counts.judgeVariants++;
            const j = judgeOf(check, SEED_CONTEXT, withOutput(healthy, step.id, text));
            if (j.verdict !== "pass") continue;
            for (const p of inventedFacts(j.facts, full.facts)) problems.push(`${describeInput(text)}: ${p}`);
          }
          assert.deepEqual(problems, []);
        });
      }

      it("returns a verdict and never throws for randomly mutated step outputs", () => {
        fc.assert(
          fc.property(fc.constantFrom(...steps.map((s) => s.id)), mutationArb, (id, mutations) => {
            counts.judgeMutations++;
            const text = mutate(healthy.get(id)?.stdout ?? "", mutations);
            judgeOf(check, SEED_CONTEXT, withOutput(healthy, id, text));
          }),
          { numRuns: 40, seed: SEED + 4 },
        );
      });
    });
  }

  after(() => {
    const parserInputs =
      counts.parseFixtures +
      counts.checkFixtures +
      counts.lineCuts +
      counts.byteCuts +
      counts.mutations +
      counts.garbage;
    console.log(
      `      fuzzed: ${counts.parseFixtures} golden parse fixtures and ${counts.checkFixtures} recorded check outputs; ` +
        `${parserInputs} parser inputs (${counts.lineCuts} line cuts, ${counts.byteCuts} byte cuts, ${counts.mutations} mutations, ${counts.garbage} garbage); ` +
        `${counts.judgeVariants} judge variants, ${counts.judgeMutations} judge mutations`,
    );
  });
});
