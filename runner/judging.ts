/**
 * Judging and the datapath facts: what a check's run came to ({@link Outcome}), whether a judge
 * returned a judgement ({@link validJudgement}), and the facts of all judgements merged into the
 * report's datapath with the pod CIDRs ({@link collectDatapath}).
 */
import type { CheckResult, Judgement, LabContext } from "../checks/types";
import type { Datapath } from "./results";

export interface Outcome {
  readonly result: CheckResult;
  readonly facts?: Readonly<Record<string, unknown>>;
}

const VERDICTS = new Set(["pass", "fail", "inconclusive", "differs"]);

export function validJudgement(j: unknown): j is Judgement {
  const o = j as Partial<Judgement> | undefined;
  return (
    typeof o === "object" && o !== null && VERDICTS.has(o.verdict as string) && typeof o.reason === "string"
  );
}

/** Facts of the judgements merged in check order (first wins), plus the pod CIDRs from the context. */
export function collectDatapath(ctx: LabContext, outcomes: readonly Outcome[]): Datapath {
  const facts: Record<string, unknown> = {};
  const source: Record<string, string> = {};
  const conflicts: Record<string, Record<string, unknown>> = {};
  for (const { result, facts: f } of outcomes) {
    for (const [key, value] of Object.entries(f ?? {})) {
      if (key === "podCidrs" || key === "conflictingFacts") continue; // reserved
      if (!(key in facts)) {
        facts[key] = value;
        source[key] = result.name;
      } else if (JSON.stringify(facts[key]) !== JSON.stringify(value)) {
        conflicts[key] ??= { [source[key]]: facts[key] };
        conflicts[key][result.name] = value;
      }
    }
  }
  const podCidrs = Object.fromEntries(ctx.nodes.map((n) => [n.name, [...n.podCidrs]]));
  return {
    ...facts,
    podCidrs,
    ...(Object.keys(conflicts).length > 0 ? { conflictingFacts: conflicts } : {}),
  };
}
