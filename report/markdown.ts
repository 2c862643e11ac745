/**
 * The Markdown report: summary, checks with what each proves, the packet paths as Mermaid diagrams
 * annotated with the verdicts, the datapath facts, the nodes, the performance figures with their
 * chart, and every command's evidence folded under its check. Pure and deterministic: no clock
 * (a timestamp appears only when the document carries `generatedAt`).
 */
import type { Performance } from "../perf/types";
import { anchor, BADGE, cell, fencedBlock, htmlText, inlineCode, mdText, oneLine } from "./escape";
import { performanceSection } from "./perfSection";
import { crossNodeDiagram, sameNodeDiagram } from "./mermaid";
import type { ReportDoc, ReportEvidence } from "./model";

export interface MarkdownOptions {
  /** File name of the performance chart, relative to the report (embedded when given). */
  readonly svgFile?: string;
  /** Lines of each evidence output shown; the rest is counted. Defaults to 200. */
  readonly maxEvidenceLines?: number;
}

function evidenceBlock(e: ReportEvidence, index: number, maxLines: number): string[] {
  const status =
    e.timedOut === true ? " · timed out" : e.exitCode === undefined ? "" : ` · exit ${e.exitCode}`;
  const summary = `${index + 1}. <code>${htmlText(oneLine(e.command, 110))}</code>${status}`;
  const lines = e.output.replace(/\n$/, "").split("\n");
  const kept = lines.slice(0, maxLines);
  const more = lines.length - kept.length;
  const body = [`$ ${e.command}`, ...(e.output === "" ? ["(no output)"] : kept)];
  if (more > 0) body.push(`… ${more} more line${more === 1 ? "" : "s"} (the JSON input has them all)`);
  return [
    "<details>",
    `<summary>${summary}</summary>`,
    "",
    fencedBlock(body.join("\n")),
    "",
    "</details>",
    "",
  ];
}

function factValue(key: string, value: unknown): string {
  if (key === "podCidrs" && typeof value === "object" && value !== null && !Array.isArray(value)) {
    return Object.entries(value as Record<string, unknown>)
      .map(
        ([node, cidrs]) =>
          `${inlineCode(node)}: ${inlineCode(Array.isArray(cidrs) ? cidrs.join(", ") : String(cidrs))}`,
      )
      .join("<br>");
  }
  if (typeof value === "string") return inlineCode(value);
  return inlineCode(JSON.stringify(value) ?? String(value));
}

function header(doc: ReportDoc): string[] {
  const meta = [
    doc.clusterName === undefined ? undefined : `Cluster ${inlineCode(doc.clusterName)}`,
    doc.ciliumVersion === undefined ? undefined : `Cilium ${inlineCode(doc.ciliumVersion)}`,
    doc.generatedAt === undefined ? undefined : `generated ${mdText(doc.generatedAt)}`,
  ].filter((x): x is string => x !== undefined);
  const source = {
    "stack-output": "the stack outputs",
    "runner-output": "the check runner's output",
    "performance-output": "the performance runner's output",
  }[doc.source];
  const out = ["# Cilium eBPF lab report", ""];
  out.push(meta.length > 0 ? `${meta.join(" · ")} · from ${source}.` : `From ${source}.`, "");
  const summaries = [doc.summary, doc.performance?.summary].filter((s): s is string => s !== undefined);
  if (summaries.length > 0) out.push(summaries.map((s) => `**${mdText(s)}**`).join(" · "), "");
  if (doc.problems.length > 0) {
    out.push("Problems the runners met:", "", ...doc.problems.map((p) => `- ${mdText(p)}`), "");
  }
  if (doc.issues.length > 0) {
    out.push("Input issues:", "", ...doc.issues.map((p) => `- ${mdText(p)}`), "");
  }
  return out;
}

function checksTable(doc: ReportDoc): string[] {
  if (doc.results.length === 0) return [];
  const out = [
    "## Checks",
    "",
    "| Check | Verdict | What a pass proves | Reason |",
    "| --- | --- | --- | --- |",
  ];
  for (const r of doc.results) {
    const name = `[${inlineCode(r.name)}](#${anchor("check", r.name)})`;
    out.push(
      `| ${cell(name)} | ${BADGE[r.verdict]} | ${cell(mdText(r.proves))} | ${cell(mdText(r.reason))} |`,
    );
  }
  out.push("");
  return out;
}

