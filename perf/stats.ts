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
 *   cancel), given with a distribution-free {@link RATIO_CONFIDENCE} (90 %) confidence interval of that
 *   median from the order statistics ({@link medianInterval}); it is withheld when the interval is
 *   wider than ±{@link RATIO_TOLERANCE} (10 %) of the median, or when there are too few rounds for such an
 *   interval (5). Until issue 25 it was withheld when the per-round ratios spanned more than 0.2: the
 *   range of n values grows with n, so the more rounds were measured the more often the ratio was
 *   withheld (with 5 % noise per run: 5 rounds 17 %, 20 rounds 80 %); the interval narrows instead.
 */
import { percentile } from "./samples";

/** Fewest rounds a median and a spread are computed from. */
export const MIN_ROUNDS = 3;
/** Samples that must lie above a percentile for it to be printed. */
export const TAIL_SAMPLES = 10;
/** Most decimals any figure is printed with. */
export const MAX_DECIMALS = 3;
/** Confidence of the interval a ratio is judged by. */
export const RATIO_CONFIDENCE = 0.9;
/** Relative half-width the interval may have: within ±10 % of the median ratio. */
export const RATIO_TOLERANCE = 0.1;

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
 * A distribution-free confidence interval of the median from order statistics: with x(1) ≤ … ≤ x(n),
 * [x(k), x(n−k+1)] covers the median with probability 1 − 2·P(B ≤ k−1), B ~ Binomial(n, 1/2), for any
 * continuous distribution (the sign-test interval; e.g. Conover, "Practical Nonparametric Statistics",
 * 3rd ed., section 3.2). k is the largest with at least `level` coverage; each bound then moves from
 * x(k) towards x(k+1) by the share (γ(k) − level) / (γ(k) − γ(k+1)) of the coverage the step to k+1
 * would give up (γ = coverage), so the interval narrows smoothly as rounds are added instead of
 * jumping with k. This linear interpolation is this lab's choice; Hettmansperger and Sheather (1986)
 * interpolate with a weight that is exact for symmetric distributions, but in the simulation of
 * scripts/measure-ratio-rule.ts their interval was wider at 7 rounds than at 6 (more rounds, fewer
 * answers), the linear one was not. `lows`/`highs` are the values the lower and upper
 * bounds are read from (equal to the values, or widened by a tool's printed resolution). Undefined when
 * no k reaches `level` (n = 4 gives at most 87.5 %, n = 5 93.75 %).
 */
export function medianInterval(
  lows: readonly number[],
  highs: readonly number[],
  level: number = RATIO_CONFIDENCE,
): { lo: number; hi: number; rank: number } | undefined {
  const n = Math.min(lows.length, highs.length);
  // The sign test's normal approximation (continuity-corrected): rank r = (n + 1)/2 − z·√n/2.
  const rank = (n + 1) / 2 - normalQuantile(1 - (1 - level) / 2) * (Math.sqrt(n) / 2);
  if (!(rank >= 1)) return undefined;
  const lo = [...lows].sort((a, b) => a - b);
  const hi = [...highs].sort((a, b) => a - b);
  const k = Math.floor(rank);
  const f = rank - k;
  // 1-based order statistics x(k) … x(n−k+1), moved inwards by the fraction f.
  const at = (xs: number[], i: number, inward: number): number =>
    f === 0 ? xs[i - 1] : (1 - f) * xs[i - 1] + f * xs[i - 1 + inward];
  return { lo: at(lo, k, 1), hi: at(hi, n - k + 1, -1), rank };
}

/** The standard normal quantile (Acklam's rational approximation; |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number): number =>
    (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
    ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

/** Fewest rounds that give a {@link RATIO_CONFIDENCE} interval of the median. */
export function roundsForInterval(level: number = RATIO_CONFIDENCE): number {
  let n = 1;
  while (medianInterval(Array(n).fill(0), Array(n).fill(0), level) === undefined) n += 1;
  return n;
}

/**
 * The median of `top[i] / bottom[i]` over the rounds where both were measured, with its
 * {@link RATIO_CONFIDENCE} confidence interval ({@link medianInterval}) as min–max; withheld with the
 * reason when the rounds are too few for that interval, or when it is wider than ±{@link RATIO_TOLERANCE}
 * of the median (max − min > 2 · 0.1 · median). `resolution(v)` is the step the tool printed v with (iputils: 0.001 ms below 1 ms);
 * each round's ratio then stands for the interval its printed values allow, and the bounds are read
 * from those interval ends, so quantised values (0.005 / 0.003 ms) never give a confident ratio.
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
  const interval = medianInterval(lows, highs);
  if (interval === undefined) {
    const why = `${ratios.length} round(s) with both sides measured; a ${RATIO_CONFIDENCE * 100}% interval of the median ratio needs ${roundsForInterval()}`;
    return { rounds: ratios.length, shown: "withheld", withheld: why };
  }
  const value = median(ratios)!;
  const { lo: min, hi: max } = interval;
  const widened = lows.some((l, i) => l !== ratios[i]);
  if (!(value > 0) || !(min > 0) || max / min > (1 + RATIO_TOLERANCE) / (1 - RATIO_TOLERANCE)) {
    return {
      rounds: ratios.length,
      min,
      max,
      shown: "withheld",
      withheld: `the ${RATIO_CONFIDENCE * 100}% interval of the median ratio ${value.toFixed(2)} is ${min.toFixed(2)}–${max.toFixed(2)}${widened ? " (with the tool's printed resolution)" : ""}: too noisy (a ratio needs it no wider than ±${RATIO_TOLERANCE * 100}% of the median; more rounds narrow it)`,
    };
  }
  const d = Math.max(1, decimalsFor((max - min) / 2));
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
