/**
 * The Cilium a cluster already runs (existing mode, installCilium false), read from its
 * `cilium-config` ConfigMap, and how it differs from the lab's profile.
 *
 * Keys read: every key of checks/ciliumConfig.ts CILIUM_CONFIG_KEYS ({@link PROFILE_FIELDS} says
 * which field holds it; a test holds the two together). What the chart writes for them, from
 * cilium/cilium install/kubernetes/cilium/templates/cilium-configmap.yaml of the charts 1.13.0-rc5 to
 * 1.20.0: `auto-direct-node-routes` always (`autoDirectNodeRoutes | quote`);
 * `ipv4-native-routing-cidr` only when set; `enable-bpf-masquerade` only when `bpf.masquerade` is set
 * (absent: the agent's default, false); `enable-host-legacy-routing` when set or forced true by CNI
 * chaining; `enable-ipv4-masquerade` (`enableIPv4Masquerade`, default true; from 1.18 false with
 * ENI); `ipam` (`ipam.mode`, default cluster-pool); `kube-proxy-replacement` always (1.13 default
 * `disabled`, 1.14+ `false`); `routing-mode` from 1.14, `tunnel` (`disabled`/`vxlan`/`geneve`) in 1.13.
 * A key the ConfigMap does not carry is reported as "not set" (the agent's default then applies),
 * never guessed.
 */
import {
  CILIUM_CONFIG_KEYS,
  NOT_SET,
  type CiliumConfigKey,
  type SettingDifference,
} from "../checks/ciliumConfig";
import { ALL_CHECKS } from "../checks/defs";
import type { CheckDefinition } from "../checks/types";

/** What the cluster's Cilium is configured with (undefined: not set in cilium-config). */
export interface ClusterCiliumProfile {
  /** Namespace of cilium-config, hence of the agents (`kube-system` for the lab). */
  readonly namespace: string;
  readonly ipamMode?: string;
  readonly routingMode?: string;
  readonly kubeProxyReplacement?: string;
  readonly nativeRoutingCidr?: string;
  readonly bpfMasquerade?: string;
  readonly ipv4Masquerade?: string;
  readonly autoDirectNodeRoutes?: string;
  readonly hostLegacyRouting?: string;
}

/** The profile field that holds each cilium-config key. */
export const PROFILE_FIELDS: Readonly<
  Record<CiliumConfigKey, Exclude<keyof ClusterCiliumProfile, "namespace">>
> = {
  ipam: "ipamMode",
  "routing-mode": "routingMode",
  "kube-proxy-replacement": "kubeProxyReplacement",
  "auto-direct-node-routes": "autoDirectNodeRoutes",
  "enable-bpf-masquerade": "bpfMasquerade",
  "enable-ipv4-masquerade": "ipv4Masquerade",
  "enable-host-legacy-routing": "hostLegacyRouting",
  "ipv4-native-routing-cidr": "nativeRoutingCidr",
};

/** One way the cluster's Cilium differs from the lab's profile. */
export interface ProfileDifference extends SettingDifference {
  /** The checks whose expectation rests on this key (their CheckDefinition.restsOn). */
  readonly checks: readonly string[];
}

/** The names of the checks that declare `key` in restsOn, in check order. */
export function checksRestingOn(
  key: CiliumConfigKey,
  checks: readonly CheckDefinition[] = ALL_CHECKS,
): string[] {
  return checks.filter((c) => c.restsOn.includes(key)).map((c) => c.name);
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
    ipv4Masquerade: str(data["enable-ipv4-masquerade"]),
    autoDirectNodeRoutes: str(data["auto-direct-node-routes"]),
    hostLegacyRouting: str(data["enable-host-legacy-routing"]),
  };
}

/** IPAM modes whose CiliumNodes carry per-node pod CIDRs in spec.ipam.podCIDRs. */
export const PODCIDR_IPAM_MODES: readonly string[] = ["cluster-pool", "kubernetes"];

/**
 * The differences from the lab's profile (strict KPR, native routing with autoDirectNodeRoutes, BPF
 * masquerade, IPv4 masquerading on, BPF host routing, cluster-pool IPAM, the lab's native CIDR), each
 * with the checks that rest on its key.
 */
export function profileDifferences(
  p: ClusterCiliumProfile,
  lab: { readonly nativeRoutingCidr: string },
): ProfileDifference[] {
  /** The lab's value in words, and whether a value found (never undefined: absent is NOT_SET) is it. */
  const labProfile: Record<CiliumConfigKey, { lab: string; ok: (v: string) => boolean }> = {
    ipam: { lab: "cluster-pool", ok: (v) => v === "cluster-pool" },
    "routing-mode": { lab: "native", ok: (v) => v === "native" },
    "kube-proxy-replacement": { lab: "true (strict on 1.13)", ok: (v) => /^(true|strict)$/i.test(v) },
    "auto-direct-node-routes": { lab: "true", ok: (v) => v === "true" },
    "enable-bpf-masquerade": { lab: "true", ok: (v) => v === "true" },
    // Not set: the chart's default (true) is what the lab has as well.
    "enable-ipv4-masquerade": { lab: "true", ok: (v) => v !== "false" },
    // Not set: the agent picks BPF host routing when the kernel and the other settings allow it.
    "enable-host-legacy-routing": { lab: "false (BPF host routing)", ok: (v) => v !== "true" },
    // Not set: no exclusion CIDR configured; the checks then use the lab's.
    "ipv4-native-routing-cidr": {
      lab: lab.nativeRoutingCidr,
      ok: (v) => v === NOT_SET || v === lab.nativeRoutingCidr,
    },
  };
  const out: ProfileDifference[] = [];
  for (const key of CILIUM_CONFIG_KEYS) {
    const found = p[PROFILE_FIELDS[key]] ?? NOT_SET;
    const { lab: want, ok } = labProfile[key];
    if (!ok(found)) out.push({ key, found, lab: want, checks: checksRestingOn(key) });
  }
  return out;
}
