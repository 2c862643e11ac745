/**
 * The Cilium a cluster already runs (existing mode, installCilium false), read from its
 * `cilium-config` ConfigMap, and how it differs from the lab's profile.
 *
 * Keys read (the agent options the chart renders into cilium-config,
 * cilium/cilium install/kubernetes/cilium/templates/cilium-configmap.yaml): `routing-mode`
 * (`native`/`tunnel`, 1.14+; `tunnel: disabled` before), `enable-bpf-masquerade`,
 * `enable-host-legacy-routing` (read in that template at commit 002c6fff), and `ipam`,
 * `kube-proxy-replacement`, `ipv4-native-routing-cidr`, `auto-direct-node-routes` (same template;
 * their exact lines were not re-read here). A key the ConfigMap does not carry is reported as
 * "not set" (the agent's default then applies), never guessed.
 */

/** What the cluster's Cilium is configured with (undefined: not set in cilium-config). */
export interface ClusterCiliumProfile {
  /** Namespace of cilium-config, hence of the agents (`kube-system` for the lab). */
  readonly namespace: string;
  readonly ipamMode?: string;
  readonly routingMode?: string;
  readonly kubeProxyReplacement?: string;
  readonly nativeRoutingCidr?: string;
  readonly bpfMasquerade?: string;
  readonly autoDirectNodeRoutes?: string;
  readonly hostLegacyRouting?: string;
}

/** One way the cluster's Cilium differs from the lab's profile. */
export interface ProfileDifference {
  readonly key: string;
  readonly found: string;
  readonly lab: string;
  /** The checks whose expectation this difference changes. */
  readonly checks: readonly string[];
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/**
 * The profile from `kubectl get configmaps --all-namespaces --field-selector metadata.name=cilium-config
 * -o json`; undefined when no namespace has one (Cilium is not installed, or not by its chart).
 */
export function clusterProfileOf(list: unknown): ClusterCiliumProfile | undefined {
  const items = obj(list)?.items;
  const cm = (Array.isArray(items) ? items : []).map(obj).find((i) => i !== undefined);
  if (cm === undefined) return undefined;
  const data = obj(cm.data) ?? {};
  const tunnel = str(data.tunnel);
  return {
    namespace: str(obj(cm.metadata)?.namespace) ?? "kube-system",
    ipamMode: str(data.ipam),
    routingMode:
      str(data["routing-mode"]) ??
      (tunnel === undefined ? undefined : tunnel === "disabled" ? "native" : "tunnel"),
    kubeProxyReplacement: str(data["kube-proxy-replacement"]),
    nativeRoutingCidr: str(data["ipv4-native-routing-cidr"]),
    bpfMasquerade: str(data["enable-bpf-masquerade"]),
    autoDirectNodeRoutes: str(data["auto-direct-node-routes"]),
    hostLegacyRouting: str(data["enable-host-legacy-routing"]),
  };
}

/** IPAM modes whose CiliumNodes carry per-node pod CIDRs in spec.ipam.podCIDRs. */
export const PODCIDR_IPAM_MODES: readonly string[] = ["cluster-pool", "kubernetes"];

/**
 * The differences from the lab's profile (strict KPR, native routing with autoDirectNodeRoutes, BPF
 * masquerade, BPF host routing, cluster-pool IPAM on `lab.podCidr` excluded by `lab.nativeRoutingCidr`).
 */
export function profileDifferences(
  p: ClusterCiliumProfile,
  lab: { readonly nativeRoutingCidr: string },
): ProfileDifference[] {
  const out: ProfileDifference[] = [];
  const shown = (v: string | undefined) => v ?? "not set";
  const add = (
    key: string,
    found: string | undefined,
    want: string,
    checks: string[],
    ok: (v: string) => boolean,
  ) => {
    if (found === undefined || !ok(found)) out.push({ key, found: shown(found), lab: want, checks });
  };
  add("ipam", p.ipamMode, "cluster-pool", ["pod-addressing", "node-routes"], (v) => v === "cluster-pool");
  add(
    "routing-mode",
    p.routingMode,
    "native",
    ["node-routes", "cilium-agent-status", "redirect-neigh"],
    (v) => v === "native",
  );
  add(
    "kube-proxy-replacement",
    p.kubeProxyReplacement,
    "true (strict on 1.13)",
    ["cilium-agent-status", "no-kube-proxy", "service-table"],
    (v) => /^(true|strict)$/i.test(v),
  );
  add("auto-direct-node-routes", p.autoDirectNodeRoutes, "true", ["node-routes"], (v) => v === "true");
  add(
    "enable-bpf-masquerade",
    p.bpfMasquerade,
    "true",
    ["bpf-masquerade", "cilium-agent-status"],
    (v) => v === "true",
  );
  if (p.hostLegacyRouting === "true") {
    out.push({
      key: "enable-host-legacy-routing",
      found: "true",
      lab: "false (BPF host routing)",
      checks: [
        "cilium-agent-status",
        "redirect-peer-same-node",
        "redirect-peer-cross-node",
        "redirect-neigh",
      ],
    });
  }
  if (p.nativeRoutingCidr !== undefined && p.nativeRoutingCidr !== lab.nativeRoutingCidr) {
    out.push({
      key: "ipv4-native-routing-cidr",
      found: p.nativeRoutingCidr,
      lab: lab.nativeRoutingCidr,
      checks: [],
    });
  }
  return out;
}
