/**
 * The statistics behind every printed figure: a series of per-round values summarised as median and
 * spread, digits limited by that spread, percentiles limited by the sample size, paired ratios that are
 * withheld when their spread is too wide, and the seeded shuffle that orders the pairs in each round.
 *
 * The rules, stated once (the README and the report repeat them):
 * - A series needs {@link MIN_ROUNDS} values; the figure is its median with min–max as the spread.
 * - Digits: a value is rounded to the decimal place of the leading digit of its half-range
 *   ((max − min) / 2): a half-range of 1700 Mbit/s rounds to thousands, 166 to hundreds, 0.04 to
 *   hundredths. Never more than 3 decimals.
 * - Percentiles (nearest rank) are printed only when at least {@link TAIL_SAMPLES} samples lie above
 *   them: n·(1 − p/100) ≥ 10. So p50 needs 20 samples, p90 100, p99 1000 (with 100 samples nearest-rank
 *   p99 is the second-largest value: one outlier, not a tail).
 * - A ratio is the median of the per-round ratios (pod and baseline of the same round, so slow drifts
 *   cancel); it is withheld when those ratios span more than {@link MAX_RATIO_SPAN} (0.2: beyond ±0.1
 *   one cannot tell "close to node-to-node" from "10 % slower").
 */
import { percentile } from "./samples";

/** Fewest rounds a median and a spread are computed from. */
export const MIN_ROUNDS = 3;
/** Samples that must lie above a percentile for it to be printed. */
export const TAIL_SAMPLES = 10;
/** Most decimals any figure is printed with. */
export const MAX_DECIMALS = 3;
/** Widest span (max − min) of the per-round ratios for which a ratio is given. */
export const MAX_RATIO_SPAN = 0.2;

/** A series of per-round values, summarised. */
export interface Spread {
  /** Rounds (values) the figure is computed from. */
  readonly rounds: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** The median and range rounded to the digits the spread allows: `14000 (12000–16000)`. */
  readonly shown: string;
}

/** The median (mean of the two middle values for an even count); undefined for an empty set. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Decimals the spread allows: the decimal place of the half-range's leading digit, at most
 * {@link MAX_DECIMALS}; negative means rounding to tens, hundreds... (−3: thousands).
 */
export function decimalsFor(halfRange: number): number {
  if (!(halfRange > 0)) return MAX_DECIMALS;
  return Math.min(MAX_DECIMALS, -Math.floor(Math.log10(halfRange)));
}

/** `value` rounded to `decimals` (negative: to tens, hundreds...), as text. */
export function roundTo(value: number, decimals: number): string {
  if (decimals >= 0) return value.toFixed(decimals);
  const step = 10 ** -decimals;
  return String(Math.round(value / step) * step);
}

/** Median and min–max of a series, or why there is none (fewer than {@link MIN_ROUNDS} values). */
export function spreadOf(values: readonly number[]): Spread | { readonly withheld: string } {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length < MIN_ROUNDS) {
    return { withheld: `${finite.length} usable round(s); a median and spread need ${MIN_ROUNDS}` };
  }
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  const mid = median(finite)!;
  const d = decimalsFor((max - min) / 2);
  return {
    rounds: finite.length,
    median: mid,
    min,
    max,
    shown: `${roundTo(mid, d)} (${roundTo(min, d)}–${roundTo(max, d)})`,
  };
}

/** The smallest sample count that supports percentile p: n·(1 − p/100) ≥ {@link TAIL_SAMPLES}. */
export function samplesFor(p: number): number {
  return Math.ceil(TAIL_SAMPLES / (1 - p / 100) - 1e-9);
}

/** Nearest-rank percentile p of the samples, or undefined when the sample size cannot support it. */
export function supportedPercentile(samples: readonly number[], p: number): number | undefined {
  return samples.length >= samplesFor(p) ? percentile(samples, p) : undefined;
}

/** A ratio of two series measured round by round. */
export interface Ratio {
  /** The median per-round ratio, when the spread allows one decimal. */
  readonly value?: number;
  readonly min?: number;
  readonly max?: number;
  readonly rounds: number;
  /** `0.93 (0.91–0.95)`, or `withheld`. */
  readonly shown: string;
  /** Why no value is given. */
  readonly withheld?: string;
}

/** iputils ping prints 3 decimals below 1 ms, 2 below 10, 1 below 100 (ping/ping_common.c 863-875). */
export function iputilsResolutionMs(ms: number): number {
  return ms < 1 ? 0.001 : ms < 10 ? 0.01 : ms < 100 ? 0.1 : 1;
}

/**
 * The median of `top[i] / bottom[i]` over the rounds where both were measured, with min–max; withheld
 * with the reason below {@link MIN_ROUNDS} paired rounds or when the per-round ratios span more than
 * {@link MAX_RATIO_SPAN}. `resolution(v)` is the step the tool printed v with (iputils: 0.001 ms below
 * 1 ms); the extremes then use the interval each printed value stands for, so quantised values
 * (0.005 / 0.003 ms) never give a confident ratio.
 */
export function pairedRatio(
  top: readonly (number | undefined)[],
  bottom: readonly (number | undefined)[],
  resolution: (value: number) => number = () => 0,
): Ratio {
  const ratios: number[] = [];
  // With a printed resolution, each value stands for an interval: the ratio's extremes widen with it.
  const lows: number[] = [];
  const highs: number[] = [];
  for (let i = 0; i < Math.min(top.length, bottom.length); i++) {
    const a = top[i];
    const b = bottom[i];
    if (a === undefined || b === undefined || !Number.isFinite(a) || !(b > 0)) continue;
    ratios.push(a / b);
    const ra = resolution(a) / 2;
    const rb = resolution(b) / 2;
    lows.push(Math.max(0, a - ra) / (b + rb));
    highs.push(b - rb > 0 ? (a + ra) / (b - rb) : Infinity);
  }
  if (ratios.length < MIN_ROUNDS) {
    const why = `${ratios.length} round(s) with both sides measured; a ratio needs ${MIN_ROUNDS}`;
    return { rounds: ratios.length, shown: "withheld", withheld: why };
  }
  const min = Math.min(...lows);
  const max = Math.max(...highs);
  if (max - min > MAX_RATIO_SPAN) {
    return {
      rounds: ratios.length,
      min,
      max,
      shown: "withheld",
      withheld: `the per-round ratios range from ${min.toFixed(2)} to ${max.toFixed(2)}${lows.some((l, i) => l !== ratios[i]) ? " (with the tool's printed resolution)" : ""}: too noisy (a ratio needs them within ${MAX_RATIO_SPAN})`,
    };
  }
  const d = Math.max(1, decimalsFor((max - min) / 2));
  const value = median(ratios)!;
  return {
    value: Number(value.toFixed(d)),
    min,
    max,
    rounds: ratios.length,
    shown: `${value.toFixed(d)} (${min.toFixed(d)}–${max.toFixed(d)})`,
  };
}

/** mulberry32: a small seeded PRNG (uniform in [0, 1)); the same seed gives the same sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A Fisher–Yates shuffle of a copy of `items` driven by `random`. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** The pair order of every round: round r is a seeded shuffle of `names`. */
export function roundOrders(names: readonly string[], rounds: number, seed: number): string[][] {
  const random = seededRandom(seed);
  return Array.from({ length: rounds }, () => shuffled(names, random));
}
