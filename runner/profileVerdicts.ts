/**
 * Existing mode with installCilium false: the cluster runs its own Cilium, configured as its owner
 * chose. A check that fails because that configuration is not the lab's (tunnel routing, kube-proxy
 * replacement off, ENI IPAM...) has found a difference, not a broken datapath: its verdict becomes
 * `differs`, with what cilium-config says and what the lab expects, then the check's own reason.
 * Passes, inconclusive results and failures no difference explains are kept as they are.
 */
import type { CheckResult } from "../checks/types";
import type { RunReport } from "./results";
import { summarize } from "./results";

import type { ProfileDifference } from "../existing/ciliumProfile";

export type { ProfileDifference } from "../existing/ciliumProfile";

/** Reads the `--profile-differences` JSON; throws a message naming the flag when malformed. */
export function parseProfileDifferences(json: string): ProfileDifference[] {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    throw new Error("--profile-differences must be a JSON list of {key, found, lab, checks}");
  }
  const ok =
    Array.isArray(v) &&
    v.every(
      (d) =>
        typeof d === "object" &&
        d !== null &&
        ["key", "found", "lab"].every((k) => typeof (d as Record<string, unknown>)[k] === "string") &&
        Array.isArray((d as Record<string, unknown>).checks) &&
        ((d as Record<string, unknown>).checks as unknown[]).every((c) => typeof c === "string"),
    );
  if (!ok) throw new Error("--profile-differences must be a JSON list of {key, found, lab, checks}");
  return v as ProfileDifference[];
}

/** The report with the failures that a difference explains turned into `differs`. */
export function applyProfileDifferences(
  report: RunReport,
  differences: readonly ProfileDifference[],
): RunReport {
  const results = report.results.map((r): CheckResult => {
    if (r.verdict !== "fail") return r;
    const why = differences.filter((d) => d.checks.includes(r.name));
    if (why.length === 0) return r;
    const found = why.map((d) => `${d.key} is ${d.found} (lab: ${d.lab})`).join(", ");
    return {
      ...r,
      verdict: "differs",
      reason: `differs from the lab profile: cilium-config says ${found}. ${r.reason}`,
    };
  });
  return { ...report, results, summary: summarize(results) };
}
