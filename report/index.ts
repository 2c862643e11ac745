/**
 * The lab report: read the stack outputs or a runner's JSON, render a terminal table, a Markdown
 * report with Mermaid packet paths and folded evidence, and an SVG chart of the performance figures.
 */
export { main as reportMain, parseReportArgs, REPORT_USAGE, svgPathFor } from "../cli/report";
export { cell, fencedBlock, htmlText, inlineCode, mdText, mermaidLabel, oneLine } from "./escape";
export { renderMarkdown } from "./markdown";
export { READING_THE_FIGURES } from "./perfSection";
export type { MarkdownOptions } from "./markdown";
export { crossNodeDiagram, DIAGRAM_CHECKS, sameNodeDiagram } from "./mermaid";
export { readReportDocument } from "./model";
export type { ExpectedSource, ReportDoc, ReportEvidence, ReportNode, ReportResult } from "./model";
export { niceMax, renderSvg } from "./svg";
export { renderTable } from "./table";
export type { TableOptions } from "./table";
