/**
 * An SVG bar chart of the performance figures: TCP throughput per pair against the node-to-node
 * baseline (a dashed line, the ratio written at each bar), and the latency percentiles per pair
 * (a bar to p50, a whisker to p99 with a tick at p90). Pure and deterministic: same figures, same
 * bytes (fixed layout, fixed number formatting, no clock, no random ids).
 */
import { figureText, fixed } from "../perf/format";
import type { PerfPair, Performance } from "../perf/types";
import { htmlText } from "./escape";

const WIDTH = 820;
const LABEL_W = 180;
const VALUE_W = 250;
const BAR_MAX = WIDTH - LABEL_W - VALUE_W - 20;
const ROW_H = 26;
const BAR_H = 16;
const TOP_PAD = 34;
const PANEL_GAP = 26;

const POD = "#3b7dd8";
const NODE = "#8a8a8a";
const WHISKER = "#1f3f73";
const BASELINE_NAME = "node-to-node";

/** Coordinates with one decimal, so output does not depend on float noise. */
function n(value: number): string {
  return (Math.round(value * 10) / 10).toString();
}

function text(x: number, y: number, content: string, attrs = ""): string {
  return `<text x="${n(x)}" y="${n(y)}"${attrs === "" ? "" : ` ${attrs}`}>${htmlText(content)}</text>`;
}

function rect(x: number, y: number, w: number, h: number, fill: string): string {
  return `<rect x="${n(x)}" y="${n(y)}" width="${n(Math.max(0, w))}" height="${n(h)}" fill="${fill}"/>`;
}

function line(x1: number, y1: number, x2: number, y2: number, attrs: string): string {
  return `<line x1="${n(x1)}" y1="${n(y1)}" x2="${n(x2)}" y2="${n(y2)}" ${attrs}/>`;
}

/** A "nice" axis maximum: 1, 2 or 5 times a power of ten, at least the largest value. */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  // toPrecision: 2 * 0.1 must print as 0.2, not 0.20000000000000001.
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return Number((step * power).toPrecision(6));
  return Number((10 * power).toPrecision(6));
}

interface Panel {
  readonly svg: string[];
  readonly height: number;
}

function throughputPanel(perf: Performance, top: number): Panel {
  // Every pair iperf3 measures (or tried to); the NodePort pair never has throughput.
  const shown = perf.pairs.filter(
    (p) =>
      p.throughputMbps !== undefined || (p.name !== "pod-to-nodeport" && p.latencyMethod !== "tcp-connect"),
  );
  const base = perf.pairs.find((p) => p.name === BASELINE_NAME)?.throughputMbps;
  const max = niceMax(Math.max(0, ...shown.map((p) => p.throughputMbps ?? 0)));
  const scale = BAR_MAX / max;
  const svg: string[] = [
    text(
      0,
      top + 14,
      `TCP throughput, Mbit/s: median (min–max) of ${perf.settings.repeats} rounds (iperf3 -O ${perf.settings.omitSeconds} -t ${perf.settings.durationSeconds} -P ${perf.settings.streams}); no ratio drawn`,
      'class="title"',
    ),
  ];
  const y0 = top + TOP_PAD;
  shown.forEach((p, i) => {
    const y = y0 + i * ROW_H;
    svg.push(text(LABEL_W - 8, y + BAR_H - 3, p.name, 'text-anchor="end"'));
    if (p.throughputMbps === undefined) {
      svg.push(text(LABEL_W, y + BAR_H - 3, `not measured (${p.verdict})`, 'class="muted"'));
      return;
    }
    const w = p.throughputMbps * scale;
    svg.push(rect(LABEL_W, y, w, BAR_H, p.name === BASELINE_NAME ? NODE : POD));
    const value = `${figureText(p, "throughput")}${p.name === BASELINE_NAME ? " (baseline)" : ""}`;
    svg.push(text(LABEL_W + w + 6, y + BAR_H - 3, value));
  });
  const bottom = y0 + shown.length * ROW_H;
  if (base !== undefined && base > 0) {
    const x = LABEL_W + base * scale;
    svg.push(line(x, y0 - 6, x, bottom - 4, `stroke="${NODE}" stroke-dasharray="4 3"`));
  }
  svg.push(line(LABEL_W, bottom, LABEL_W + BAR_MAX, bottom, 'stroke="#ccc"'));
  svg.push(text(LABEL_W, bottom + 14, "0", 'class="muted"'));
  svg.push(text(LABEL_W + BAR_MAX, bottom + 14, String(max), 'class="muted" text-anchor="end"'));
  return { svg, height: bottom + 20 - top };
}

