/**
 * The shape the checks are published in: the `checks` and `datapath` stack outputs, and the one
 * summary line that closes a run.
 */
import type { CheckResult, Verdict } from "../checks/types";

/** What a run learned about the datapath: facts from the judgements plus the pod CIDRs per node. */
export interface Datapath {
  /** Per-node pod CIDRs from the CiliumNode objects (empty when discovery failed). */
  readonly podCidrs: Readonly<Record<string, readonly string[]>>;
  /**
   * Facts the checks reported (`Judgement.facts`), merged in check order; the first check to report a
   * key wins. Expected keys: `kubeProxyReplacement`, `hostRouting`, `masquerading`, `routingMode`.
   */
  readonly [fact: string]: unknown;
}

/** The result of a run: the summary line, one result per check, what was learned about the datapath. */
export interface RunReport {
  /** `13/14 checks passed, 1 inconclusive`. */
  readonly summary: string;
  readonly results: readonly CheckResult[];
  readonly datapath: Datapath;
  /** Problems met while discovering the lab (warnings too); empty when there were none. */
  readonly problems: readonly string[];
}

/** One published result: evidence reduced to command and output. */
export interface PublishedResult {
  readonly name: string;
  readonly proves: string;
  readonly verdict: Verdict;
  readonly reason: string;
  readonly evidence: readonly { readonly command: string; readonly output: string }[];
  readonly durationMs: number;
}

/** The stack outputs `checks` and `datapath`. */
export interface StackOutputs {
  readonly checks: { readonly summary: string; readonly results: readonly PublishedResult[] };
  readonly datapath: Datapath;
}

/** `13/14 checks passed`, then `, N failed`, `, N inconclusive` and `, N differ from the lab profile` when there are any. */
export function summarize(results: readonly Pick<CheckResult, "verdict">[]): string {
  const count = (v: Verdict): number => results.filter((r) => r.verdict === v).length;
  const failed = count("fail");
  const inconclusive = count("inconclusive");
  let line = `${count("pass")}/${results.length} checks passed`;
  if (failed > 0) line += `, ${failed} failed`;
  if (inconclusive > 0) line += `, ${inconclusive} inconclusive`;
  const differs = count("differs");
  if (differs > 0) line += `, ${differs} differ from the lab profile`;
  return line;
}

/** The report as the stack publishes it. */
export function toStackOutputs(report: RunReport): StackOutputs {
  return {
    checks: {
      summary: report.summary,
      results: report.results.map((r) => ({
        name: r.name,
        proves: r.proves,
        verdict: r.verdict,
        reason: r.reason,
        evidence: r.evidence.map((e) => ({ command: e.command, output: e.output })),
        durationMs: r.durationMs,
      })),
    },
    datapath: report.datapath,
  };
}

/** A datapath fact as text, `unknown` when no check reported it. */
function fact(datapath: Readonly<Record<string, unknown>>, key: string): string {
  const v = datapath[key];
  return typeof v === "string" && v !== "" ? v : "unknown";
}

/**
 * The stack's one-line `summary` output: `checks 13 passed, 0 failed, 1 inconclusive (of 14); KPR
 * Strict; host routing BPF; masquerading BPF; routing Native`.
 */
export function stackSummary(
  results: readonly Pick<CheckResult, "verdict">[],
  datapath: Readonly<Record<string, unknown>>,
): string {
  const count = (v: Verdict): number => results.filter((r) => r.verdict === v).length;
  return [
    `checks ${count("pass")} passed, ${count("fail")} failed, ${count("inconclusive")} inconclusive (of ${results.length})`,
    `KPR ${fact(datapath, "kubeProxyReplacement")}`,
    `host routing ${fact(datapath, "hostRouting")}`,
    `masquerading ${fact(datapath, "masquerading")}`,
    `routing ${fact(datapath, "routingMode")}`,
  ].join("; ");
}
