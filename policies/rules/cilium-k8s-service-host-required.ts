/**
 * cilium-k8s-service-host-required: the Cilium agents are told the API server's real address.
 *
 * What it checks:
 * - `k8sServiceHost` is set (a host name or IP, not a URL), or, from 1.18, `k8sServiceHostRef`
 *   with `name` and `key` (not both: the chart fails when both are set);
 * - `k8sServiceHost: auto` (a Helm lookup of kube-public/cluster-info) only on 1.16+ charts, where
 *   it exists; earlier charts pass the literal string `auto` to the agent. Configurable, because
 *   the lookup needs cluster access at render time (a real `helm install`, not a template render);
 * - `k8sServicePort` set to a port number (unless `auto`, which looks the port up too).
 *
 * Why: without kube-proxy nothing serves the `kubernetes` ClusterIP until Cilium itself runs, so
 * the agent and operator would wait forever for the API server behind 10.96.0.1.
 *
 * Source: https://docs.cilium.io/en/stable/network/kubernetes/kubeproxy-free/
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { chartHasKey, isSetString, validateCiliumRelease } from "../lib/cilium";
import { configOf } from "../lib/config";
import { field, found, isRecord, need } from "../lib/props";

const RULE = "Without kube-proxy, Cilium must be given the API server address";
const FROM_LAB = "the stack writes it from the kind control-plane address; remove the override";

export interface K8sServiceHostConfig {
  /** Accept `k8sServiceHost: auto` on charts that support it (1.16+). */
  readonly allowAuto: boolean;
}

const DEFAULTS: K8sServiceHostConfig = { allowAuto: true };

export const ciliumK8sServiceHostRequired: ResourceValidationPolicy = {
  name: "cilium-k8s-service-host-required",
  description:
    "The Cilium Helm release must set k8sServiceHost and k8sServicePort (auto only from 1.16, k8sServiceHostRef accepted from 1.18): without kube-proxy nothing serves the kubernetes ClusterIP before Cilium runs.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      allowAuto: {
        type: "boolean",
        default: DEFAULTS.allowAuto,
        description: "Accept k8sServiceHost: auto on 1.16+ charts (needs cluster access when Helm renders).",
      },
    },
  },
  validateResource: validateCiliumRelease(RULE, (chart, report, args) => {
    const config = configOf("cilium-k8s-service-host-required", DEFAULTS, args);
    const host = need(chart.values, "k8sServiceHost");
    const ref = need(chart.values, "k8sServiceHostRef");
    const refKnown = chartHasKey(chart.indexedVersion, "k8sServiceHostRef");
    const refSet = isRecord(ref) && isSetString(field(ref, "name")) && isSetString(field(ref, "key"));
    const hostSet = isSetString(host);

    if (hostSet && refSet && refKnown) {
      report(
        `${RULE} once: found both ${found("k8sServiceHost", host)} and k8sServiceHostRef=${JSON.stringify(ref)}, which the chart refuses together; keep one of them`,
      );
    }
    if (!hostSet && !(refSet && refKnown)) {
      const why = refSet
        ? ` and k8sServiceHostRef, which charts before 1.18 do not know (chart ${chart.version})`
        : "";
      report(
        `${RULE} (nothing serves the kubernetes ClusterIP before Cilium runs): found ${found("k8sServiceHost", host)}${why}; set k8sServiceHost to the control-plane address and k8sServicePort: 6443 (${FROM_LAB})`,
      );
    }

    const auto = hostSet && host.trim() === "auto";
    if (auto && chart.minor < 16) {
      report(
        `${RULE}: found k8sServiceHost=auto on chart ${chart.version}, which passes the literal string to the agent (auto arrives in 1.16); set k8sServiceHost to the control-plane address (${FROM_LAB})`,
      );
    } else if (auto && !config.allowAuto) {
      report(
        `${RULE} explicitly (this pack's config refuses auto, a Helm lookup that needs cluster access at render time): found k8sServiceHost=auto; set k8sServiceHost to the control-plane address (${FROM_LAB})`,
      );
    } else if (hostSet && !auto && /[/\s]|:\/\//.test(host.trim())) {
      report(
        `${RULE} as a host name or IP: found ${found("k8sServiceHost", host)}; drop the scheme, path and port (the port goes in k8sServicePort)`,
      );
    }

    if (auto && chart.minor >= 16) return; // the lookup gives the port as well
    const port = need(chart.values, "k8sServicePort");
    if (!isPort(port)) {
      report(
        `${RULE} and port: found ${found("k8sServicePort", port === "" ? undefined : port)}; set k8sServicePort: 6443 (${FROM_LAB})`,
      );
    }
  }),
};

/** A TCP port as a number or a numeric string (the 1.16+ schema takes either). */
function isPort(value: unknown): boolean {
  const n =
    typeof value === "number"
      ? value
      : typeof value === "string" && /^\d+$/.test(value)
        ? Number(value)
        : NaN;
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}
