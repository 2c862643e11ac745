/**
 * How often the ratio rule withholds a ratio, by simulation: each round measures a pod figure and a
 * baseline figure, each with independent Gaussian noise of `noise` (relative standard deviation) around
 * true values whose ratio is `ratio`; the rule judges the per-round ratios of `rounds` rounds. Prints
 * one JSON line per (noise, rounds): the share withheld by the rule before issue 25 (per-round ratios
 * spanning more than 0.2) and by perf/stats.ts pairedRatio now (a 90 % order-statistics interval of the
 * median within ±10 %). Seeded: the same arguments give the same figures.
 *
 *   npx ts-node --transpile-only scripts/measure-ratio-rule.ts [--runs 20000] [--ratio 0.9]
 *     [--noise 0.02,0.05,0.1] [--rounds 3,5,10,20,40] [--seed 25]
 */
import { pairedRatio, seededRandom } from "../perf/stats";

/** Before issue 25: withheld below 3 rounds, or when the per-round ratios span more than 0.2. */
export function withheldBefore(ratios: readonly number[]): boolean {
  return ratios.length < 3 || Math.max(...ratios) - Math.min(...ratios) > 0.2;
}

/** A standard normal deviate from two uniforms (Box–Muller). */
export function gaussian(random: () => number): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** One simulated run of `rounds` rounds: pod and baseline figures with relative noise `noise`. */
export function simulateRounds(
  random: () => number,
  rounds: number,
  noise: number,
  ratio: number,
): { top: number[]; bottom: number[] } {
  const top: number[] = [];
  const bottom: number[] = [];
  for (let i = 0; i < rounds; i++) {
    top.push(1000 * ratio * (1 + noise * gaussian(random)));
    bottom.push(1000 * (1 + noise * gaussian(random)));
  }
  return { top, bottom };
}

/** Shares withheld before and now over `runs` simulated runs. */
export function withheldRates(opts: {
  runs: number;
  rounds: number;
  noise: number;
  ratio: number;
  seed: number;
}): { before: number; now: number } {
  const random = seededRandom(opts.seed);
  let before = 0;
  let now = 0;
  for (let r = 0; r < opts.runs; r++) {
    const { top, bottom } = simulateRounds(random, opts.rounds, opts.noise, opts.ratio);
    if (withheldBefore(top.map((t, i) => t / bottom[i]))) before += 1;
    if (pairedRatio(top, bottom).value === undefined) now += 1;
  }
  return { before: before / opts.runs, now: now / opts.runs };
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

if (require.main === module) {
  const runs = Number(arg("--runs", "20000"));
  const ratio = Number(arg("--ratio", "0.9"));
  const seed = Number(arg("--seed", "25"));
  for (const noise of arg("--noise", "0.02,0.05,0.1").split(",").map(Number)) {
    for (const rounds of arg("--rounds", "3,5,10,20,40").split(",").map(Number)) {
      const r = withheldRates({ runs, rounds, noise, ratio, seed });
      process.stdout.write(
        `${JSON.stringify({ noise, ratio, rounds, runs, withheldBefore: r.before, withheldNow: r.now })}\n`,
      );
    }
  }
}
