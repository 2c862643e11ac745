/** The compact terminal table: one line per check (and per performance pair), then the summaries. */
import { figureText, rttTriple } from "../perf/format";
import { oneLine } from "./escape";
import type { ReportDoc } from "./model";

export interface TableOptions {
  /** Characters per line; reasons are cut to fit. Defaults to 120. */
  readonly width?: number;
}

function columns(rows: readonly string[][], header: readonly string[], width: number): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  return all.map((r) => {
    const fixedPart = r
      .slice(0, -1)
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ");
    const room = Math.max(20, width - fixedPart.length - 2);
    return `${fixedPart}  ${oneLine(r[r.length - 1], room)}`.trimEnd();
  });
}

/** Pure: the same document gives the same text. */
export function renderTable(doc: ReportDoc, opts: TableOptions = {}): string {
  const width = opts.width ?? 120;
  const out: string[] = [];
  if (doc.results.length > 0) {
    out.push(
      ...columns(
        doc.results.map((r) => [r.name, r.verdict.toUpperCase(), r.reason]),
        ["CHECK", "VERDICT", "REASON"],
        width,
      ),
    );
  }
  const perf = doc.performance;
  if (perf !== undefined && perf.pairs.length > 0) {
    if (out.length > 0) out.push("");
    out.push(
      ...columns(
        perf.pairs.map((p) => [
          p.name,
          p.verdict.toUpperCase(),
          figureText(p, "throughput"),
          rttTriple(p),
          p.verdict === "pass" ? `${p.from} -> ${p.to}` : p.reason,
        ]),
        ["PAIR", "VERDICT", "MBIT/S (RANGE)", "BUSY RTT P50/P90/P99 MS", "FROM -> TO / REASON"],
        width,
      ),
    );
  }
  for (const p of doc.problems) out.push(`! ${p}`);
  for (const i of doc.issues) out.push(`? ${i}`);
  if (out.length > 0) out.push("");
  if (doc.summary !== undefined) out.push(doc.summary);
  if (perf !== undefined) out.push(perf.summary);
  if (doc.summary === undefined && perf === undefined) out.push("nothing to report");
  return `${out.join("\n")}\n`;
}
