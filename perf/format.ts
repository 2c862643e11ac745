/** Plain-text rendering of the performance figures (the perf CLI's `--output text`). */
import type { PerfPair, Performance } from "./types";

/** A number with a fixed count of decimals, or `-` when missing. */
export function fixed(n: number | undefined, decimals: number): string {
  return n === undefined ? "-" : n.toFixed(decimals);
}

/** `p50/p90/p99` in ms, or `-`. */
export function rttTriple(p: Pick<PerfPair, "rttP50Ms" | "rttP90Ms" | "rttP99Ms">): string {
  if (p.rttP50Ms === undefined) return "-";
  return `${fixed(p.rttP50Ms, 3)}/${fixed(p.rttP90Ms, 3)}/${fixed(p.rttP99Ms, 3)}`;
}

/** The ratios as `name = value` lines, in a stable order. */
export function ratioLines(perf: Pick<Performance, "ratios">): string[] {
  return Object.entries(perf.ratios)
    .filter(([, v]) => typeof v === "number")
    .map(([k, v]) => `${k} = ${(v as number).toFixed(3)}`);
}

/** A table of the pairs, the ratios, then the summary line. */
export function renderPerformanceText(perf: Performance): string {
  const header = ["PAIR", "VERDICT", "MBIT/S", "RETR", "RTT P50/P90/P99 MS", "SAMPLES"];
  const rows = perf.pairs.map((p) => [
    p.name,
    p.verdict.toUpperCase(),
    fixed(p.throughputMbps, 1),
    p.retransmits === undefined ? "-" : String(p.retransmits),
    `${rttTriple(p)}${p.latencyMethod === "tcp-connect" && p.rttP50Ms !== undefined ? " (tcp connect)" : ""}`,
    String(p.samples),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cols: string[]): string =>
    cols
      .map((c, i) => (i === 2 || i === 3 || i === 5 ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  const out = [line(header), ...rows.map(line)];
  for (const p of perf.pairs) {
    out.push(`  ${p.name}: ${p.from} -> ${p.to}: ${p.reason}`);
  }
  const ratios = ratioLines(perf);
  if (ratios.length > 0) out.push("", "ratios (pod / node-to-node):", ...ratios.map((r) => `  ${r}`));
  for (const p of perf.problems) out.push(`! ${p}`);
  out.push("", perf.summary);
  return `${out.join("\n")}\n`;
}
