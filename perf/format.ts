/** Plain-text rendering of the performance figures (the perf CLI's `--output text`). */
import type { PerfPair, Performance, PerfRatios } from "./types";

/** A number with a fixed count of decimals, or `-` when missing. */
export function fixed(n: number | undefined, decimals: number): string {
  return n === undefined ? "-" : n.toFixed(decimals);
}

/** `p50/p90/p99` in ms (`-` for a percentile the sample size does not support), or `-`. */
export function rttTriple(p: Pick<PerfPair, "rttP50Ms" | "rttP90Ms" | "rttP99Ms">): string {
  if (p.rttP50Ms === undefined) return "-";
  return `${fixed(p.rttP50Ms, 3)}/${fixed(p.rttP90Ms, 3)}/${fixed(p.rttP99Ms, 3)}`;
}

/** A figure of a pair as printed (`14000 (12000–16000)`), or `-`. */
export function figureText(p: PerfPair, name: string): string {
  const f = (p.figures ?? []).find((x) => x.name === name);
  return f === undefined || f.withheld !== undefined ? "-" : f.shown;
}

/** The ratios as `name = shown` lines (with the reason when withheld), in a stable order. */
export function ratioLines(perf: { readonly ratios: PerfRatios }): string[] {
  return Object.entries(perf.ratios).map(
    ([k, r]) =>
      `${k} = ${r.shown}${r.withheld === undefined ? ` over ${r.rounds} rounds` : `: ${r.withheld}`}`,
  );
}

/** A table of the pairs, then the ratios, the datapath, the host, the method and the summary. */
export function renderPerformanceText(perf: Performance): string {
  const header = [
    "PAIR",
    "VERDICT",
    "MBIT/S",
    "CPU SND/RCV %",
    "BUSY RTT P50 MS",
    "P99",
    "IDLE P50 MS",
    "SAMPLES",
  ];
  const rows = perf.pairs.map((p) => [
    p.name,
    p.verdict.toUpperCase(),
    figureText(p, "throughput"),
    `${figureText(p, "cpu-sender")} / ${figureText(p, "cpu-receiver")}`,
    p.latencyMethod === "tcp-connect"
      ? `${figureText(p, "connect-local-p50")} local`
      : figureText(p, "rr-p50"),
    p.latencyMethod === "tcp-connect" ? figureText(p, "connect-local-p99") : figureText(p, "rr-p99"),
    p.latencyMethod === "tcp-connect"
      ? `${figureText(p, "connect-remote-p50")} remote`
      : figureText(p, "ping-p50"),
    String(p.samples),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cols: string[]): string =>
    cols
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  const out = [line(header), ...rows.map(line)];
  for (const p of perf.pairs) out.push(`  ${p.name}: ${p.from} -> ${p.to}: ${p.reason}`);
  const ratios = ratioLines(perf);
  if (ratios.length > 0)
    out.push("", "ratios (pod / node-to-node, paired by round):", ...ratios.map((r) => `  ${r}`));
  out.push(
    "",
    `datapath (${perf.datapath.profile}): ${perf.datapath.settings}`,
    `  ${perf.datapath.literature}`,
  );
  out.push(`host: ${perf.host.cpus ?? "?"} CPUs; ${perf.host.pinning}`);
  out.push("method:", ...perf.method.map((m) => `  ${m}`));
  for (const p of perf.problems) out.push(`! ${p}`);
  const wall = perf.wallSeconds === undefined ? "" : ` in ${perf.wallSeconds} s`;
  out.push("", `${perf.summary}${wall}`);
  return `${out.join("\n")}\n`;
}
