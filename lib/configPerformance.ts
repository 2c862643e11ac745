/**
 * The keys of the performance run: whether it runs, its profile (lab or measurement), and the rounds,
 * duration, streams and ping samples it takes.
 */
import type { ConfigReader } from "./configReader";

/** The performance keys, validated (perfProfile is "lab" or "measurement" when no problem was recorded). */
export interface PerformanceKeys {
  readonly runPerformance: boolean;
  readonly perfProfile: string;
  readonly perfRepeats: number;
  readonly perfDurationSeconds: number;
  readonly perfStreams: number;
  readonly perfPingSamples: number;
}

/** Validates the performance keys, recording problems in `r`. */
export function validatePerformanceKeys(r: ConfigReader): PerformanceKeys {
  const { bad, get, int, bool } = r;
  const runPerformance = bool("runPerformance");
  const perfDurationSeconds = int(
    "perfDurationSeconds",
    1,
    120,
    "must be an integer from 1 to 120 (seconds)",
  );
  const perfStreams = int("perfStreams", 1, 16, "must be an integer from 1 to 16");
  const perfRepeats = int("perfRepeats", 3, 50, "must be an integer from 3 to 50 (rounds)");
  const perfProfile = get("perfProfile");
  if (perfProfile !== "lab" && perfProfile !== "measurement") {
    bad("perfProfile", perfProfile, "must be lab (the write-up's debug datapath) or measurement");
  }
  const perfPingSamples = int("perfPingSamples", 5, 1000, "must be an integer from 5 to 1000");
  return { runPerformance, perfProfile, perfRepeats, perfDurationSeconds, perfStreams, perfPingSamples };
}
