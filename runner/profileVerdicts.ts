/**
 * Existing mode with installCilium false: the cluster runs its own Cilium, configured as its owner
 * chose. The program hands the runner every cilium-config key whose value is not the lab's
 * (`--profile-differences`); they go into the lab context ({@link withClusterDifferences}) so that each
 * check judges against the cluster's own value of the keys it declares (CheckDefinition.restsOn).
 *
 * A check says `differs` (the result is what the cluster's configuration implies, not the lab's
 * datapath) through checks/defs/common.ts `differsFrom`. {@link guardDiffers} holds it to that: a
 * `differs` whose keys the check does not declare, or on which the cluster does not differ, is a
 * `fail` with the reason why. Failures are never turned into `differs` here: a check that finds its
 * expectation broken under a setting that matches the lab's, or under the cluster's own setting, fails.
 */
import { isCiliumConfigKey, type SettingDifference } from "../checks/ciliumConfig";
import type { CheckDefinition, Judgement, LabContext } from "../checks/types";

const SHAPE = "--profile-differences must be a JSON list of {key, found, lab, checks}";

/** Reads the `--profile-differences` JSON; throws a message naming the flag when malformed. */
export function parseProfileDifferences(json: string): SettingDifference[] {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    throw new Error(SHAPE);
  }
  if (!Array.isArray(v)) throw new Error(SHAPE);
  return v.map((d: unknown): SettingDifference => {
    const o = typeof d === "object" && d !== null ? (d as Record<string, unknown>) : {};
    if (typeof o.found !== "string" || typeof o.lab !== "string") throw new Error(SHAPE);
    if (!isCiliumConfigKey(o.key)) {
      throw new Error(`${SHAPE}; key ${JSON.stringify(o.key)} is not a cilium-config key the checks know`);
    }
    return { key: o.key, found: o.found, lab: o.lab };
  });
}

/** The context with the cluster's differences from the lab profile (none: the context as it was). */
export function withClusterDifferences(
  ctx: LabContext,
  differences: readonly SettingDifference[] | undefined,
): LabContext {
  return differences === undefined || differences.length === 0
    ? ctx
    : { ...ctx, clusterDifferences: differences };
}

/**
 * A judgement as the runner publishes it: `differs` only when every key it names is declared by the
 * check and differs on this cluster; otherwise a `fail` saying what was wrong with the claim.
 */
export function guardDiffers(def: CheckDefinition, ctx: LabContext, j: Judgement): Judgement {
  if (j.verdict !== "differs") return j;
  const keys = j.explainedBy ?? [];
  const undeclared = keys.filter((k) => !def.restsOn.includes(k));
  const notDiffering = keys.filter((k) => !(ctx.clusterDifferences ?? []).some((d) => d.key === k));
  if (keys.length > 0 && undeclared.length === 0 && notDiffering.length === 0) return j;
  const why =
    keys.length === 0
      ? "it names no cilium-config key"
      : undeclared.length > 0
        ? `${def.name} does not declare ${undeclared.join(", ")} in restsOn`
        : `the cluster's cilium-config does not differ from the lab on ${notDiffering.join(", ")}`;
  return {
    verdict: "fail",
    reason: `${j.reason} (not a difference from the lab profile: ${why})`,
    ...(j.facts === undefined ? {} : { facts: j.facts }),
  };
}
