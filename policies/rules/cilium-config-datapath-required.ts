/**
 * cilium-config-datapath-required: the `cilium-config` ConfigMap a chart renders configures the
 * lab's datapath, for Cilium installed by a Helm type whose values the engine does not show.
 *
 * What it checks, on a ConfigMap named `cilium-config` (configurable), in its `data` (the agent's
 * settings, written by the chart's templates/cilium-configmap.yaml):
 * - native routing: `routing-mode: native` (charts from 1.14, 1.18.12 line 532) or, where the
 *   ConfigMap has no `routing-mode` (1.13), `tunnel: disabled` (1.13.0-rc5 lines 394-400);
 * - `kube-proxy-replacement`: `true` or `strict` (1.13.0-rc5 line 589, 1.18.12 line 773);
 * - `enable-bpf-masquerade: "true"` (1.13.0-rc5 lines 491-493, 1.18.12 lines 659-661);
 * - `auto-direct-node-routes: "true"` (1.13.0-rc5 line 544, 1.18.12 line 722);
 * - no `enable-host-legacy-routing: "true"` (1.13.0-rc5 lines 307-311, 1.18.12 lines 404-410).
 * (Lines of cilium/charts commit 009b5e9, cilium-<version>.tgz.)
 *
 * When it can fire: a `helm.v4.Chart` reaches the engine with empty inputs (the Kubernetes provider
 * registers it inside Construct), so the cilium-* release policies cannot judge it; its rendered
 * objects are ordinary resources the engine analyzes, this ConfigMap among them, at preview and up
 * (recorded: test/fixtures/engine). A `helm.v3.Release`'s objects are not resources and are never
 * seen here; the release's values are judged instead.
 *
 * Why: the same rules as cilium-native-routing-required, cilium-kube-proxy-replacement-required,
 * cilium-bpf-masquerade-required, cilium-direct-node-routes-required and
 * cilium-host-legacy-routing-disallowed, read where the agent reads them.
 *
 * Source: https://docs.cilium.io/en/stable/network/concepts/routing/#native-routing
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { configOf, namesProperty } from "../lib/config";
import { found, need } from "../lib/props";
import { TYPES, validateResourceOfToken } from "../lib/types";

const RULE = "The cilium-config the chart renders must configure native routing in eBPF";

export interface CiliumConfigMapConfig {
  /** Names of the ConfigMap the agent reads. */
  readonly names: string[];
}

const DEFAULTS: CiliumConfigMapConfig = { names: ["cilium-config"] };

/** What one agent setting must be, and the value a fix gives it. */
const SETTINGS: readonly { key: string; ok: (v: unknown) => boolean; want: string }[] = [
  {
    key: "kube-proxy-replacement",
    ok: (v) => v === "true" || v === "strict",
    want: "true (strict before 1.14)",
  },
  { key: "enable-bpf-masquerade", ok: (v) => v === "true", want: "true" },
  { key: "auto-direct-node-routes", ok: (v) => v === "true", want: "true" },
  { key: "enable-host-legacy-routing", ok: (v) => v === undefined || v === "false", want: "false or unset" },
];

export const ciliumConfigDatapathRequired: ResourceValidationPolicy = {
  name: "cilium-config-datapath-required",
  description:
    "A rendered cilium-config ConfigMap must configure native routing, kube-proxy replacement, BPF masquerade, direct node routes and BPF host routing.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      names: namesProperty(DEFAULTS.names, "Names of the ConfigMap the Cilium agent reads."),
    },
  },
  validateResource: validateResourceOfToken(TYPES.configMap, (props, args, report) => {
    const config = configOf("cilium-config-datapath-required", DEFAULTS, args);
    const name = need(props, "metadata.name");
    if (typeof name !== "string" || !config.names.includes(name)) {
      args.notApplicable(`Policy only applies to ConfigMaps named ${config.names.join(", ")}`);
    }
    const data = (need(props, "data") ?? {}) as Record<string, unknown>;
    const problems: string[] = [];
    const routingMode = data["routing-mode"];
    if (routingMode !== undefined) {
      if (routingMode !== "native") problems.push(`${found("routing-mode", routingMode)} (want native)`);
    } else if (data.tunnel !== "disabled") {
      problems.push(
        `${found("tunnel", data.tunnel)} and no routing-mode (want tunnel: disabled before 1.14)`,
      );
    }
    for (const s of SETTINGS) {
      if (!s.ok(data[s.key])) problems.push(`${found(s.key, data[s.key])} (want ${s.want})`);
    }
    if (problems.length > 0) {
      report(
        `${RULE}: found ${problems.join(", ")} in ConfigMap ${name}; fix the chart values that render it (routingMode, kubeProxyReplacement, bpf.masquerade, autoDirectNodeRoutes, bpf.hostLegacyRouting)`,
      );
    }
  }),
};
