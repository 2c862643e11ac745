/**
 * A check's steps before they run: {@link stepsOf} validates what steps() returned (unique ids,
 * positive timeouts, gates naming steps of the check, no gate cycle) and {@link effectiveTimeout}
 * applies the `--timeout` cap. Shared by the run (runner/runCheck.ts) and the plan (runner/plan.ts).
 */
import type { CheckDefinition, LabContext, ProbeStep } from "../checks/types";

/** The step's timeout after the cap. */
export function effectiveTimeout(step: ProbeStep, cap?: number): number {
  return cap !== undefined && cap > 0 ? Math.min(step.timeoutSeconds, cap) : step.timeoutSeconds;
}

/**
 * A check's steps(), validated: ids unique, timeouts positive, gates naming steps of the check
 * (a `ready` gate only on a step that says when it is ready) and no gate cycle.
 */
export function stepsOf(def: CheckDefinition, ctx: LabContext): readonly ProbeStep[] {
  const steps = def.steps(ctx);
  const byId = new Map<string, ProbeStep>();
  for (const s of steps) {
    if (byId.has(s.id)) throw new Error(`duplicate step id ${JSON.stringify(s.id)}`);
    byId.set(s.id, s);
    if (!(s.timeoutSeconds > 0)) throw new Error(`step ${s.id} has no positive timeout`);
    if (s.argv.length === 0) throw new Error(`step ${s.id} has an empty argv`);
  }
  for (const s of steps) {
    for (const g of s.startAfter ?? []) {
      const target = byId.get(g.step);
      if (target === undefined) throw new Error(`step ${s.id} waits for unknown step ${g.step}`);
      if (g.when === "ready" && !target.readyWhen) {
        throw new Error(`step ${s.id} waits for ${g.step} to be ready, which has no readyWhen`);
      }
    }
  }
  const visiting = new Set<string>();
  const visited = new Set<string>();
  const visit = (id: string): void => {
    if (visited.has(id)) return;
    if (visiting.has(id)) throw new Error(`steps wait for each other in a cycle through ${id}`);
    visiting.add(id);
    for (const g of byId.get(id)?.startAfter ?? []) visit(g.step);
    visiting.delete(id);
    visited.add(id);
  };
  for (const s of steps) visit(s.id);
  return steps;
}
