/**
 * cilium-direct-node-routes-required: every node routes the other nodes' pod CIDRs directly, and the
 * native-routing CIDR covers every pod CIDR.
 *
 * What it checks:
 * - `autoDirectNodeRoutes: true`;
 * - an IPv4 native-routing CIDR: `ipv4NativeRoutingCIDR` (or, from 1.20, the single cluster-pool
 *   entry with `nativeRoutingCIDRFromClusterPool: true`) that is a valid CIDR;
 * - with cluster-pool IPAM, every pod CIDR the operator hands out lies inside it: the
 *   `clusterPoolIPv4PodCIDRList` entries (1.13: that list when non-empty, else
 *   `clusterPoolIPv4PodCIDR`), or the chart default 10.0.0.0/8 when unset.
 *
 * Why: in native routing the nodes share one L2 network (kind's Docker bridge), so Cilium installs
 * a route per peer node's pod CIDR (autoDirectNodeRoutes). Traffic to the native-routing CIDR is
 * neither tunnelled nor masqueraded: a pod CIDR outside it would be masqueraded on its way to other
 * pods, and 1.18+ charts refuse native routing without the CIDR.
 *
 * Source: https://docs.cilium.io/en/stable/network/concepts/routing/#native-routing
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { contains, parseIPv4Cidr } from "../lib/cidr";
import { isTrue, nativeRoutingCidr, podCidrs, validateCiliumRelease } from "../lib/cilium";
import { configOf } from "../lib/config";
import { found, need } from "../lib/props";

const RULE = "Cilium must route pod CIDRs directly between nodes";
const FROM_LAB = "the stack writes it from lab config; remove the override";

export interface DirectNodeRoutesConfig {
  /** Check that every cluster-pool pod CIDR lies inside the native-routing CIDR. */
  readonly checkPodCidrs: boolean;
}

const DEFAULTS: DirectNodeRoutesConfig = { checkPodCidrs: true };

export const ciliumDirectNodeRoutesRequired: ResourceValidationPolicy = {
  name: "cilium-direct-node-routes-required",
  description:
    "The Cilium Helm release must install direct node routes (autoDirectNodeRoutes true) with a valid ipv4NativeRoutingCIDR that contains every cluster-pool pod CIDR.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      checkPodCidrs: {
        type: "boolean",
        default: DEFAULTS.checkPodCidrs,
        description: "Check that every cluster-pool pod CIDR lies inside the native-routing CIDR.",
      },
    },
  },
  validateResource: validateCiliumRelease(RULE, (chart, report, args) => {
    const config = configOf("cilium-direct-node-routes-required", DEFAULTS, args);
    const direct = need(chart.values, "autoDirectNodeRoutes");
    if (!isTrue(direct)) {
      const why = direct === undefined || direct === null ? " (the chart default is false)" : "";
      report(
        `${RULE}: found ${found("autoDirectNodeRoutes", direct)}${why}; set autoDirectNodeRoutes: true (${FROM_LAB})`,
      );
    }

    const native = nativeRoutingCidr(chart.values, chart.indexedVersion);
    if (native.cidr === undefined) {
      report(
        `${RULE} within ipv4NativeRoutingCIDR: found ${found("ipv4NativeRoutingCIDR", native.raw)}; set ipv4NativeRoutingCIDR to a CIDR that contains every pod CIDR, e.g. 10.0.0.0/8 (${FROM_LAB})`,
      );
      return;
    }
    const nativeCidr = parseIPv4Cidr(native.cidr);
    if (nativeCidr === undefined) {
      report(
        `${RULE} within ipv4NativeRoutingCIDR: found ${native.source}=${native.cidr}, which is not an IPv4 CIDR; set it to one such as 10.0.0.0/8 (${FROM_LAB})`,
      );
      return;
    }
    if (!config.checkPodCidrs) return;

    const pods = podCidrs(chart.values, chart.indexedVersion);
    if (pods === undefined) return; // not cluster-pool IPAM: the pod CIDRs are not in the values
    const from = pods.chartDefault ? `${pods.key} unset, chart default` : pods.key;
    for (const text of pods.cidrs) {
      const pod = parseIPv4Cidr(text);
      if (pod === undefined) {
        report(`${RULE}: found pod CIDR ${text} (${from}), which is not an IPv4 CIDR; fix ${pods.key}`);
      } else if (!contains(nativeCidr, pod)) {
        report(
          `${RULE}, so every pod CIDR must lie inside the native-routing CIDR: found pod CIDR ${text} (${from}) outside ${native.source}=${native.cidr}; widen ipv4NativeRoutingCIDR or narrow ${pods.key}`,
        );
      }
    }
  }),
};
