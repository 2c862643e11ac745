/**
 * kube-proxy-disallowed: nothing in the stack deploys kube-proxy.
 *
 * What it checks, on each resource's inputs: no DaemonSet (any API version) and no ConfigMap named
 * `kube-proxy` or labelled `k8s-app: kube-proxy` (on the object or, for a DaemonSet, on its pod
 * template), in any namespace. Names and labels are configurable.
 *
 * When it can fire: the engine shows a resource's inputs to `validateResource` before it plans the
 * step, at preview and at up (pulumi/pulumi pkg/resource/deploy/step_generator.go `analyzeAll`,
 * lines 3450-3465, `Properties: inputs`), so at the preview of a new stack, of an existing one, and
 * at up before the object is created (a mandatory violation then stops it: analyze_snapshot.go
 * lines 77-82). Objects a helm.v4.Chart renders are ordinary resources and judged the same way; a
 * helm.v3.Release's manifests are not resources and are not seen. A name or label unknown at
 * preview is not judged then (the engine reports "can't run policy ... during preview").
 *
 * Why: kind is created without kube-proxy and Cilium's eBPF kube-proxy replacement serves every
 * Service. A kube-proxy added later (a manifest, a chart) would install iptables service rules next
 * to Cilium's, and the lab's evidence (no KUBE-* rules, no conntrack entries for the NodePort) fails.
 *
 * Source: https://docs.cilium.io/en/stable/network/kubernetes/kubeproxy-free/
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { configOf, namesProperty } from "../lib/config";
import { describeObject, metadataOf } from "../lib/stack";
import { isConfigMapType, isDaemonSetType } from "../lib/types";
import { need, snapshot } from "../lib/props";

const RULE = "The lab runs without kube-proxy (Cilium replaces it in eBPF)";

export interface KubeProxyConfig {
  /** Object names that identify kube-proxy. */
  readonly names: string[];
  /** Labels that identify kube-proxy (any one matching is enough). */
  readonly labels: Record<string, string>;
}

const DEFAULTS: KubeProxyConfig = { names: ["kube-proxy"], labels: { "k8s-app": "kube-proxy" } };

export const kubeProxyDisallowed: ResourceValidationPolicy = {
  name: "kube-proxy-disallowed",
  description:
    "No kube-proxy DaemonSet or ConfigMap may be declared (by name kube-proxy or label k8s-app=kube-proxy, any namespace).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      names: namesProperty(DEFAULTS.names, "Object names that identify kube-proxy."),
      labels: {
        type: "object",
        additionalProperties: { type: "string" },
        default: DEFAULTS.labels,
        description: "Labels that identify kube-proxy (any one matching is enough).",
      },
    },
  },
  validateResource: (args, report) => {
    const kind = isDaemonSetType(args.type)
      ? "DaemonSet"
      : isConfigMapType(args.type)
        ? "ConfigMap"
        : undefined;
    if (kind === undefined) {
      args.notApplicable("Policy only applies to DaemonSets and ConfigMaps");
      return;
    }
    const config = configOf("kube-proxy-disallowed", DEFAULTS, args);
    const props = snapshot(args.props);
    // A name or label unknown at preview cannot be judged: let the engine say so.
    need(props, "metadata.name");
    need(props, "metadata.labels");
    const metas = [metadataOf(props)];
    if (kind === "DaemonSet") {
      need(props, "spec.template.metadata.labels");
      metas.push(metadataOf(props, "spec.template.metadata"));
    }
    const reasons: string[] = [];
    if (metas[0].name !== undefined && config.names.includes(metas[0].name))
      reasons.push(`name ${metas[0].name}`);
    for (const [key, value] of Object.entries(config.labels)) {
      if (metas.some((m) => m.labels[key] === value)) reasons.push(`label ${key}=${value}`);
    }
    if (reasons.length === 0) return;
    report(
      `${RULE}: found ${describeObject(kind, { type: args.type, name: args.name, urn: args.urn, props })} (${reasons.join(", ")}); remove it (kind is created with kubeProxyMode: none and Cilium serves every Service)`,
    );
  },
};