function latencyLabel(p: PerfPair): string {
  const method = p.latencyMethod === "tcp-connect" ? "TCP connect, local backends: " : "";
  return `${method}p50 ${fixed(p.rttP50Ms, 3)} / p99 ${fixed(p.rttP99Ms, 3)} ms`;
}

function latencyPanel(perf: Performance, top: number): Panel {
  // Only ICMP round trips share one scale; a TCP connect time (the NodePort) is another measure and
  // is written out as text beside them, not drawn.
  const drawn = (p: PerfPair): boolean => p.latencyMethod !== "tcp-connect";
  const rows = perf.pairs;
  const max = niceMax(Math.max(0, ...rows.filter(drawn).map((p) => p.rttP99Ms ?? p.rttP50Ms ?? 0)));
  const scale = BAR_MAX / max;
  const svg: string[] = [
    text(
      0,
      top + 14,
      `Busy round-trip time, ms (ping -i 0, ${perf.settings.rrSamples} x ${perf.settings.repeats} samples: bar to p50, tick at p90, whisker to p99 where the sample size allows)`,
      'class="title"',
    ),
  ];
  const y0 = top + TOP_PAD;
  rows.forEach((p, i) => {
    const y = y0 + i * ROW_H;
    svg.push(text(LABEL_W - 8, y + BAR_H - 3, p.name, 'text-anchor="end"'));
    if (p.rttP50Ms === undefined) {
      svg.push(text(LABEL_W, y + BAR_H - 3, `not measured (${p.verdict})`, 'class="muted"'));
      return;
    }
    if (!drawn(p)) {
      svg.push(
        text(LABEL_W, y + BAR_H - 3, `${latencyLabel(p)} (not drawn: another measure)`, 'class="muted"'),
      );
      return;
    }
    const w = p.rttP50Ms * scale;
    svg.push(rect(LABEL_W, y, w, BAR_H, p.name === BASELINE_NAME ? NODE : POD));
    const mid = y + BAR_H / 2;
    let end = LABEL_W + w;
    if (p.rttP99Ms !== undefined) {
      end = LABEL_W + p.rttP99Ms * scale;
      svg.push(line(LABEL_W + w, mid, end, mid, `stroke="${WHISKER}"`));
      svg.push(line(end, mid - 5, end, mid + 5, `stroke="${WHISKER}"`));
    }
    if (p.rttP90Ms !== undefined) {
      const x90 = LABEL_W + p.rttP90Ms * scale;
      svg.push(line(x90, mid - 3, x90, mid + 3, `stroke="${WHISKER}"`));
    }
    svg.push(text(Math.max(LABEL_W + w, end) + 6, y + BAR_H - 3, latencyLabel(p)));
  });
  const bottom = y0 + rows.length * ROW_H;
  svg.push(line(LABEL_W, bottom, LABEL_W + BAR_MAX, bottom, 'stroke="#ccc"'));
  svg.push(text(LABEL_W, bottom + 14, "0", 'class="muted"'));
  svg.push(text(LABEL_W + BAR_MAX, bottom + 14, String(max), 'class="muted" text-anchor="end"'));
  return { svg, height: bottom + 20 - top };
}

/** The chart as a standalone SVG document (ends with a newline). */
export function renderSvg(perf: Performance): string {
  const first = throughputPanel(perf, 8);
  const second = latencyPanel(perf, 8 + first.height + PANEL_GAP);
  const height = 8 + first.height + PANEL_GAP + second.height + 8;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${n(height)}" viewBox="0 0 ${WIDTH} ${n(height)}" font-family="sans-serif" font-size="12" role="img">`,
    `<title>${htmlText(`Datapath performance: ${perf.summary}`)}</title>`,
    "<style>.title{font-weight:bold}.muted{fill:#777}</style>",
    `<rect x="0" y="0" width="${WIDTH}" height="${n(height)}" fill="#fff"/>`,
    ...first.svg,
    ...second.svg,
    "</svg>",
    "",
  ].join("\n");
}
