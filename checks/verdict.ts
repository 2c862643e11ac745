/**
 * Verdict helpers shared by the check definitions: constructors, the "is this output usable at all"
 * gate every judge goes through first, and the way partial findings combine into one judgement.
 *
 * The rule throughout: evidence that does not allow a judgement is `inconclusive`, never `pass`. A
 * timeout, a command that could not run, a non-zero exit that the probe does not expect, and empty
 * output are all inconclusive, with a reason naming the step and what came back.
 */
import { splitSections, type Section } from "./probes";
import type { ExecResult, Judgement, ProbeStep } from "./types";

type Facts = Readonly<Record<string, unknown>>;

export function pass(reason: string, facts?: Facts): Judgement {
  return facts === undefined ? { verdict: "pass", reason } : { verdict: "pass", reason, facts };
}

export function fail(reason: string, facts?: Facts): Judgement {
  return facts === undefined ? { verdict: "fail", reason } : { verdict: "fail", reason, facts };
}

export function inconclusive(reason: string, facts?: Facts): Judgement {
  return facts === undefined
    ? { verdict: "inconclusive", reason }
    : { verdict: "inconclusive", reason, facts };
}

/** At most `max` characters of the first non-empty lines of a text, on one line. */
export function excerpt(text: string, max = 200): string {
  const flat = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .join(" | ");
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Usable output of a step, or the inconclusive judgement that says why there is none. */
export type Usable =
  { readonly ok: true; readonly output: string } | { readonly ok: false; readonly judgement: Judgement };

export interface UsableOptions {
  /** Exit codes that still mean "the output is evidence" (ping's 1, a capture's 124). Defaults to [0]. */
  readonly okExitCodes?: readonly number[];
  /** Accept empty stdout (a command whose silence is meaningful and that has its sanity twin). */
  readonly allowEmpty?: boolean;
}

/** How a step is named in reasons: `"<id>" on <pod>`. */
export function stepLabel(step: ProbeStep): string {
  return `"${step.id}" on ${step.target.pod}`;
}

/**
 * The gate every judge passes a step's result through: missing result, timeout, a process that did
 * not run to completion, an unexpected exit code, or empty stdout all give an inconclusive judgement.
 */
export function usableOutput(
  step: ProbeStep,
  result: ExecResult | undefined,
  opts: UsableOptions = {},
): Usable {
  const label = stepLabel(step);
  const no = (reason: string): Usable => ({ ok: false, judgement: inconclusive(reason) });
  if (result === undefined) return no(`${label}: no result (the step did not run)`);
  if (result.timedOut) return no(`${label} timed out after ${step.timeoutSeconds} s`);
  if (result.exitCode === undefined) {
    const why = excerpt(result.stderr) || "no exit code";
    return no(`${label} did not run to completion: ${why}`);
  }
  const okCodes = opts.okExitCodes ?? [0];
  if (!okCodes.includes(result.exitCode)) {
    const why = excerpt(result.stderr) || excerpt(result.stdout) || "no output";
    return no(`${label} exited with code ${result.exitCode}: ${why}`);
  }
  if (!opts.allowEmpty && result.stdout.trim() === "") {
    const why = result.stderr.trim() === "" ? "" : ` (stderr: ${excerpt(result.stderr)})`;
    // An allowed non-zero exit with nothing on stdout is more likely kubectl failing than the probe.
    const code = result.exitCode === 0 ? "" : ` exited with code ${result.exitCode} and`;
    return no(`${label}${code} printed nothing usable${why}`);
  }
  return { ok: true, output: result.stdout };
}

/** Looks a step's result up by id and passes it through {@link usableOutput}. */
export function usableStep(
  step: ProbeStep,
  results: ReadonlyMap<string, ExecResult>,
  opts: UsableOptions = {},
): Usable {
  return usableOutput(step, results.get(step.id), opts);
}

/** A section of a script's output, or the inconclusive judgement that says why it is missing or failed. */
export type UsableSection =
  { readonly ok: true; readonly section: Section } | { readonly ok: false; readonly judgement: Judgement };

/**
 * One section of a script's output: missing (the script stopped early), an unexpected exit code, or
 * (unless allowed) empty output give an inconclusive judgement naming the section and the step.
 */
export function usableSection(
  step: ProbeStep,
  sections: ReadonlyMap<string, Section>,
  name: string,
  opts: UsableOptions = {},
): UsableSection {
  const label = `section "${name}" of ${stepLabel(step)}`;
  const no = (reason: string): UsableSection => ({ ok: false, judgement: inconclusive(reason) });
  const section = sections.get(name);
  if (section === undefined) return no(`${label} is missing (the script stopped before it)`);
  if (section.exitCode === undefined) return no(`${label} did not finish`);
  const okCodes = opts.okExitCodes ?? [0];
  if (!okCodes.includes(section.exitCode)) {
    return no(`${label} exited with code ${section.exitCode}: ${excerpt(section.output) || "no output"}`);
  }
  if (!opts.allowEmpty && section.output.trim() === "") return no(`${label} printed nothing`);
  return { ok: true, section };
}

/** A script step's usable sections, or the step's inconclusive judgement. */
export type UsableSections =
  | { readonly ok: true; readonly sections: ReadonlyMap<string, Section> }
  | { readonly ok: false; readonly judgement: Judgement };

/** {@link usableStep} then {@link splitSections}. */
export function usableSections(
  step: ProbeStep,
  results: ReadonlyMap<string, ExecResult>,
  opts: UsableOptions = {},
): UsableSections {
  const usable = usableStep(step, results, opts);
  return usable.ok ? { ok: true, sections: splitSections(usable.output) } : usable;
}

/**
 * Combines partial judgements: any fail makes a fail, else any inconclusive an inconclusive, else
 * any differs a differs (explained by every key its parts name), else a pass. The reason lists the
 * failures first, then what was inconclusive, then what differs; a differs or a pass lists every
 * part. Identical reasons are given once.
 */
export function combine(parts: readonly Judgement[], facts?: Facts): Judgement {
  if (parts.length === 0) return inconclusive("nothing was judged", facts);
  const of = (v: Judgement["verdict"]): string[] => [
    ...new Set(parts.filter((p) => p.verdict === v).map((p) => p.reason)),
  ];
  const failed = of("fail");
  const unknown = of("inconclusive");
  const differing = of("differs");
  if (failed.length > 0) return fail([...failed, ...unknown, ...differing].join("; "), facts);
  if (unknown.length > 0) return inconclusive([...unknown, ...differing].join("; "), facts);
  if (differing.length > 0) {
    const explainedBy = [...new Set(parts.flatMap((p) => p.explainedBy ?? []))];
    return {
      verdict: "differs",
      reason: [...differing, ...of("pass")].join("; "),
      explainedBy,
      ...(facts === undefined ? {} : { facts }),
    };
  }
  return pass(of("pass").join("; "), facts);
}

/** Case-insensitive equality for values printed by tools (`Strict` vs `strict`, MAC case). */
export function sameText(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
}
