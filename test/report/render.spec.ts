import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import fc from "fast-check";

import { ALL_CHECKS } from "../../checks/defs";
import { fencedBlock, inlineCode, mermaidLabel } from "../../report/escape";
import { renderMarkdown } from "../../report/markdown";
import { crossNodeDiagram, DIAGRAM_CHECKS, sameNodeDiagram } from "../../report/mermaid";
import { readReportDocument, type ReportDoc } from "../../report/model";
import { niceMax, renderSvg } from "../../report/svg";
import { renderTable } from "../../report/table";

/**
 * Golden files: test/fixtures/report/<input>.json rendered must equal the reviewed outputs exactly.
 * UPDATE_GOLDEN=1 rewrites them (review the diff before keeping it); without it any difference fails.
 */
const FIXTURES = path.resolve(__dirname, "../fixtures/report");
const UPDATE = process.env.UPDATE_GOLDEN === "1";

function golden(file: string, actual: string): void {
  const full = path.join(FIXTURES, file);
  if (UPDATE) fs.writeFileSync(full, actual);
  assert.ok(fs.existsSync(full), `${file} is missing: run with UPDATE_GOLDEN=1 and review it`);
  const expected = fs.readFileSync(full, "utf8");
  if (actual !== expected) {
    const a = actual.split("\n");
    const e = expected.split("\n");
    const i = a.findIndex((line, k) => line !== e[k]);
    assert.fail(
      `${file} differs from the rendering at line ${i + 1}:\n  expected: ${JSON.stringify(e[i])}\n  actual:   ${JSON.stringify(a[i])}\n(UPDATE_GOLDEN=1 rewrites it)`,
    );
  }
}

function load(file: string): unknown {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, file), "utf8")) as unknown;
}

const SEED = readReportDocument(load("seed-stack-output.json"), { expected: "stack-output" });
const ADVERSARIAL = readReportDocument(load("adversarial-runner-output.json"), { expected: "runner-output" });

describe("report golden files", () => {
  it("renders the seed-like stack outputs into the reviewed Markdown", () => {
    golden("seed-report.md", renderMarkdown(SEED, { svgFile: "seed-performance.svg", maxEvidenceLines: 25 }));
  });

  it("renders the seed-like performance figures into the reviewed SVG", () => {
    assert.ok(SEED.performance);
    golden("seed-performance.svg", renderSvg(SEED.performance));
  });

  it("renders the seed-like stack outputs into the reviewed terminal table", () => {
    golden("seed-table.txt", renderTable(SEED));
  });

  it("renders hostile evidence and names into the reviewed Markdown and table", () => {
    golden("adversarial-report.md", renderMarkdown(ADVERSARIAL));
    golden("adversarial-table.txt", renderTable(ADVERSARIAL));
  });

  it("gives the same bytes every time (no clock, no randomness)", () => {
    const a = renderMarkdown(SEED, { svgFile: "x.svg" });
    const b = renderMarkdown(readReportDocument(load("seed-stack-output.json")), { svgFile: "x.svg" });
    assert.equal(a, b);
    assert.doesNotMatch(a, /\b20\d\d-\d\d-\d\d\b/);
    assert.equal(renderSvg(SEED.performance!), renderSvg(SEED.performance!));
  });

  it("shows a timestamp only when one is given", () => {
    const doc = readReportDocument(load("seed-stack-output.json"), { generatedAt: "2026-11-25 15:00 UTC" });
    assert.match(
      renderMarkdown(doc),
      /^Cluster `cilium-kubeproxy-replacement-ebpf` · Cilium `1\.13\.0-rc5` · generated 2026-11-25 15:00 UTC · from the stack outputs\.$/m,
    );
  });
});

