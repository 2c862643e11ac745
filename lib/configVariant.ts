/**
 * datapathVariant: the datapath the stack declares it builds. `bpf` (default) is the lab as the
 * write-up builds it (BPF host routing); `legacy-host-routing` is the same lab with Cilium's
 * `bpf.hostLegacyRouting: true`, the second half of the A/B (`scripts/lab.sh ab`). A declared
 * variant is intended: the checks say `differs` where it explains the result, and the policy pack
 * accepts it (policies/rules/cilium-host-legacy-routing-disallowed.ts).
 */
import type { ConfigReader } from "./configReader";
import { DATAPATH_VARIANTS, type DatapathVariant } from "./configTypes";

/** Validates datapathVariant, recording problems in `r` ("bpf" when bad). */
export function validateVariantKey(r: ConfigReader, installCilium: boolean): DatapathVariant {
  const raw = r.get("datapathVariant");
  const variant = DATAPATH_VARIANTS.find((v) => v === raw);
  if (variant === undefined) {
    r.bad("datapathVariant", raw, `must be one of ${DATAPATH_VARIANTS.join(", ")}`);
    return "bpf";
  }
  if (variant !== "bpf" && !installCilium) {
    r.bad(
      "datapathVariant",
      raw,
      "must be bpf when installCilium is false (the stack declares only a datapath it installs)",
    );
  }
  return variant;
}

/**
 * The Helm release description (Helm's `--description`, pulumi-kubernetes helm.v3.Release
 * `description`) that declares a variant on the release itself, where the policy pack reads it:
 * `lab/datapath-variant=<variant>`. The default variant writes none, so the bpf stacks' inputs stay
 * as they were.
 */
export const VARIANT_DESCRIPTION_PREFIX = "lab/datapath-variant=";

/** The release description of a declared variant; undefined for the default (bpf). */
export function variantReleaseDescription(variant: DatapathVariant): string | undefined {
  return variant === "bpf" ? undefined : `${VARIANT_DESCRIPTION_PREFIX}${variant}`;
}

/** The variant a release description declares (undefined: none or not one this lab knows). */
export function variantOfDescription(description: unknown): DatapathVariant | undefined {
  if (typeof description !== "string" || !description.startsWith(VARIANT_DESCRIPTION_PREFIX))
    return undefined;
  const name = description.slice(VARIANT_DESCRIPTION_PREFIX.length);
  return DATAPATH_VARIANTS.find((v) => v !== "bpf" && v === name);
}

/**
 * The runner's `--profile-differences` JSON for a declared variant (runner/profileVerdicts.ts): the
 * cilium-config key the variant changes, so that the checks resting on it say `differs`, not `fail`.
 * Undefined for the default. The `lab` text is existing/ciliumProfile.ts's for that key.
 */
export function variantProfileDifferences(variant: DatapathVariant): string | undefined {
  return variant === "legacy-host-routing"
    ? JSON.stringify([{ key: "enable-host-legacy-routing", found: "true", lab: "false (BPF host routing)" }])
    : undefined;
}
