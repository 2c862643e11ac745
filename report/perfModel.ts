/**
 * Reads the `performance` document for the report, tolerating missing or odd pieces (they go to
 * `issues`): pairs with their figures, ratios with their spread or the reason they are withheld, the
 * datapath profile, the host and the method.
 */
import type { Verdict } from "../checks/types";
import { datapathOf } from "../perf/datapath";
import type {
  DatapathProfile,
  PerfFigure,
  PerfPair,
  PerfRatio,
  Performance,
  PerfSettings,
} from "../perf/types";
import { finite, readEvidence, record, SECRET, str, unwrap, VERDICTS } from "./read";

const PAIR_NUMBERS = [
  "throughputMbps",
  "retransmits",
  "rttP50Ms",
  "rttP90Ms",
  "rttP99Ms",
  "requestP50Ms",
  "requestP90Ms",
  "requestP99Ms",
] as const;

const UNITS: readonly PerfFigure["unit"][] = ["Mbit/s", "ms", "%", "count", "1/s"];

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((p): p is string => typeof p === "string") : [];
}

/** Optional number fields, kept only when finite. */
function numbers<K extends string>(
  r: Record<string, unknown>,
  keys: readonly K[],
): Partial<Record<K, number>> {
  return Object.fromEntries(keys.map((k) => [k, finite(r[k])]).filter(([, v]) => v !== undefined)) as Partial<
    Record<K, number>
  >;
}

function readFigure(value: unknown): PerfFigure[] {
  const r = record(value);
  const name = str(r?.name);
  if (r === undefined || name === undefined) return [];
  const unit = UNITS.includes(r.unit as PerfFigure["unit"]) ? (r.unit as PerfFigure["unit"]) : "count";
  const withheld = str(r.withheld);
  return [
    {
      name,
      unit,
      method: str(r.method) ?? "",
      samples: finite(r.samples) ?? 0,
      ...numbers(r, ["value", "min", "max"] as const),
      shown: str(r.shown) ?? "withheld",
      ...(withheld === undefined ? {} : { withheld }),
    },
  ];
}

function readPair(value: unknown): PerfPair | undefined {
  const r = record(value);
  const name = str(r?.name);
  if (r === undefined || name === undefined) return undefined;
  const verdict = VERDICTS.includes(r.verdict as Verdict) ? (r.verdict as Verdict) : "inconclusive";
  const method =
    r.latencyMethod === "icmp-echo" || r.latencyMethod === "tcp-connect" ? r.latencyMethod : undefined;
  const notes = strings(r.notes);
  return {
    name,
    from: str(r.from) ?? "",
    to: str(r.to) ?? "",
    figures: Array.isArray(r.figures) ? r.figures.flatMap(readFigure) : [],
    ...numbers(r, PAIR_NUMBERS),
    ...(method === undefined ? {} : { latencyMethod: method }),
    samples: finite(r.samples) ?? 0,
    rounds: finite(r.rounds) ?? 0,
    verdict,
    reason: str(r.reason) ?? "",
    ...(notes.length === 0 ? {} : { notes }),
    evidence: readEvidence(r.evidence).map((e) => ({ command: e.command, output: e.output })),
  };
}

function readRatio(value: unknown): PerfRatio | undefined {
  const r = record(value);
  if (r === undefined) return undefined;
  const withheld = str(r.withheld);
  return {
    compares: str(r.compares) ?? "",
    ...numbers(r, ["value", "min", "max"] as const),
    rounds: finite(r.rounds) ?? 0,
    shown: str(r.shown) ?? "withheld",
    ...(withheld === undefined ? {} : { withheld }),
  };
}

const SETTING_KEYS = [
  "durationSeconds",
  "omitSeconds",
  "streams",
  "repeats",
  "pingSamples",
  "rrSamples",
  "port",
  "serverStartDelayMs",
  "seed",
] as const;

/** The `performance` document, or undefined (with an issue) when it is missing, secret or has no pairs. */
export function readPerformance(value: unknown, issues: string[]): Performance | undefined {
  const v = unwrap(value);
  if (v === undefined || v === null) return undefined;
  if (v === SECRET) {
    issues.push("the performance output is a secret: run `pulumi stack output --json --show-secrets`");
    return undefined;
  }
  const r = record(v);
  if (r === undefined || !Array.isArray(r.pairs)) {
    issues.push("the performance output has no list of pairs and was left out");
    return undefined;
  }
  const pairs = r.pairs.map(readPair).filter((p): p is PerfPair => p !== undefined);
  if (pairs.length < r.pairs.length)
    issues.push(`${r.pairs.length - pairs.length} performance pair(s) without a name were left out`);
  const ratios = Object.fromEntries(
    Object.entries(record(r.ratios) ?? {}).flatMap(([k, x]) => {
      const ratio = readRatio(x);
      return ratio === undefined ? [] : [[k, ratio] as const];
    }),
  );
  const s = record(r.settings) ?? {};
  const settings = Object.fromEntries(
    SETTING_KEYS.map((k) => [k, finite(s[k]) ?? 0]),
  ) as unknown as PerfSettings;
  const d = record(r.datapath);
  const profile: DatapathProfile =
    d?.profile === "lab" || d?.profile === "measurement" ? d.profile : "unknown";
  const datapath = d === undefined ? datapathOf("unknown") : { ...datapathOf(profile), ...pick(d) };
  const h = record(r.host) ?? {};
  const cpus = finite(h.cpus);
  const count = (verdict: Verdict) => pairs.filter((p) => p.verdict === verdict).length;
  const wallSeconds = finite(r.wallSeconds);
  return {
    summary: str(r.summary) ?? `${count("pass")}/${pairs.length} pairs measured`,
    settings,
    method: strings(r.method),
    datapath,
    host: { ...(cpus === undefined ? {} : { cpus }), pinning: str(h.pinning) ?? "not recorded" },
    order: Array.isArray(r.order) ? r.order.map(strings) : [],
    pairs,
    ratios,
    ...(wallSeconds === undefined ? {} : { wallSeconds }),
    problems: strings(r.problems),
  };
}

/** The recorded datapath texts (the literature flag is recomputed from the profile, never trusted). */
function pick(d: Record<string, unknown>): { settings?: string; literature?: string } {
  const settings = str(d.settings);
  const literature = str(d.literature);
  return {
    ...(settings === undefined ? {} : { settings }),
    ...(literature === undefined ? {} : { literature }),
  };
}
