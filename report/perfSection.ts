/**
 * The report's performance section: what was measured how and on which datapath, the figures with
 * their spread and sample counts, the NodePort split by backend, the ratios or why they are withheld,
 * and how to read them.
 */
import { figureText } from "../perf/format";
import type { PerfPair, Performance } from "../perf/types";
import { anchor, BADGE, cell, inlineCode, mdText } from "./escape";

/** The explanation printed under the performance figures. */
export const READING_THE_FIGURES = [
  "- Every figure is a median over the rounds with its min–max, printed with the digits that spread allows. Latency percentiles are nearest-rank over the samples pooled across rounds, and only where at least 10 samples lie above them (p90 needs 100 samples, p99 1000). A ratio pairs the pod and baseline figures of the same round: it is the median of the per-round ratios with a distribution-free 90 % confidence interval of that median (order statistics, the tool's printed resolution counted in), and is withheld when that interval is wider than ±10 % of the median or the rounds are too few for it (5).",
  "- Busy latency (`ping -i 0`, one echo in flight) is the primary latency: the CPUs stay busy as in netperf TCP_RR. Idle latency (`ping -i 0.2`) is mostly the wake-up time of idle CPUs. Both are ICMP answered by the kernel: no TCP, no application on the far end.",
  "- On kind every node is a container on one host: node-to-node is a network namespace, two veths and the Docker bridge, with Cilium's programs on each node's eth0; every pair shares the same CPUs (see the CPU columns: receiver and sender compete for them). The figures compare datapaths on this machine, not network capacity. Same-node pod traffic is never divided by node-to-node: the paths are unlike.",
  "- Published figures (Cilium's benchmark, the bpf_redirect_peer kernel commit's TCP_RR 122 µs → 44 µs) come from netperf on real NICs with a datapath configured for speed; they are set beside these only on the `measurement` profile, and even then as a direction, not a target.",
].join("\n");

function pairRow(p: PerfPair): string {
  const cells = [
    `[${inlineCode(p.name)}](#${anchor("pair", p.name)})`,
    `${mdText(p.from)} → ${mdText(p.to)}`,
    figureText(p, "throughput"),
    `${figureText(p, "cpu-sender")} / ${figureText(p, "cpu-receiver")}`,
    figureText(p, "retransmits"),
    `${figureText(p, "rr-p50")} / ${figureText(p, "rr-p90")} / ${figureText(p, "rr-p99")}`,
    `${figureText(p, "ping-p50")} / ${figureText(p, "ping-p90")}`,
    String(p.rounds),
    BADGE[p.verdict],
  ];
  return `| ${cells.map(cell).join(" | ")} |`;
}

function nodePortRows(p: PerfPair): string[] {
  const rows: string[] = [];
  for (const locality of ["local", "remote", "unknown"]) {
    const samples = p.figures.find((f) => f.name === `connect-${locality}-p50`)?.samples;
    if (samples === undefined) continue;
    const t = (kind: string): string =>
      [50, 90, 99].map((q) => figureText(p, `${kind}-${locality}-p${q}`)).join(" / ");
    rows.push(`| ${cell(locality)} | ${cell(t("connect"))} | ${cell(t("request"))} | ${samples} |`);
  }
  return rows;
}

export function performanceSection(perf: Performance, opts: { readonly svgFile?: string }): string[] {
  const out = ["## Performance", ""];
  out.push(...perf.method.map((m) => `- ${mdText(m)}`), "");
  out.push(
    `**Datapath (${inlineCode(perf.datapath.profile)} profile):** ${mdText(perf.datapath.settings)}. ${mdText(perf.datapath.literature)}`,
    "",
    `**Host:** ${perf.host.cpus ?? "unknown"} CPUs; ${mdText(perf.host.pinning)}.${perf.wallSeconds === undefined ? "" : ` The run took ${perf.wallSeconds} s.`}`,
    "",
    "| Pair | From → to | Throughput Mbit/s | CPU % sender / receiver | Retransmits | Busy RTT ms p50 / p90 / p99 | Idle RTT ms p50 / p90 | Rounds | Verdict |",
    "| --- | --- | ---: | ---: | ---: | --- | --- | ---: | --- |",
    ...perf.pairs.filter((p) => p.latencyMethod !== "tcp-connect").map(pairRow),
    "",
  );
  for (const p of perf.pairs.filter((x) => x.latencyMethod === "tcp-connect")) {
    const rows = nodePortRows(p);
    if (rows.length === 0) continue;
    out.push(
      `${inlineCode(p.name)} (${mdText(p.to)}) by the backend that answered, relative to the client's node:`,
      "",
      "| Backend | TCP connect ms p50 / p90 / p99 | Whole request ms p50 / p90 / p99 | Samples |",
      "| --- | --- | --- | ---: |",
      ...rows,
      "",
    );
  }
  if (
    opts.svgFile !== undefined &&
    perf.pairs.some((p) => p.throughputMbps !== undefined || p.rttP50Ms !== undefined)
  ) {
    out.push(`![Throughput and round-trip time per pair](${encodeURI(opts.svgFile)})`, "");
  }
  const ratios = Object.entries(perf.ratios);
  if (ratios.length > 0) {
    out.push("Ratios (pod ÷ node-to-node, paired by round):", "");
    for (const [k, r] of ratios) {
      const body =
        r.withheld === undefined
          ? `**${r.shown}** over ${r.rounds} rounds`
          : `withheld: ${mdText(r.withheld)}`;
      out.push(`- ${inlineCode(k)} (${mdText(r.compares)}): ${body}`);
    }
    out.push("");
  }
  const withheld = perf.pairs.flatMap((p) =>
    p.figures
      .filter((f) => f.withheld !== undefined && f.samples > 0)
      .map((f) => `- ${inlineCode(p.name)} ${inlineCode(f.name)}: ${mdText(f.withheld ?? "")}`),
  );
  if (withheld.length > 0) out.push("Figures withheld:", "", ...withheld, "");
  const failed = perf.pairs
    .filter((p) => p.verdict !== "pass")
    .map((p) => `- ${inlineCode(p.name)}: ${mdText(p.reason)}`);
  if (failed.length > 0) out.push("Not (fully) measured:", "", ...failed, "");
  const notes = perf.pairs.flatMap((p) =>
    (p.notes ?? []).map((n) => `- ${inlineCode(p.name)}: ${mdText(n)}`),
  );
  if (notes.length > 0) out.push("Notes:", "", ...notes, "");
  out.push("### Reading the figures", "", READING_THE_FIGURES, "");
  return out;
}
