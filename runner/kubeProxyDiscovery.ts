/**
 * Finding kube-proxy in other shapes than kubeadm's DaemonSet (`k8s-app=kube-proxy`, which
 * runner/discovery.ts queries): static pods and k3s's in-process proxy. kube-proxy in nftables mode
 * leaves no pod-level trace of its mode; the node side of `no-kube-proxy` reads its nftables table
 * (checks/defs/kubeProxyNode.ts). Pure functions of `kubectl get -o json` documents.
 */

import { k3sServers, kubeProxyDisabled } from "../lib/k3sNodeArgs";

type Json = Record<string, unknown>;

function obj(v: unknown): Json | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

function path(v: unknown, ...keys: string[]): unknown {
  let cur: unknown = v;
  for (const k of keys) cur = obj(cur)?.[k];
  return cur;
}

/**
 * Static kube-proxy pods: kube-up/GCE (and GKE) run kube-proxy as a static pod labelled
 * `component: kube-proxy`, `tier: node` (kubernetes/kubernetes cluster/gce/manifests/kube-proxy.manifest
 * @0e998fa); the API server shows their mirror pods in kube-system.
 */
export function kubeProxyStaticPodQuery(systemNamespace: string): string[] {
  // The output flags are discovery's (runner/discovery.ts): only the fields it reads.
  return ["get", "pods", "-n", systemNamespace, "-l", "component=kube-proxy"];
}

/** Names of kube-proxy pods from both queries, once each, sorted. */
export function kubeProxyPodNames(pods: readonly unknown[]): string[] {
  const names = pods.map((p) => str(path(p, "metadata", "name"))).filter((n): n is string => n !== undefined);
  return [...new Set(names)].sort();
}

/**
 * kube-proxy without a pod: k3s runs it inside the k3s process unless the servers were started with
 * `--disable-kube-proxy` (k3s-io/k3s pkg/daemons/agent/agent.go @028bbc7: `if
 * !config.KubeProxyDisabled(...) { startKubeProxy(...) }`). How the node-args annotation is read, and
 * the k3s sources behind it: lib/k3sNodeArgs.ts. rke2 shares that code (`rke2.io/node-args`) but runs
 * kube-proxy as a static pod, which the static-pod query covers if it carries `component=kube-proxy`
 * (unverified), so only k3s is read here. The node-side rule check (iptables / nftables) stays the
 * ground truth; this names the cause.
 */
export function inProcessKubeProxySignals(nodes: readonly unknown[]): string[] {
  const servers = k3sServers(nodes);
  if (servers.length === 0 || servers.some(kubeProxyDisabled)) return [];
  return servers.map(
    (s) =>
      `k3s server node ${s.name} runs k3s's built-in kube-proxy inside the k3s process (its k3s.io/node-args annotation has no --disable-kube-proxy), with no pod to see`,
  );
}
