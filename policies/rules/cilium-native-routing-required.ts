/**
 * cilium-native-routing-required: the Cilium release routes pod traffic natively, without a tunnel.
 *
 * What it checks, in the keys of the release's chart version:
 * - charts before 1.14 (no `routingMode`): `tunnel: disabled` (the chart default is `vxlan`);
 * - 1.14 and later: `routingMode: native` (unset means the chart's default, `tunnel`);
 * - 1.14: `tunnel` is deprecated (routingMode replaces it): reported unless configured otherwise;
 * - 1.15 and later: `tunnel` set at all, since the chart's validate.yaml refuses to render it
 *   ("tunnel was deprecated in v1.14 and has been removed in v1.15").
 *
 * Why: the lab exists to show native routing: pod packets leave the node unencapsulated and the
 * nodes route them by the per-node pod CIDR routes (autoDirectNodeRoutes). In tunnel mode none of
 * the lab's routing and bpf_redirect_neigh evidence holds.
 *
 * Source: https://docs.cilium.io/en/stable/network/concepts/routing/#native-routing
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { chartHasKey, validateCiliumRelease } from "../lib/cilium";
import { configOf } from "../lib/config";
import { found, need } from "../lib/props";

const RULE = "Cilium must route natively";
const FROM_LAB = "the stack writes it from lab config; remove the override";

export interface NativeRoutingConfig {
  /** Accept the deprecated `tunnel` key next to `routingMode: native` on 1.14 charts. */
  readonly allowDeprecatedTunnelKey: boolean;
}

const DEFAULTS: NativeRoutingConfig = { allowDeprecatedTunnelKey: false };

export const ciliumNativeRoutingRequired: ResourceValidationPolicy = {
  name: "cilium-native-routing-required",
  description:
    "The Cilium Helm release must route natively: tunnel: disabled before 1.14, routingMode: native from 1.14, and no tunnel key where the chart refuses it.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      allowDeprecatedTunnelKey: {
        type: "boolean",
        default: DEFAULTS.allowDeprecatedTunnelKey,
        description: "Accept the deprecated tunnel key next to routingMode: native on 1.14 charts.",
      },
    },
  },
  validateResource: validateCiliumRelease(RULE, (chart, report, args) => {
    const config = configOf("cilium-native-routing-required", DEFAULTS, args);
    const tunnel = need(chart.values, "tunnel");
    const tunnelSet = tunnel !== undefined && tunnel !== null && tunnel !== "";

    if (!chartHasKey(chart.indexedVersion, "routingMode")) {
      if (tunnel !== "disabled") {
        const chartDefault = tunnelSet ? "" : " (the chart default is vxlan)";
        report(
          `${RULE}: found ${found("tunnel", tunnel)}${chartDefault} on chart ${chart.version}; set tunnel: disabled (charts before 1.14 have no routingMode; ${FROM_LAB})`,
        );
      }
      return;
    }

    const tunnelKnown = chartHasKey(chart.indexedVersion, "tunnel");
    if (tunnelSet && !tunnelKnown) {
      report(
        `${RULE}: found ${found("tunnel", tunnel)}, a key the Cilium ${chart.version} chart refuses to render ("tunnel was deprecated in v1.14 and has been removed in v1.15"); remove tunnel and set routingMode: native`,
      );
    }

    const routingMode = need(chart.values, "routingMode");
    if (routingMode !== "native") {
      const unset = routingMode === undefined || routingMode === null || routingMode === "";
      const what = !unset
        ? found("routingMode", routingMode)
        : tunnelSet && tunnelKnown
          ? `${found("routingMode", routingMode)} and the deprecated ${found("tunnel", tunnel)}`
          : `${found("routingMode", routingMode)} (the chart default is tunnel)`;
      const alsoTunnel = tunnelSet ? " and remove tunnel" : "";
      report(`${RULE}: found ${what}; set routingMode: native${alsoTunnel} (${FROM_LAB})`);
    } else if (tunnelSet && tunnelKnown && !config.allowDeprecatedTunnelKey) {
      report(
        `${RULE} with routingMode alone: found the deprecated ${found("tunnel", tunnel)} next to routingMode=native on chart ${chart.version} (tunnel is deprecated since 1.14 and removed in 1.15); remove tunnel`,
      );
    }
  }),
};
