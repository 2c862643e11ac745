import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { main } from "../../cli/report";
import { renderComparison } from "../../report/compare";
import { readReportDocument } from "../../report/model";

const FIXTURES = path.resolve(__dirname, "../fixtures/report");
const load = (): Record<string, unknown> =>
  JSON.parse(fs.readFileSync(path.join(FIXTURES, "seed-stack-output.json"), "utf8")) as Record<
    string,
    unknown
  >;

/**
 * The "legacy" side: the seed stack output with one check changed as a lab declared with legacy host
 * routing would report it. Not a tool's output: a test input built from the seed's, the verdict and
 * reason in the words cilium-agent-status uses for a declared difference.
 */
function legacySide(): Record<string, unknown> {
  const doc = load();
  const checks = (typeof doc.checks === "string" ? JSON.parse(doc.checks) : doc.checks) as {
    results: { name: string; verdict: string; reason: string }[];
  };
  const status = checks.results.find((r) => r.name === "cilium-agent-status")!;
  status.verdict = "differs";
  status.reason =
    "differs from the lab profile as declared bpf.hostLegacyRouting true (lab: false) implies: Host Routing Legacy on every agent";
  return { ...doc, checks };
}

describe("two runs side by side (report/compare.ts, npm run report -- --compare)", () => {
  it("marks the verdicts that differ with each side's reason, and sets each side's figures and ratios beside", () => {
    const a = readReportDocument(load(), { expected: "stack-output" });
    const b = readReportDocument(legacySide(), { expected: "stack-output" });
    const md = renderComparison(a, b, { a: "BPF host routing", b: "legacy host routing" });
    assert.match(md, /^# BPF host routing and legacy host routing side by side/);
    assert.match(md, /\| `cilium-agent-status` \| pass \| differs \| \*\*differs\*\* \|/);
    assert.match(
      md,
      /- `cilium-agent-status`: BPF host routing pass: .*; legacy host routing differs: differs from the lab profile as declared bpf\.hostLegacyRouting true/,
    );
    assert.equal((md.match(/\*\*differs\*\*/g) ?? []).length, 1, "only the changed check");
    assert.ok(a.performance !== undefined);
    const throughput = a.performance.pairs[0].figures.find((f) => f.name === "throughput")!;
    assert.ok(
      md.includes(
        `| \`${a.performance.pairs[0].name}\` | \`throughput\` | Mbit/s | ${throughput.shown} | ${throughput.shown} |`,
      ),
    );
    assert.match(md, /\| `crossNodePodVsNode` \| withheld: /);
    assert.match(md, /no ratio is computed across them/);
  });

  it("writes it from the CLI with --compare and --labels, and refuses bad labels", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "report-ab-"));
    try {
      fs.writeFileSync(path.join(dir, "a.json"), JSON.stringify(load()));
      fs.writeFileSync(path.join(dir, "b.json"), JSON.stringify(legacySide()));
      let out = "";
      let err = "";
      const io = {
        stdout: { write: (t: string) => (out += t) },
        stderr: { write: (t: string) => (err += t) },
        cwd: dir,
      };
      const args = [
        "--stack-output",
        "a.json",
        "--compare",
        "b.json",
        "--labels",
        "bpf,legacy",
        "--out",
        "ab.md",
      ];
      assert.equal(await main(args, io), 0, err);
      const md = fs.readFileSync(path.join(dir, "ab.md"), "utf8");
      assert.match(md, /^# bpf and legacy side by side/);
      assert.match(err, /wrote ab\.md \(bpf beside legacy\)/);
      assert.ok(out.length > 0, "the first run's table is printed as before");
      assert.equal(await main([...args.slice(0, 4), "--labels", "only-one"], io), 2);
      assert.match(err, /--labels must be two names/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
