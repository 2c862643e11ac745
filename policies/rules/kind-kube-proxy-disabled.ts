/**
 * kind-kube-proxy-disabled: the kind cluster starts without kube-proxy.
 *
 * What it checks, on resource inputs (so at every preview and before anything is created at `up`):
 * - `lab:index:KindCluster`: the component's `kubeProxyMode` is `none`, and the kind config it hands
 *   to kind (`kindConfig`, parsed as YAML) has `networking.kubeProxyMode: none`;
 * - any `command:local:Command` whose `create` runs `kind create cluster`: the config kind reads has
 *   `networking.kubeProxyMode: none` (see ../lib/kindCommand.ts for what is understood).
 *
 * Why: Cilium's eBPF kube-proxy replacement must be the only service implementation; with kube-proxy
 * present its iptables rules would still answer ClusterIP and NodePort traffic, and the lab's
 * "no KUBE-* rules, no conntrack entries" evidence would fail.
 *
 * Source: https://docs.cilium.io/en/stable/network/kubernetes/kubeproxy-free/
 */
import { kindSettingPolicy } from "../lib/kind";

export const kindKubeProxyDisabled = kindSettingPolicy({
  name: "kind-kube-proxy-disabled",
  description:
    "kind must start without kube-proxy: kubeProxyMode none in the KindCluster's args and kind config, or in the config any Command gives kind create cluster.",
  rule: "kind must start without kube-proxy (Cilium replaces it in eBPF)",
  arg: "kubeProxyMode",
  expected: "none",
  whenUnset: "kind then installs kube-proxy in iptables mode",
});
