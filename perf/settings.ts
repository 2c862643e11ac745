/** The defaults and bounds of a performance run's inputs, applied once. */
import { randomInt } from "crypto";
import type { PerfSettings } from "./types";

/**
 * Defaults: 5 rounds (every pair once per round in a seeded random order, the cross-node ratio's two
 * pairs twice as an A-B-B-A block: perf/abba.ts), each iperf3 run a 1 s warm-up (`-O 1`, left out of
 * its figures: TCP slow start) then 10 s measured over one stream (the shape of Cilium's
 * single-stream benchmark, whose netperf runs last 10 s by default; one stream shows the per-packet
 * cost of the datapath, many mostly the CPU count), 1000 busy request/response samples and 20 idle
 * pings per pair and run (pooled over the rounds: 5000 and 100, enough for p99 and p90 under
 * perf/stats.ts's rule), iperf3's port 5201, and 2 s for the server to start listening before the
 * client runs. About 9 minutes on the seed's lab (an estimate: 7 pair runs a round of about 15 s of
 * iperf3 and 5 s of pings, not measured on kind here); it was about 4 with 5 s runs and no A-B-B-A.
 */
export const DEFAULT_PERF_SETTINGS: Omit<PerfSettings, "seed"> = Object.freeze({
  durationSeconds: 10,
  omitSeconds: 1,
  streams: 1,
  repeats: 5,
  pingSamples: 20,
  rrSamples: 1000,
  port: 5201,
  serverStartDelayMs: 2000,
});

/** Inclusive bounds of each input, all integers. */
export const PERF_LIMITS: Readonly<Record<keyof PerfSettings, readonly [number, number]>> = Object.freeze({
  durationSeconds: [1, 120],
  omitSeconds: [0, 10],
  streams: [1, 16],
  repeats: [3, 50],
  pingSamples: [5, 1000],
  rrSamples: [100, 100000],
  port: [1024, 65533], // +1 and +2 are fortio's (perf/tcpRr.ts)
  serverStartDelayMs: [0, 30000],
  seed: [0, 2147483647],
});

const KEYS = Object.keys(PERF_LIMITS) as (keyof PerfSettings)[];

/**
 * The settings with defaults applied (`??`, so 0 is kept and then rejected where out of range); a
 * missing seed is drawn at random. Throws a RangeError naming every input out of its bounds.
 */
export function resolvePerfSettings(partial: Partial<PerfSettings> = {}): PerfSettings {
  const settings = Object.fromEntries(
    KEYS.map((key) => [
      key,
      partial[key] ?? (key === "seed" ? randomInt(PERF_LIMITS.seed[1]) : DEFAULT_PERF_SETTINGS[key]),
    ]),
  ) as unknown as PerfSettings;
  const bad = KEYS.filter((key) => {
    const [min, max] = PERF_LIMITS[key];
    const v = settings[key];
    return !Number.isInteger(v) || v < min || v > max;
  }).map(
    (key) =>
      `${key} must be an integer from ${PERF_LIMITS[key][0]} to ${PERF_LIMITS[key][1]} (got ${settings[key]})`,
  );
  if (bad.length > 0) throw new RangeError(bad.join("; "));
  return settings;
}
