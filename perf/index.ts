/**
 * Datapath performance: pairs measured one after another (iperf3 throughput, ping / curl latency),
 * ratios against the node-to-node baseline, and the `performance` document.
 */
export { renderPerformanceText } from "./format";
export {
  formatMbps,
  latencyMeasurement,
  MEASUREMENT_FACT,
  measurementsOf,
  throughputMeasurement,
} from "./measurements";
export type { LatencyFigures, MeasurementFigures, ThroughputFigures } from "./measurements";
export {
  nodeToNode,
  PERF_PAIRS,
  podLabel,
  podToNodePort,
  podToPodCrossNode,
  podToPodSameNode,
} from "./pairs";
export {
  assemblePair,
  computeRatios,
  planPerformance,
  performanceMeasurements,
  runPerformance,
  selectPairs,
  summarizePairs,
} from "./runner";
export type { RunPerformanceOptions } from "./runner";
export { parseCurlSamples, parsePingSamples, percentile, percentiles } from "./samples";
export type { CurlSamples, Percentiles, PingSamples } from "./samples";
export { perfCommand, perfWorstCaseSeconds, readPerformanceOutput } from "./stack";
export type { PerfCommandOptions } from "./stack";
export { DEFAULT_PERF_SETTINGS, PERF_LIMITS, resolvePerfSettings } from "./settings";
export type {
  LatencyMethod,
  PairPlan,
  PerfDefinition,
  PerfEvidence,
  PerfPair,
  PerfRatios,
  PerfSettings,
  Performance,
} from "./types";
