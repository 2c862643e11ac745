/**
 * The report's input, read from whatever JSON the lab printed: the stack outputs
 * (`pulumi stack output --json`: `checks`, `datapath`, `performance`, `nodes`, `clusterName`,
 * `ciliumVersion`), the standalone check runner's RunReport (`summary`, `results`, `datapath`), or the
 * performance runner's `{ performance }`. Reading never throws for a malformed piece: what is missing
 * or odd goes to `issues`, shown at the top of the report.
 */
import { summarize } from "../runner/results";
import type { PerfPair, Performance } from "../perf/types";
import type { Verdict } from "../checks/types";

export interface ReportEvidence {
  readonly command: string;
  readonly output: string;
  readonly exitCode?: number;
  readonly timedOut?: boolean;
}

export interface ReportResult {
  readonly name: string;
  readonly proves: string;
  readonly verdict: Verdict;
  readonly reason: string;
  readonly evidence: readonly ReportEvidence[];
  readonly durationMs?: number;
}

export interface ReportNode {
  readonly name: string;
  readonly role?: string;
  readonly internalIp?: string;
}

/** What the renderers draw. */
export interface ReportDoc {
  /** Which document the input was. */
  readonly source: "stack-output" | "runner-output" | "performance-output";
  readonly clusterName?: string;
  readonly ciliumVersion?: string;
  /** The checks' summary line; undefined when the input had no checks. */
  readonly summary?: string;
  readonly results: readonly ReportResult[];
  readonly datapath: Readonly<Record<string, unknown>>;
  readonly performance?: Performance;
  readonly nodes: readonly ReportNode[];
  /** Problems the runners met (discovery warnings and errors). */
  readonly problems: readonly string[];
  /** What the input lacked or held in an unexpected shape. */
  readonly issues: readonly string[];
  /** Shown in the header when given (the report itself never reads the clock). */
  readonly generatedAt?: string;
}

/** The kind of document a file is expected to be (the CLI's --stack-output / --runner-output). */
export type ExpectedSource = "stack-output" | "runner-output";

const VERDICTS: readonly Verdict[] = ["pass", "fail", "inconclusive", "differs"];

/** `pulumi stack output --json` without --show-secrets prints secrets as this string. */
const SECRET = "[secret]";

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function finite(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** A stack output may arrive as a JSON string (an output exported as text): parse it then. */
function unwrap(value: unknown): unknown {
  if (typeof value !== "string" || value === SECRET) return value;
  const t = value.trim();
  if (!t.startsWith("{") && !t.startsWith("[")) return value;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return value;
  }
}

function readEvidence(value: unknown): ReportEvidence[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((e) => {
    const r = record(e);
    if (r === undefined) return [];
    const exitCode = finite(r.exitCode);
    return [
      {
        command: str(r.command) ?? "",
        output: str(r.output) ?? "",
        ...(exitCode === undefined ? {} : { exitCode }),
        ...(r.timedOut === true ? { timedOut: true } : {}),
      },
    ];
  });
}

function readResults(value: unknown, issues: string[]): ReportResult[] {
  if (!Array.isArray(value)) {
    issues.push("the check results are not a list");
    return [];
  }
  return value.flatMap((item, i) => {
    const r = record(item);
    const name = str(r?.name);
    if (r === undefined || name === undefined || name === "") {
      issues.push(`check result ${i + 1} has no name and was left out`);
      return [];
    }
    let verdict = str(r.verdict) as Verdict | undefined;
    if (verdict === undefined || !VERDICTS.includes(verdict)) {
      issues.push(
        `${name}: verdict ${JSON.stringify(r.verdict)} is not pass, fail, inconclusive or differs; shown as inconclusive`,
      );
      verdict = "inconclusive";
    }
    const durationMs = finite(r.durationMs);
    return [
      {
        name,
        proves: str(r.proves) ?? "",
        verdict,
        reason: str(r.reason) ?? "",
        evidence: readEvidence(r.evidence),
        ...(durationMs === undefined ? {} : { durationMs }),
      },
    ];
  });
}

function readNodes(value: unknown): ReportNode[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((n) => {
    const r = record(n);
    const name = str(r?.name);
    if (r === undefined || name === undefined) return [];
    const role = str(r.role);
    const internalIp = str(r.internalIp);
    return [
      { name, ...(role === undefined ? {} : { role }), ...(internalIp === undefined ? {} : { internalIp }) },
    ];
  });
}

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

