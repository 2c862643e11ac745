/**
 * cilium-kube-proxy-replacement-required: Cilium replaces kube-proxy entirely in eBPF.
 *
 * What it checks, by the release's chart version:
 * - 1.13: `kubeProxyReplacement: strict` (the chart default is `disabled`; `true` does not exist yet);
 * - 1.14 and 1.15: `kubeProxyReplacement: true` (or `"true"`); `strict` still renders but is
 *   deprecated and does not enable everything `true` does, so it is reported (configurable);
 * - 1.16 and later: `true`; the chart accepts only true/false and fails on anything else.
 *
 * Why: the lab runs without kube-proxy (kind's kubeProxyMode: none). Without full replacement,
 * ClusterIP, NodePort and the socket-level load balancing the lab shows are not served at all, and
 * BPF host routing falls back to legacy.
 *
 * Source: https://docs.cilium.io/en/stable/network/kubernetes/kubeproxy-free/
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { validateCiliumRelease } from "../lib/cilium";
import { configOf } from "../lib/config";
import { found, need } from "../lib/props";

const RULE = "Cilium must replace kube-proxy";
const FROM_LAB = "the stack writes it from lab config; remove the override";

export interface KubeProxyReplacementConfig {
  /** Accept the deprecated `strict` on 1.14 and 1.15 charts. */
  readonly acceptDeprecatedStrict: boolean;
}

const DEFAULTS: KubeProxyReplacementConfig = { acceptDeprecatedStrict: false };

export const ciliumKubeProxyReplacementRequired: ResourceValidationPolicy = {
  name: "cilium-kube-proxy-replacement-required",
  description:
    "The Cilium Helm release must replace kube-proxy: kubeProxyReplacement strict on 1.13, true from 1.14 (strict is deprecated on 1.14-1.15 and refused from 1.16).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      acceptDeprecatedStrict: {
        type: "boolean",
        default: DEFAULTS.acceptDeprecatedStrict,
        description: "Accept the deprecated kubeProxyReplacement: strict on 1.14 and 1.15 charts.",
      },
    },
  },
  validateResource: validateCiliumRelease(RULE, (chart, report, args) => {
    const config = configOf("cilium-kube-proxy-replacement-required", DEFAULTS, args);
    const raw = need(chart.values, "kubeProxyReplacement");
    // The 1.14+ templates pass the value through toString, so true and "true" are the same.
    const value = raw === undefined || raw === null ? undefined : String(raw);
    const what = found("kubeProxyReplacement", raw);

    if (chart.minor < 14) {
      if (value === "strict") return;
      const why =
        value === undefined
          ? " (the chart default is disabled)"
          : value === "true"
            ? ` (charts before 1.14 know only disabled/partial/strict/probe)`
            : "";
      report(
        `${RULE}: found ${what}${why} on chart ${chart.version}; set kubeProxyReplacement: strict (${FROM_LAB})`,
      );
      return;
    }

    if (value === "true") return;
    if (value === "strict") {
      if (chart.minor <= 15) {
        if (!config.acceptDeprecatedStrict) {
          report(
            `${RULE} with kubeProxyReplacement=true: found ${what} on chart ${chart.version}, which is deprecated since 1.14 and does not enable everything true does; set kubeProxyReplacement: true (${FROM_LAB})`,
          );
        }
      } else {
        report(
          `${RULE}: found ${what} on chart ${chart.version}, which accepts only true or false from 1.16 (the template fails); set kubeProxyReplacement: true (${FROM_LAB})`,
        );
      }
      return;
    }
    const why = value === undefined ? " (the chart default is false)" : "";
    report(
      `${RULE}: found ${what}${why} on chart ${chart.version}; set kubeProxyReplacement: true (${FROM_LAB})`,
    );
  }),
};
