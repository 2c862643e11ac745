/** The defaults and bounds of a performance run's inputs, applied once. */
import type { PerfSettings } from "./types";

/**
 * Defaults: a 10 s single-stream TCP run (the shape of Cilium's own single-stream benchmark: one
 * stream shows the per-packet cost of the datapath, many streams mostly show the CPU count), 100
 * latency samples 0.2 s apart (20 s per pair, enough for a p99 that is not just the maximum of a
 * handful), iperf3's own port 5201, and 2 s for the server to start listening before the client runs
 * (the client also retries a refused connection four times, 1 s apart).
 */
export const DEFAULT_PERF_SETTINGS: PerfSettings = Object.freeze({
  durationSeconds: 10,
  streams: 1,
  pingSamples: 100,
  port: 5201,
  serverStartDelayMs: 2000,
});

/** Inclusive bounds of each input, all integers. */
export const PERF_LIMITS: Readonly<Record<keyof PerfSettings, readonly [number, number]>> = Object.freeze({
  durationSeconds: [1, 120],
  streams: [1, 16],
  pingSamples: [5, 1000],
  port: [1024, 65535],
  serverStartDelayMs: [0, 30000],
});

/**
 * The settings with defaults applied (`??`, so 0 is kept and then rejected where out of range).
 * Throws a RangeError naming every input out of its bounds.
 */
export function resolvePerfSettings(partial: Partial<PerfSettings> = {}): PerfSettings {
  const settings: PerfSettings = {
    durationSeconds: partial.durationSeconds ?? DEFAULT_PERF_SETTINGS.durationSeconds,
    streams: partial.streams ?? DEFAULT_PERF_SETTINGS.streams,
    pingSamples: partial.pingSamples ?? DEFAULT_PERF_SETTINGS.pingSamples,
    port: partial.port ?? DEFAULT_PERF_SETTINGS.port,
    serverStartDelayMs: partial.serverStartDelayMs ?? DEFAULT_PERF_SETTINGS.serverStartDelayMs,
  };
  const bad = (Object.keys(PERF_LIMITS) as (keyof PerfSettings)[])
    .filter((key) => {
      const [min, max] = PERF_LIMITS[key];
      const v = settings[key];
      return !Number.isInteger(v) || v < min || v > max;
    })
    .map(
      (key) =>
        `${key} must be an integer from ${PERF_LIMITS[key][0]} to ${PERF_LIMITS[key][1]} (got ${settings[key]})`,
    );
  if (bad.length > 0) throw new RangeError(bad.join("; "));
  return settings;
}