function readPair(value: unknown): PerfPair | undefined {
  const r = record(value);
  const name = str(r?.name);
  if (r === undefined || name === undefined) return undefined;
  const verdict = VERDICTS.includes(r.verdict as Verdict) ? (r.verdict as Verdict) : "inconclusive";
  const numbers = Object.fromEntries(
    PAIR_NUMBERS.map((k) => [k, finite(r[k])]).filter(([, v]) => v !== undefined),
  ) as Partial<PerfPair>;
  const method =
    r.latencyMethod === "icmp-echo" || r.latencyMethod === "tcp-connect" ? r.latencyMethod : undefined;
  const notes = Array.isArray(r.notes)
    ? r.notes.filter((n): n is string => typeof n === "string")
    : undefined;
  return {
    name,
    from: str(r.from) ?? "",
    to: str(r.to) ?? "",
    ...numbers,
    ...(method === undefined ? {} : { latencyMethod: method }),
    samples: finite(r.samples) ?? 0,
    verdict,
    reason: str(r.reason) ?? "",
    ...(notes === undefined || notes.length === 0 ? {} : { notes }),
    evidence: readEvidence(r.evidence).map((e) => ({ command: e.command, output: e.output })),
  };
}

function readPerformance(value: unknown, issues: string[]): Performance | undefined {
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
  const ratiosIn = record(r.ratios) ?? {};
  const ratios = Object.fromEntries(
    Object.entries(ratiosIn).filter((e): e is [string, number] => finite(e[1]) !== undefined),
  );
  const s = record(r.settings) ?? {};
  const settings = {
    durationSeconds: finite(s.durationSeconds) ?? 0,
    streams: finite(s.streams) ?? 0,
    pingSamples: finite(s.pingSamples) ?? 0,
    port: finite(s.port) ?? 0,
    serverStartDelayMs: finite(s.serverStartDelayMs) ?? 0,
  };
  const count = (verdict: Verdict) => pairs.filter((p) => p.verdict === verdict).length;
  const fallback = `${count("pass")}/${pairs.length} pairs measured`;
  return {
    summary: str(r.summary) ?? fallback,
    settings,
    pairs,
    ratios,
    problems: Array.isArray(r.problems) ? r.problems.filter((p): p is string => typeof p === "string") : [],
  };
}

function readStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((p): p is string => typeof p === "string") : [];
}

/**
 * Reads any of the three documents into a {@link ReportDoc}. `expected` (from the CLI flag) only
 * adds an issue when the document turns out to be the other kind.
 */
export function readReportDocument(
  input: unknown,
  opts: { readonly expected?: ExpectedSource; readonly generatedAt?: string } = {},
): ReportDoc {
  const issues: string[] = [];
  const root = record(input);
  if (root === undefined) {
    return {
      source: opts.expected ?? "stack-output",
      results: [],
      datapath: {},
      nodes: [],
      problems: [],
      issues: ["the input is not a JSON object"],
      ...(opts.generatedAt === undefined ? {} : { generatedAt: opts.generatedAt }),
    };
  }

  const checksRaw = unwrap(root.checks);
  let source: ReportDoc["source"];
  let checks: Record<string, unknown> | undefined;
  if ("checks" in root) {
    source = "stack-output";
    if (checksRaw === SECRET)
      issues.push("the checks output is a secret: run `pulumi stack output --json --show-secrets`");
    checks = record(checksRaw);
    if (checks === undefined && checksRaw !== SECRET) issues.push("the checks output is not an object");
  } else if ("results" in root) {
    source = "runner-output";
    checks = root;
  } else if ("performance" in root) {
    source = "performance-output";
  } else {
    source = opts.expected ?? "stack-output";
    issues.push("the input has none of checks, results or performance");
  }
  if (opts.expected !== undefined && source !== "performance-output" && source !== opts.expected) {
    issues.push(`expected ${opts.expected} but the document is ${source}; read as ${source}`);
  }

  const results = checks === undefined ? [] : readResults(checks.results, issues);
  const datapathRaw = unwrap(root.datapath);
  const datapath = record(datapathRaw) ?? {};
  if (datapathRaw === SECRET) issues.push("the datapath output is a secret");
  const clusterName = str(root.clusterName);
  const ciliumVersion = str(root.ciliumVersion) ?? str(datapath.ciliumVersion);
  const performance = readPerformance(root.performance, issues);
  const summary = checks === undefined ? undefined : (str(checks.summary) ?? summarize(results));

  return {
    source,
    ...(clusterName === undefined || clusterName === SECRET ? {} : { clusterName }),
    ...(ciliumVersion === undefined || ciliumVersion === SECRET ? {} : { ciliumVersion }),
    ...(summary === undefined ? {} : { summary }),
    results,
    datapath,
    ...(performance === undefined ? {} : { performance }),
    nodes: readNodes(unwrap(root.nodes)),
    problems: [...readStrings(checks?.problems ?? root.problems), ...(performance?.problems ?? [])],
    issues,
    ...(opts.generatedAt === undefined ? {} : { generatedAt: opts.generatedAt }),
  };
}
