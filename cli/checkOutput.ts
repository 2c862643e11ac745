/**
 * What the check CLI prints (cli/check.ts): the run's text table and the dry run's pasteable plan.
 * The JSON documents are printed as they are.
 */
import type { ExecPlan } from "../runner/plan";
import type { RunReport } from "../runner/results";

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(1)}s`;
}

/**
 * A compact table, columns in the order of `npm run report`'s (CHECK, VERDICT, then REASON last; the
 * run's TIME before it); evidence is shown for checks that did not pass.
 */
export function renderText(report: RunReport): string {
  const rows = report.results.map((r) => [
    r.name,
    r.verdict.toUpperCase(),
    formatDuration(r.durationMs),
    r.reason,
  ]);
  const width = (i: number): number =>
    Math.max(...rows.map((r) => r[i].length), ["CHECK", "VERDICT", "TIME"][i].length);
  const line = (cols: string[]): string =>
    [cols[0].padEnd(width(0)), cols[1].padEnd(width(1)), cols[2].padStart(width(2)), cols[3]]
      .join("  ")
      .trimEnd();
  const out: string[] = [];
  if (rows.length > 0) out.push(line(["CHECK", "VERDICT", "TIME", "REASON"]), ...rows.map(line));
  for (const p of report.problems) out.push(`! ${p}`);
  const shown = report.results.filter((r) => r.verdict !== "pass");
  for (const r of shown) {
    out.push("", `--- ${r.name} (${r.verdict}) evidence`);
    if (r.evidence.length === 0) out.push("  (no commands ran)");
    for (const e of r.evidence) {
      const status = e.timedOut === true ? "timed out" : `exit ${e.exitCode ?? "none"}`;
      out.push(`  $ ${e.command}   [${status}]`);
      const lines = e.output.replace(/\n$/, "").split("\n");
      const kept = lines.slice(0, 20);
      out.push(...kept.map((l) => `    ${l}`));
      if (lines.length > kept.length) out.push(`    ... ${lines.length - kept.length} more lines`);
    }
  }
  out.push("", report.summary);
  return `${out.join("\n")}\n`;
}

export function renderPlanText(plan: ExecPlan): string {
  // Pasteable: comments start with `#`, every command is shell-quoted (a script stays one argv word).
  const out = [...plan.lines];
  for (const e of plan.errors)
    out.push(`# ! ${e.check}: could not build its probe: ${e.error.replace(/\n/g, " ")}`);
  out.push(
    "",
    `# ${plan.counts.totalExecs} execs in ${plan.counts.checks} checks on ${plan.nodes.probed.length} of ${plan.nodes.total} nodes`,
  );
  const dd = plan.counts.deviceDetection;
  if (dd !== undefined)
    out.push(
      `#   (${dd.execs} of them detect node devices; up to ${dd.fallbackAtMost} more if an agent shows none)`,
    );
  for (const [check, pods] of Object.entries(plan.counts.execsPerPodPerCheck)) {
    const parts = Object.entries(pods).map(([pod, n]) => `${pod}=${n}`);
    out.push(`#   ${check}: ${parts.join(" ") || "no execs"}`);
  }
  return `${out.join("\n")}\n`;
}