describe("report contents", () => {
  const md = renderMarkdown(SEED, { svgFile: "report-performance.svg" });

  it("opens with the summary lines and lists every check with what it proves", () => {
    assert.match(md, /^\*\*13\/14 checks passed, 1 inconclusive\*\* · \*\*4\/4 pairs measured\*\*$/m);
    for (const r of SEED.results) assert.ok(md.includes(`| [\`${r.name}\`](#check-${r.name}) |`), r.name);
  });

  it("folds every command's evidence under its check", () => {
    const blocks = md.match(/<details>\n<summary>/g) ?? [];
    const expected =
      SEED.results.reduce((n, r) => n + r.evidence.length, 0) +
      SEED.performance!.pairs.reduce((n, p) => n + p.evidence.length, 0);
    assert.equal(blocks.length, expected);
  });

  it("embeds the chart and states what the numbers mean", () => {
    assert.match(md, /^!\[Throughput and round-trip time per pair\]\(report-performance\.svg\)$/m);
    assert.match(md, /TCP_RR 122 µs → 44 µs\) come from netperf on real NICs/);
    assert.match(
      md,
      /\*\*Datapath \(`lab` profile\):\*\* debug\.enabled=true, .* No comparison with published figures/,
    );
    // The recorded noisy node-to-node series leaves the cross-node ratio withheld, with the reason.
    assert.match(
      md,
      /- `crossNodePodVsNode` \(pod-to-pod-cross-node throughput \/ node-to-node throughput\): withheld: the per-round ratios range from 0\.79 to 1\.56: too noisy/,
    );
    assert.match(
      md,
      /- `sameNodePodVsNode` \(pod-to-pod-same-node \/ node-to-node\): withheld: unlike paths/,
    );
    // The NodePort split by backend locality.
    assert.match(md, /^\| local \| 0\.\d+ \(.*\) \/ - \/ - \| .* \| 50 \|$/m);
    assert.match(md, /^\| remote \| \d+\.\d+ \(.*\) \/ - \/ - \| .* \| 50 \|$/m);
  });

  it("draws both packet paths with the verdict of the check behind each hop", () => {
    const same = sameNodeDiagram(SEED);
    assert.match(
      same,
      /srcLxc ==>\|"2 bpf_redirect_peer: into the pod, skipping its lxc<br\/>redirect-peer-same-node: PASS"\| dstPod/,
    );
    assert.match(same, /saw the request only/);
    const cross = crossNodeDiagram(SEED);
    assert.match(cross, /next hop MAC 02:42:ac:12:00:03<br\/>redirect-neigh: PASS/);
    assert.match(
      cross,
      /srcEth -->\|"3 native routing: pod CIDR via the peer node's IP<br\/>node-routes: PASS"\| dstEth/,
    );
    assert.match(cross, /redirect-peer-cross-node: PASS/);
    assert.match(
      cross,
      /dstEth\["node eth0 02:42:ac:12:00:03<br\/>tc ingress: from-netdev<br\/>bpf-attach-points: PASS"\]/,
    );
  });

  it("colours a hop by its check's verdict, and grey when the check did not run", () => {
    const doc: ReportDoc = {
      ...SEED,
      results: SEED.results
        .filter((r) => r.name !== DIAGRAM_CHECKS.nodeRoutes)
        .map((r) => (r.name === DIAGRAM_CHECKS.neigh ? { ...r, verdict: "fail" as const } : r)),
    };
    const cross = crossNodeDiagram(doc);
    assert.match(cross, /redirect-neigh: FAIL/);
    assert.match(cross, /node-routes: NOT RUN/);
    assert.match(cross, /linkStyle 1 stroke:#c62828/);
    assert.match(cross, /linkStyle 0,2,4 stroke:#8a8a8a/);
  });

  it("cites only checks that exist in checks/defs", () => {
    const names = new Set(ALL_CHECKS.map((c) => c.name));
    for (const name of Object.values(DIAGRAM_CHECKS)) assert.ok(names.has(name), name);
  });
});

/** The content of the fenced block that starts at `start` (the opening fence line), CommonMark style. */
function fencedContent(lines: readonly string[], start: number): string | undefined {
  const open = /^(`{3,})/.exec(lines[start])?.[1];
  if (open === undefined) return undefined;
  for (let i = start + 1; i < lines.length; i++) {
    const close = /^ {0,3}(`+)\s*$/.exec(lines[i]);
    if (close !== null && close[1].length >= open.length) return lines.slice(start + 1, i).join("\n");
  }
  return undefined;
}

