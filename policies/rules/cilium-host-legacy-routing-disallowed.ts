/**
 * cilium-host-legacy-routing-disallowed: host traffic is routed in eBPF (BPF host routing), not
 * through the kernel's routing and netfilter stack.
 *
 * What it checks: `bpf.hostLegacyRouting` is not true, and no `cni.chainingMode` other than `none`
 * (with chaining, the chart forces `enable-host-legacy-routing: "true"` when hostLegacyRouting is
 * unset).
 *
 * Why: BPF host routing (bpf_redirect_peer / bpf_redirect_neigh) is what the lab measures; legacy
 * routing sends pod traffic up the host stack and the lab's one-sided veth capture and next-hop
 * evidence no longer hold.
 *
 * A declared variant is accepted: a helm.v3.Release whose Helm description is
 * `lab/datapath-variant=legacy-host-routing` (the stack writes it only when its config says
 * `datapathVariant: legacy-host-routing`, the A/B's second lab: lib/configVariant.ts) may set
 * `bpf.hostLegacyRouting: true`. The declaration travels on the release itself, so the pack judges
 * what is installed, not a flag of its own: the same pack and config judge both labs. Without it
 * (another resource type, another description) the setting is a violation as before. CNI chaining
 * is not the declared variant and is still reported.
 *
 * Source: https://docs.cilium.io/en/stable/operations/performance/tuning/#ebpf-host-routing
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { isSetString, isTrue, validateCiliumRelease } from "../lib/cilium";
import { configOf } from "../lib/config";
import { variantOfDescription } from "../../lib/configVariant";
import { found, need } from "../lib/props";

const RULE = "Cilium must route host traffic in eBPF (BPF host routing)";

export interface HostLegacyRoutingConfig {
  /** Also report CNI chaining, which makes the chart force legacy host routing. */
  readonly checkCniChaining: boolean;
}

const DEFAULTS: HostLegacyRoutingConfig = { checkCniChaining: true };

export const ciliumHostLegacyRoutingDisallowed: ResourceValidationPolicy = {
  name: "cilium-host-legacy-routing-disallowed",
  description:
    "The Cilium Helm release must not enable legacy host routing (bpf.hostLegacyRouting true, or CNI chaining which forces it): it defeats BPF host routing.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      checkCniChaining: {
        type: "boolean",
        default: DEFAULTS.checkCniChaining,
        description:
          "Also report cni.chainingMode other than none (the chart then forces legacy host routing).",
      },
    },
  },
  validateResource: validateCiliumRelease(RULE, (chart, report, args) => {
    const config = configOf("cilium-host-legacy-routing-disallowed", DEFAULTS, args);
    const legacy = need(chart.values, "bpf.hostLegacyRouting");
    const declared = variantOfDescription(need(args.props, "description")) === "legacy-host-routing";
    if (isTrue(legacy) && !declared) {
      report(
        `${RULE}: found ${found("bpf.hostLegacyRouting", legacy)}, which sends host traffic through the kernel stack (Host Routing: Legacy); remove bpf.hostLegacyRouting or set it to false`,
      );
    }
    if (!config.checkCniChaining || (legacy !== undefined && legacy !== null)) return;
    const chaining = need(chart.values, "cni.chainingMode");
    if (isSetString(chaining) && chaining !== "none") {
      report(
        `${RULE}: found ${found("cni.chainingMode", chaining)}, with which the chart forces enable-host-legacy-routing=true; remove cni.chainingMode (Cilium is the only CNI in the lab)`,
      );
    }
  }),
};
