/**
 * The `cilium-config` settings a check's expectation can rest on, and how the cluster's own value of
 * one reaches a check.
 *
 * The lab's checks expect the lab's Cilium (strict kube-proxy replacement, native routing with
 * autoDirectNodeRoutes, BPF masquerading, BPF host routing, cluster-pool IPAM). On a cluster that runs
 * its own Cilium (existing mode, installCilium false) the program reads its cilium-config
 * (existing/ciliumProfile.ts) and hands every key whose value is not the lab's to the runner; each
 * check declares in {@link CheckDefinition.restsOn} which of these keys its expectation rests on, and
 * judges against the cluster's value where it can (checks/defs/common.ts `settingOf`, `differsFrom`).
 *
 * Key names are the agent options the chart renders into cilium-config (cilium/cilium
 * install/kubernetes/cilium/templates/cilium-configmap.yaml; the lines are cited in
 * existing/ciliumProfile.ts, which reads each of them).
 */

/** Every cilium-config key a check may declare; existing/ciliumProfile.ts reads each one. */
export const CILIUM_CONFIG_KEYS = [
  "ipam",
  "routing-mode",
  "kube-proxy-replacement",
  "auto-direct-node-routes",
  "enable-bpf-masquerade",
  "enable-ipv4-masquerade",
  "enable-host-legacy-routing",
  "ipv4-native-routing-cidr",
] as const;

export type CiliumConfigKey = (typeof CILIUM_CONFIG_KEYS)[number];

export function isCiliumConfigKey(v: unknown): v is CiliumConfigKey {
  return typeof v === "string" && (CILIUM_CONFIG_KEYS as readonly string[]).includes(v);
}

/** One key where the cluster's cilium-config is not the lab's: what it says, what the lab has. */
export interface SettingDifference {
  readonly key: CiliumConfigKey;
  /** The cluster's value, or `not set` (the agent's default then applies). */
  readonly found: string;
  /** The lab's value, in words. */
  readonly lab: string;
}

/** The value cilium-config shows for a key that is absent (the agent's default applies). */
export const NOT_SET = "not set";
