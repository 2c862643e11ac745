/**
 * The Markdown report: summary, checks with what each proves, the packet paths as Mermaid diagrams
 * annotated with the verdicts, the datapath facts, the nodes, the performance figures with their
 * chart, and every command's evidence folded under its check. Pure and deterministic: no clock
 * (a timestamp appears only when the document carries `generatedAt`).
 */
import { fixed } from "../perf/format";
import type { PerfPair, Performance, PerfRatios } from "../perf/types";
import type { Verdict } from "../checks/types";
import { cell, fencedBlock, htmlText, inlineCode, mdText, oneLine } from "./escape";
import { crossNodeDiagram, sameNodeDiagram } from "./mermaid";
import type { ReportDoc, ReportEvidence } from "./model";

export interface MarkdownOptions {
  /** File name of the performance chart, relative to the report (embedded when given). */
  readonly svgFile?: string;
  /** Lines of each evidence output shown; the rest is counted. Defaults to 200. */
  readonly maxEvidenceLines?: number;
}

const BADGE: Readonly<Record<Verdict, string>> = {
  pass: "✅ pass",
  fail: "❌ fail",
  inconclusive: "⚠️ inconclusive",
  differs: "🔷 differs from the lab profile",
};

/** What each ratio compares, for the report. */
export const RATIO_MEANINGS: Readonly<Record<keyof PerfRatios, string>> = {
  crossNodePodVsNode: "pod-to-pod across nodes ÷ node-to-node, throughput",
  sameNodePodVsNode: "pod-to-pod on one node ÷ node-to-node, throughput",
  crossNodePodVsNodeRttP50: "pod-to-pod across nodes ÷ node-to-node, RTT p50",
  sameNodePodVsNodeRttP50: "pod-to-pod on one node ÷ node-to-node, RTT p50",
  crossNodePodVsNodeRttP99: "pod-to-pod across nodes ÷ node-to-node, RTT p99",
};

/** The explanation printed under the performance figures. */
export const READING_THE_FIGURES = [
  "- Throughput is what arrived at the receiver (iperf3 `end.sum_received`), in Mbit/s (10^6 bit/s). RTT percentiles are nearest-rank over per-packet round trips (`ping -i 0.2`); for the NodePort they are TCP connect times (one SYN / SYN-ACK round trip) of curl requests, and the request figures the whole HTTP exchange. No NodePort throughput: the service leads to the test pods' HTTP server, not to iperf3.",
  "- The ratios divide the pod figures by node-to-node between the same two nodes, measured in the same run the same way. eBPF host routing (bpf_redirect_peer into the pod, bpf_redirect_neigh out of the node, no iptables and no upper-stack detour on the host) should put pod-to-pod close to node-to-node: throughput ratios near 1, RTT ratios near 1. Cilium's own benchmark reports single-stream TCP with BPF host routing close to, sometimes above, node-to-node; the kernel commit that added bpf_redirect_peer measured pod-to-remote-pod TCP_RR latency going from 122 µs to 44 µs.",
  "- On kind every node is a container on one host: node-to-node is a veth pair and a Linux bridge, not a NIC, and every pair shares the same CPUs. The figures compare datapaths on this machine, not network capacity; same-node pod traffic can beat node-to-node because it never crosses the bridge. Runs are short and noisy: compare ratios, and repeat before drawing conclusions.",
].join("\n");

function anchor(prefix: string, name: string): string {
  return `${prefix}-${name.toLowerCase().replace(/[^a-z0-9-]+/g, "-")}`;
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

function rtt(p: PerfPair): string {
  if (p.rttP50Ms === undefined) return "–";
  const triple = `${fixed(p.rttP50Ms, 3)} / ${fixed(p.rttP90Ms, 3)} / ${fixed(p.rttP99Ms, 3)}`;
  return p.latencyMethod === "tcp-connect" ? `${triple} (TCP connect)` : triple;
}

function hasFigures(perf: Performance): boolean {
  return perf.pairs.some((p) => p.throughputMbps !== undefined || p.rttP50Ms !== undefined);
}

function performanceSection(perf: Performance, opts: MarkdownOptions): string[] {
  const s = perf.settings;
  const base = perf.pairs.find((p) => p.name === "node-to-node")?.throughputMbps;
  const out = [
    "## Performance",
    "",
    `One measurement at a time: iperf3 TCP for ${s.durationSeconds} s with ${s.streams} stream${s.streams === 1 ? "" : "s"}, then ${s.pingSamples} latency samples per pair.`,
    "",
    "| Pair | From → to | Throughput (Mbit/s) | × node | Retransmits | RTT p50 / p90 / p99 (ms) | Samples | Verdict |",
    "| --- | --- | ---: | ---: | ---: | --- | ---: | --- |",
  ];
  for (const p of perf.pairs) {
    const ratio =
      p.throughputMbps === undefined || base === undefined || !(base > 0) || p.name === "node-to-node"
        ? "–"
        : (p.throughputMbps / base).toFixed(2);
    const cells = [
      `[${inlineCode(p.name)}](#${anchor("pair", p.name)})`,
      `${mdText(p.from)} → ${mdText(p.to)}`,
      p.throughputMbps === undefined ? "–" : p.throughputMbps.toFixed(1),
      ratio,
      p.retransmits === undefined ? "–" : String(p.retransmits),
      rtt(p),
      String(p.samples),
      BADGE[p.verdict],
    ];
    out.push(`| ${cells.map(cell).join(" | ")} |`);
  }
  out.push("");
  if (opts.svgFile !== undefined && hasFigures(perf)) {
    out.push(`![Throughput and round-trip time per pair](${encodeURI(opts.svgFile)})`, "");
  }
  const ratios = Object.entries(perf.ratios).filter(
    (e): e is [keyof PerfRatios, number] => typeof e[1] === "number",
  );
  if (ratios.length > 0) {
    out.push("Ratios (pod ÷ node-to-node, same run):", "");
    for (const [k, v] of ratios) {
      const meaning = RATIO_MEANINGS[k] === undefined ? "" : `: ${RATIO_MEANINGS[k]}`;
      out.push(`- ${inlineCode(k)} = **${v.toFixed(3)}**${meaning}`);
    }
    out.push("");
  }
  const notes = perf.pairs.flatMap((p) =>
    (p.notes ?? []).map((n) => `- ${inlineCode(p.name)}: ${mdText(n)}`),
  );
  const failed = perf.pairs
    .filter((p) => p.verdict !== "pass")
    .map((p) => `- ${inlineCode(p.name)}: ${mdText(p.reason)}`);
  if (failed.length > 0) out.push("Not measured:", "", ...failed, "");
  if (notes.length > 0) out.push("Notes:", "", ...notes, "");
  out.push("### Reading the figures", "", READING_THE_FIGURES, "");
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
