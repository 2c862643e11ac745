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
