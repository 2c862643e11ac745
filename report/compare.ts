/**
 * Two runs side by side (the datapath A/B of issue 25, e.g. BPF host routing against legacy host
 * routing on two labs): the verdicts that differ with each side's reason (the checks' reasons name the
 * mechanism: `Host Routing: Legacy`, a veth that saw both directions), then each pair's figures with
 * their spread and each ratio as that side's run gives it (withheld where its interval does not allow
 * one). No ratio is computed across the two labs: their rounds are not paired (different clusters,
 * measured one after the other), so only the intervals are set side by side. No published reference
 * figure is shown: none was measured like for like here.
 */
import { cell, inlineCode, mdText } from "./escape";
import type { ReportDoc } from "./model";

/** What names each side. */
export interface ComparisonLabels {
  readonly a: string;
  readonly b: string;
}

function verdictRows(a: ReportDoc, b: ReportDoc, labels: ComparisonLabels): string[] {
  const names = [...new Set([...a.results.map((r) => r.name), ...b.results.map((r) => r.name)])];
  const rows: string[] = [];
  const differing: string[] = [];
  for (const name of names) {
    const ra = a.results.find((r) => r.name === name);
    const rb = b.results.find((r) => r.name === name);
    const va = ra?.verdict ?? "absent";
    const vb = rb?.verdict ?? "absent";
    rows.push(`| ${inlineCode(name)} | ${va} | ${vb} | ${va === vb ? "" : "**differs**"} |`);
    if (va !== vb) {
      differing.push(
        `- ${inlineCode(name)}: ${mdText(labels.a)} ${va}: ${mdText(ra?.reason ?? "not run")}; ${mdText(labels.b)} ${vb}: ${mdText(rb?.reason ?? "not run")}`,
      );
    }
  }
  return [
    "## Verdicts",
    "",
    `| check | ${cell(mdText(labels.a))} | ${cell(mdText(labels.b))} | |`,
    "|---|---|---|---|",
    ...rows,
    "",
    differing.length === 0
      ? "Every check has the same verdict on both."
      : "Where they differ, and why (each side's reason):",
    "",
    ...differing,
    ...(differing.length === 0 ? [] : [""]),
  ];
}

function figureRows(a: ReportDoc, b: ReportDoc, labels: ComparisonLabels): string[] {
  const pa = a.performance;
  const pb = b.performance;
  if (pa === undefined && pb === undefined) return [];
  const out = [
    "## Figures",
    "",
    "Each side's median over its rounds with min–max; ratios as each run gives them. The two labs' rounds are not paired, so no ratio is computed across them: compare the intervals.",
    "",
    `| pair | figure | unit | ${cell(mdText(labels.a))} | ${cell(mdText(labels.b))} |`,
    "|---|---|---|---|---|",
  ];
  const pairs = [...new Set([...(pa?.pairs ?? []), ...(pb?.pairs ?? [])].map((p) => p.name))];
  for (const pair of pairs) {
    const fa = pa?.pairs.find((p) => p.name === pair)?.figures ?? [];
    const fb = pb?.pairs.find((p) => p.name === pair)?.figures ?? [];
    const figures = [...new Set([...fa, ...fb].map((f) => f.name))];
    for (const name of figures) {
      const x = fa.find((f) => f.name === name);
      const y = fb.find((f) => f.name === name);
      const unit = x?.unit ?? y?.unit ?? "";
      out.push(
        `| ${inlineCode(pair)} | ${inlineCode(name)} | ${unit} | ${cell(mdText(x?.shown ?? "absent"))} | ${cell(mdText(y?.shown ?? "absent"))} |`,
      );
    }
  }
  const ratios = [...new Set([...Object.keys(pa?.ratios ?? {}), ...Object.keys(pb?.ratios ?? {})])];
  if (ratios.length > 0) {
    out.push("", `| ratio | ${cell(mdText(labels.a))} | ${cell(mdText(labels.b))} |`, "|---|---|---|");
    for (const k of ratios) {
      const show = (r: { shown: string; withheld?: string } | undefined): string =>
        r === undefined ? "absent" : r.withheld === undefined ? r.shown : `withheld: ${r.withheld}`;
      out.push(
        `| ${inlineCode(k)} | ${cell(mdText(show(pa?.ratios[k])))} | ${cell(mdText(show(pb?.ratios[k])))} |`,
      );
    }
  }
  return [...out, ""];
}

/** The side-by-side Markdown of two runs. Pure: the same inputs give the same bytes. */
export function renderComparison(a: ReportDoc, b: ReportDoc, labels: ComparisonLabels): string {
  return [
    `# ${mdText(labels.a)} and ${mdText(labels.b)} side by side`,
    "",
    `- ${mdText(labels.a)}: ${mdText(a.summary ?? "no summary")}`,
    `- ${mdText(labels.b)}: ${mdText(b.summary ?? "no summary")}`,
    "",
    ...verdictRows(a, b, labels),
    ...figureRows(a, b, labels),
  ].join("\n");
}
