/**
 * The report's input, read from whatever JSON the lab printed: the stack outputs
 * (`pulumi stack output --json`: `checks`, `datapath`, `performance`, `nodes`, `clusterName`,
 * `ciliumVersion`), the standalone check runner's RunReport (`summary`, `results`, `datapath`), or the
 * performance runner's `{ performance }`. Reading never throws for a malformed piece: what is missing
 * or odd goes to `issues`, shown at the top of the report.
 */
import { summarize } from "../runner/results";
import type { Performance } from "../perf/types";
import type { Verdict } from "../checks/types";
import { readPerformance } from "./perfModel";
import { finite, readEvidence, record, SECRET, str, unwrap, VERDICTS, type ReportEvidence } from "./read";

export type { ReportEvidence } from "./read";

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
