/**
 * What `cilium status` shows, shared by the text and the JSON parser: the {@link CiliumStatus} result
 * type, the mutable facts both forms fill in, and the version pattern both read.
 */

/**
 * The datapath facts of `cilium status` (text) or `cilium status -o json` (model StatusResponse,
 * api/v1/models/status_response.go in cilium/cilium). Values are kept as printed: compare modes
 * case-insensitively ("Strict"/"True", "IPTables" in text vs "iptables" in JSON).
 *
 * Cluster health is not part of StatusResponse: the text form gets it from a second call to the
 * cilium-health API (cilium-dbg/cmd/status.go), so `-o json` never carries it and both health
 * fields stay undefined for JSON without that being an issue.
 */
export interface CiliumStatus {
  readonly raw: string;
  /** "json" when the output is a JSON object, "text" when status lines were found. */
  readonly format: "json" | "text" | undefined;
  /** "1.13.0-rc5" from "Cilium: Ok 1.13.0-rc5 (v1.13.0-rc5-dc22a46f)" or cilium.msg. */
  readonly ciliumVersion: string | undefined;
  /** Kube-proxy replacement mode as printed: "Strict", "True", "False", "Disabled", "Partial"... */
  readonly kubeProxyReplacement: string | undefined;
  /** Devices the kube-proxy replacement runs on ("eth0"); empty when none are shown. */
  readonly kprDevices: readonly string[];
  /**
   * The agent's direct-routing device: the device printed with "(Direct Routing)" in the text
   * (cilium/cilium pkg/client/client.go appends " (Direct Routing)" to that device's entry) or
   * `kube-proxy-replacement.directRoutingDevice` in the JSON (api/v1/models/kube_proxy_replacement.go,
   * `json:"directRoutingDevice,omitempty"`); undefined when not shown.
   */
  readonly directRoutingDevice?: string;
  /** BPF host routing: "BPF" or "Legacy" (from "Host Routing:" up to 1.15, "Routing: ... Host:" from 1.16). */
  readonly hostRouting: string | undefined;
  /** Masquerading mode as printed: "BPF", "IPTables" (text), "iptables" (JSON), "Disabled". */
  readonly masquerading: string | undefined;
  /** The IPv4 SNAT exclusion CIDR (the native-routing CIDR), e.g. "10.0.0.0/8". */
  readonly masqueradeCidr: string | undefined;
  /** Inter-host routing from 1.16: "Native" or "Tunnel [vxlan]"; undefined when not shown (<= 1.15). */
  readonly routingNetwork: string | undefined;
  /** N of "Cluster health: N/M reachable" (text only). */
  readonly clusterHealthReachable: number | undefined;
  /** M of "Cluster health: N/M reachable" (text only). */
  readonly clusterHealthTotal: number | undefined;
  /** N of "Controller Status: N/M healthy", or controllers without consecutive failures in JSON. */
  readonly controllersHealthy: number | undefined;
  /** M of "Controller Status: N/M healthy", or the number of controllers in JSON. */
  readonly controllersTotal: number | undefined;
  /** Expected parts that the output does not show, in words; empty when nothing is missing. */
  readonly issues: readonly string[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
/** The facts of a status that a parser fills in (everything but raw, format and issues). */
export type Facts = Omit<Mutable<CiliumStatus>, "raw" | "format" | "issues" | "kprDevices"> & {
  kprDevices: string[];
};

/** Facts with nothing found yet. */
export function emptyFacts(): Facts {
  return {
    ciliumVersion: undefined,
    kubeProxyReplacement: undefined,
    kprDevices: [],
    hostRouting: undefined,
    masquerading: undefined,
    masqueradeCidr: undefined,
    routingNetwork: undefined,
    clusterHealthReachable: undefined,
    clusterHealthTotal: undefined,
    controllersHealthy: undefined,
    controllersTotal: undefined,
  };
}

/** "1.13.0-rc5" at the start of "1.13.0-rc5 (v1.13.0-rc5-dc22a46f)". */
export const VERSION = /^(?<version>\d+\.\d+(?:\.\d+)?(?:[-+][0-9A-Za-z.-]+)?)(?:\s|$)/;
