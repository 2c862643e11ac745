/**
 * kind-kube-proxy-disabled: the kind cluster starts without kube-proxy.
 *
 * What it checks on `lab:index:KindCluster`: the component's `kubeProxyMode` is `none`, and the kind
 * config it hands to kind (`kindConfig`, parsed as YAML) has `networking.kubeProxyMode: none`, since
 * that document is what kind actually reads.
 *
 * Why: Cilium's eBPF kube-proxy replacement must be the only service implementation; with kube-proxy
 * present its iptables rules would still answer ClusterIP and NodePort traffic, and the lab's
 * "no KUBE-* rules, no conntrack entries" evidence would fail.
 *
 * Source: https://docs.cilium.io/en/stable/network/kubernetes/kubeproxy-free/
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "../lib/config";
import { readKindConfig } from "../lib/kind";
import { found, need, peek } from "../lib/props";
import { TYPES, validateResourceOfToken } from "../lib/types";

const RULE = "kind must start without kube-proxy (Cilium replaces it in eBPF)";

export interface KindKubeProxyConfig {
  /** Also parse the kind config YAML and check networking.kubeProxyMode there. */
  readonly checkKindConfig: boolean;
}

const DEFAULTS: KindKubeProxyConfig = { checkKindConfig: true };

export const kindKubeProxyDisabled: ResourceValidationPolicy = {
  name: "kind-kube-proxy-disabled",
  description:
    "The kind cluster must not install kube-proxy: kubeProxyMode none in the component's args and in the kind config YAML it passes to kind.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      checkKindConfig: {
        type: "boolean",
        default: DEFAULTS.checkKindConfig,
        description: "Also check networking.kubeProxyMode in the kind config YAML.",
      },
    },
  },
  validateResource: validateResourceOfToken(TYPES.kindCluster, (props, args, report) => {
    const config = configOf(DEFAULTS, args);
    const arg = need(props, "kubeProxyMode");
    if (arg !== "none") {
      report(
        `${RULE}: found ${found("kubeProxyMode", arg)} on the KindCluster; set kubeProxyMode: none (its default)`,
      );
    }
    if (!config.checkKindConfig) return;
    const reading = readKindConfig(need(props, "kindConfig"));
    if (!reading.ok) {
      report(
        `${RULE}: found ${reading.problem}; pass the kind config YAML with networking.kubeProxyMode: none`,
      );
      return;
    }
    const inYaml = peek(reading.config, "networking.kubeProxyMode");
    if (inYaml !== "none") {
      const why =
        inYaml === undefined || inYaml === null ? " (kind then installs kube-proxy in iptables mode)" : "";
      report(
        `${RULE}: found ${found("networking.kubeProxyMode", inYaml)}${why} in the kind config kind reads; set networking.kubeProxyMode: none there (kindConfig() writes it from kubeProxyMode)`,
      );
    }
  }),
};
