/**
 * Datapath performance: pairs measured in interleaved rounds (iperf3 throughput, busy and idle ping,
 * NodePort curl by backend), medians with their spread, paired ratios against node-to-node where they
 * compare like with like, and the `performance` document.
 */
export { renderPerformanceText } from "./format";
export {
  formatMbps,
  hostCpus,
  latencyMeasurements,
  MEASUREMENT_FACT,
  measurementsOf,
  throughputMeasurement,
} from "./measurements";
export type { LatencyFigures, MeasurementFigures, ThroughputFigures } from "./measurements";
export { datapathOf, methodLines, PROFILE_SETTINGS } from "./datapath";
export { pairedRatio, roundOrders, samplesFor, spreadOf, supportedPercentile } from "./stats";
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
  DatapathProfile,
  LatencyMethod,
  PerfDatapath,
  PerfFigure,
  PerfHost,
  PerfRatio,
  PairPlan,
  PerfDefinition,
  PerfEvidence,
  PerfPair,
  PerfRatios,
  PerfSettings,
  Performance,
} from "./types";
