/**
 * kube-proxy-disallowed: nothing in the stack deploys kube-proxy.
 *
 * What it checks, across every resource of the stack: no DaemonSet (any API version) and no
 * ConfigMap named `kube-proxy` or labelled `k8s-app: kube-proxy` (on the object or, for a
 * DaemonSet, on its pod template), in any namespace. Names and labels are configurable.
 *
 * Why: kind is created without kube-proxy and Cilium's eBPF kube-proxy replacement serves every
 * Service. A kube-proxy added later (a manifest, a chart) would install iptables service rules next
 * to Cilium's, and the lab's evidence (no KUBE-* rules, no conntrack entries for the NodePort) fails.
 *
 * Source: https://docs.cilium.io/en/stable/network/kubernetes/kubeproxy-free/
 */
import { StackValidationPolicy } from "@pulumi/policy";
import { configOf } from "../lib/config";
import { describeObject, metadataOf, stackResources } from "../lib/stack";
import { TYPES, isDaemonSetType } from "../lib/types";

const RULE = "The lab runs without kube-proxy (Cilium replaces it in eBPF)";

export interface KubeProxyConfig {
  /** Object names that identify kube-proxy. */
  readonly names: string[];
  /** Labels that identify kube-proxy (any one matching is enough). */
  readonly labels: Record<string, string>;
}

const DEFAULTS: KubeProxyConfig = { names: ["kube-proxy"], labels: { "k8s-app": "kube-proxy" } };

export const kubeProxyDisallowed: StackValidationPolicy = {
  name: "kube-proxy-disallowed",
  description:
    "No kube-proxy DaemonSet or ConfigMap may be declared anywhere in the stack (by name kube-proxy or label k8s-app=kube-proxy, any namespace).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      names: {
        type: "array",
        items: { type: "string" },
        default: DEFAULTS.names,
        description: "Object names that identify kube-proxy.",
      },
      labels: {
        type: "object",
        additionalProperties: { type: "string" },
        default: DEFAULTS.labels,
        description: "Labels that identify kube-proxy (any one matching is enough).",
      },
    },
  },
  validateStack: (args, report) => {
    const config = configOf(DEFAULTS, args);
    for (const resource of stackResources(args)) {
      const kind = isDaemonSetType(resource.type)
        ? "DaemonSet"
        : resource.type === TYPES.configMap
          ? "ConfigMap"
          : undefined;
      if (kind === undefined) continue;
      const metas = [metadataOf(resource.props)];
      if (kind === "DaemonSet") metas.push(metadataOf(resource.props, "spec.template.metadata"));
      const reasons: string[] = [];
      if (metas[0].name !== undefined && config.names.includes(metas[0].name))
        reasons.push(`name ${metas[0].name}`);
      for (const [key, value] of Object.entries(config.labels)) {
        if (metas.some((m) => m.labels[key] === value)) reasons.push(`label ${key}=${value}`);
      }
      if (reasons.length === 0) continue;
      report(
        `${RULE}: found ${describeObject(kind, resource)} (${reasons.join(", ")}) declared in the stack; remove it (kind is created with kubeProxyMode: none and Cilium serves every Service)`,
        resource.urn,
      );
    }
  },
};