describe("report escaping", () => {
  it("keeps any output inside its code block: no content can close the fence", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("`", "\n", "a", " ", "~", "<", "/") }), (output) => {
        const block = fencedBlock(output);
        const content = fencedContent(block.split("\n"), 0);
        assert.equal(content, output.replace(/\n$/, ""));
      }),
      { numRuns: 500 },
    );
  });

  it("keeps the hostile evidence verbatim inside its block", () => {
    const md = renderMarkdown(ADVERSARIAL);
    const lines = md.split("\n");
    const start = lines.findIndex((l) => l.startsWith("`````"));
    const content = fencedContent(lines, start);
    assert.ok(content?.includes("</details>\n\n<details><summary>fake</summary>"));
    assert.ok(content?.endsWith("| a | b |"));
    // The summary is one escaped line: no tag from the command survives.
    assert.match(
      md,
      /<summary>1\. <code>sh -c &#39;echo &quot;```&quot; ⏎ echo &lt;\/summary&gt;&lt;\/details&gt;&#39;<\/code> · exit 1<\/summary>/,
    );
  });

  it("escapes pipes and markup in table cells so rows keep their columns", () => {
    const md = renderMarkdown(ADVERSARIAL);
    const tables = md.slice(0, md.indexOf("## Evidence")).split("\n");
    const columnsOf = (row: string): number => (row.replace(/\\./g, "").match(/\|/g) ?? []).length - 1;
    const checks = tables.filter((l, i) => l.startsWith("| ") && i < tables.indexOf("## Packet paths"));
    const facts = tables.filter((l, i) => l.startsWith("| ") && i > tables.indexOf("## Datapath facts"));
    assert.equal(checks.length, 5); // header, delimiter, three checks
    for (const row of checks) assert.equal(columnsOf(row), 4, row);
    assert.equal(facts.length, 5);
    for (const row of facts) assert.equal(columnsOf(row), 2, row);
    assert.ok(md.includes("\\<script\\>alert(1)\\</script\\>"));
  });

  it("writes Mermaid labels no text can end", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const label = mermaidLabel(text);
        assert.match(label, /^"[^"<>`]*"$/);
      }),
    );
    const same = sameNodeDiagram(ADVERSARIAL);
    assert.ok(same.includes('srcLxc["lxc#quot;]) --#gt; x[#quot;pwn<br/>'), same);
  });

  it("chooses an inline code delimiter longer than any backtick run", () => {
    assert.equal(inlineCode("a ``` b"), "````a ``` b````");
    assert.equal(inlineCode("`x`"), "`` `x` ``");
  });

  it("reads the hostile input with its issues noted, and never throws", () => {
    assert.deepEqual(ADVERSARIAL.issues, [
      'odd name with spaces & <tags>: verdict "maybe" is not pass, fail, inconclusive or differs; shown as inconclusive',
      "check result 4 has no name and was left out",
    ]);
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const doc = readReportDocument(value);
        renderMarkdown(doc);
        renderTable(doc);
      }),
    );
  });
});

describe("report input", () => {
  it("reads the standalone runner's output", () => {
    const doc = readReportDocument({
      summary: "1/1 checks passed",
      results: [{ name: "a", verdict: "pass" }],
      datapath: {},
      problems: [],
    });
    assert.equal(doc.source, "runner-output");
    assert.equal(doc.summary, "1/1 checks passed");
  });

  it("reads the performance runner's { performance } alone", () => {
    const doc = readReportDocument({ performance: SEED.performance });
    assert.equal(doc.source, "performance-output");
    assert.equal(doc.results.length, 0);
    assert.equal(doc.performance?.pairs.length, 4);
  });

  it("says what to do when the stack outputs are secrets", () => {
    const doc = readReportDocument({ checks: "[secret]", datapath: "[secret]" });
    assert.ok(
      doc.issues.some((i) =>
        /checks output is a secret: run `pulumi stack output --json --show-secrets`/.test(i),
      ),
    );
  });

  it("parses outputs exported as JSON text", () => {
    const doc = readReportDocument({ checks: JSON.stringify({ summary: "s", results: [] }), datapath: "{}" });
    assert.equal(doc.summary, "s");
    assert.deepEqual(doc.issues, []);
  });

  it("notes a document of the other kind than the flag said", () => {
    const doc = readReportDocument({ results: [] }, { expected: "stack-output" });
    assert.deepEqual(doc.issues, [
      "expected stack-output but the document is runner-output; read as runner-output",
    ]);
  });

  it("computes a summary when the input has none", () => {
    const doc = readReportDocument({ checks: { results: [{ name: "a", verdict: "fail" }] } });
    assert.equal(doc.summary, "0/1 checks passed, 1 failed");
  });
});

describe("svg helpers", () => {
  it("rounds the axis up to 1, 2 or 5 times a power of ten", () => {
    assert.deepEqual([0.089, 0.11, 0.3, 14617.8, 0].map(niceMax), [0.1, 0.2, 0.5, 20000, 1]);
  });
});