function diagrams(doc: ReportDoc): string[] {
  if (doc.results.length === 0) return [];
  return [
    "## Packet paths",
    "",
    "The paths the seed traces with tcpdump under BPF host routing. Each hop carries the verdict of the check that proves it (green pass, red fail, amber inconclusive, grey dashed: not run).",
    "",
    "### Same node",
    "",
    fencedBlock(sameNodeDiagram(doc), "mermaid"),
    "",
    "### Cross node",
    "",
    fencedBlock(crossNodeDiagram(doc), "mermaid"),
    "",
    "The reply takes the mirror path: its own lxc's from-container, bpf_redirect_neigh on the destination node, bpf_redirect_peer into the source pod.",
    "",
  ];
}

function factsTable(doc: ReportDoc): string[] {
  const keys = Object.keys(doc.datapath).sort();
  if (keys.length === 0) return [];
  const out = ["## Datapath facts", "", "| Fact | Value |", "| --- | --- |"];
  for (const k of keys) out.push(`| ${cell(inlineCode(k))} | ${cell(factValue(k, doc.datapath[k]))} |`);
  out.push("");
  return out;
}

function nodesTable(doc: ReportDoc): string[] {
  if (doc.nodes.length === 0) return [];
  const out = ["## Nodes", "", "| Node | Role | Internal IP |", "| --- | --- | --- |"];
  for (const n of doc.nodes) {
    out.push(
      `| ${cell(inlineCode(n.name))} | ${cell(mdText(n.role ?? ""))} | ${cell(mdText(n.internalIp ?? ""))} |`,
    );
  }
  out.push("");
  return out;
}

function checkEvidence(doc: ReportDoc, maxLines: number): string[] {
  if (doc.results.length === 0) return [];
  const out = ["## Evidence", ""];
  for (const r of doc.results) {
    out.push(
      `<a id="${anchor("check", r.name)}"></a>`,
      "",
      `### ${inlineCode(r.name)} ${BADGE[r.verdict]}`,
      "",
    );
    if (r.proves !== "") out.push(`**Proves:** ${mdText(r.proves)}`, "");
    out.push(`**Reason:** ${mdText(r.reason)}`, "");
    if (r.evidence.length === 0) out.push("No command ran.", "");
    r.evidence.forEach((e, i) => out.push(...evidenceBlock(e, i, maxLines)));
  }
  return out;
}

function pairEvidence(perf: Performance, maxLines: number): string[] {
  if (perf.pairs.length === 0) return [];
  const out = ["## Performance evidence", ""];
  for (const p of perf.pairs) {
    out.push(
      `<a id="${anchor("pair", p.name)}"></a>`,
      "",
      `### ${inlineCode(p.name)} ${BADGE[p.verdict]}`,
      "",
    );
    out.push(`**${mdText(p.from)} → ${mdText(p.to)}:** ${mdText(p.reason)}`, "");
    if (p.evidence.length === 0) out.push("No command ran.", "");
    p.evidence.forEach((e, i) => out.push(...evidenceBlock(e, i, maxLines)));
  }
  return out;
}

/** The whole report (ends with one newline). */
export function renderMarkdown(doc: ReportDoc, opts: MarkdownOptions = {}): string {
  const maxLines = opts.maxEvidenceLines ?? 200;
  const parts = [
    ...header(doc),
    ...checksTable(doc),
    ...diagrams(doc),
    ...factsTable(doc),
    ...nodesTable(doc),
    ...(doc.performance === undefined ? [] : performanceSection(doc.performance, opts)),
    ...checkEvidence(doc, maxLines),
    ...(doc.performance === undefined ? [] : pairEvidence(doc.performance, maxLines)),
  ];
  // No whitespace rewriting of the whole text: evidence inside the code blocks stays verbatim.
  return `${parts.join("\n").trimEnd()}\n`;
}
