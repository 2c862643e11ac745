/**
 * Findings of the existing-cluster preflight (existing/refusals.ts) that need more than a name match:
 * which cloud the nodes run on (and whether its managed service runs them), and what the
 * `component=kube-proxy` pods are. Pure functions of `kubectl get -o json` items.
 */

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
const meta = (o: Json): Json => obj(o.metadata) ?? {};
const nameOf = (o: Json): string => String(meta(o).name ?? "");
const nsOf = (o: Json): string => String(meta(o).namespace ?? "");
const labelsOf = (o: Json): Record<string, unknown> => obj(meta(o).labels) ?? {};

/**
 * Each cloud's providerID scheme and the node label its managed service sets, as real nodes show them:
 * `eks.amazonaws.com/nodegroup` (test/fixtures/cluster/eks), `cloud.google.com/gke-nodepool`
 * (cluster/gke/node-managedkube.json), `kubernetes.azure.com/cluster` (cluster/aks/nodes.json). A
 * cloud providerID without that label is a cluster on the cloud's VMs that the service does not manage
 * (kubeadm or kops with the cloud provider): still refused, named for what it is.
 */
const CLOUDS: Readonly<Record<string, { service: string; label: string; vms: string }>> = {
  aws: { service: "EKS", label: "eks.amazonaws.com/nodegroup", vms: "AWS EC2" },
  gce: { service: "GKE", label: "cloud.google.com/gke-nodepool", vms: "Google Compute Engine" },
  azure: { service: "AKS", label: "kubernetes.azure.com/cluster", vms: "Azure" },
};

export interface CloudNode {
  readonly cloud: string;
  readonly node: string;
  readonly providerID: string;
  /** The managed service's label and its value, when the node has it. */
  readonly managed?: string;
  readonly count: number;
}

/** The first node with an aws://, gce:// or azure:// providerID, and how many nodes have one. */
export function cloudOf(nodes: readonly Json[]): CloudNode | undefined {
  let first: CloudNode | undefined;
  let count = 0;
  for (const n of nodes) {
    const id = obj(n.spec)?.providerID;
    const m = typeof id === "string" ? /^(aws|gce|azure):\/\//.exec(id) : null;
    if (m === null || typeof id !== "string") continue;
    count++;
    if (first !== undefined) continue;
    const label = CLOUDS[m[1]].label;
    const value = labelsOf(n)[label];
    first = {
      cloud: m[1],
      node: nameOf(n),
      providerID: id,
      managed: typeof value === "string" ? `${label}=${value}` : undefined,
      count: 0,
    };
  }
  return first === undefined ? undefined : { ...first, count };
}

/**
 * The refusal for nodes on a cloud. "needs nodes on one L2 network": Cilium's routing guide, native
 * routing: "If all nodes share a single L2 network, then this can be taken care of by enabling the
 * option auto-direct-node-routes: true. Otherwise, an additional system component such as a BGP
 * daemon must be run to distribute the routes" (https://docs.cilium.io/en/stable/network/concepts/routing/).
 */
export function cloudRefusal(c: CloudNode): { what: string; found: string; fix: string } {
  const info = CLOUDS[c.cloud];
  const more = c.count > 1 ? ` (and ${c.count - 1} more node${c.count > 2 ? "s" : ""} on ${info.vms})` : "";
  return {
    what: c.managed !== undefined ? `a managed ${info.service} cluster` : `nodes on ${info.vms}`,
    found: `node ${c.node}: spec.providerID ${c.providerID}${c.managed !== undefined ? `, label ${c.managed}` : ""}${more}`,
    fix:
      "the lab's values (cluster-pool IPAM on podCidr, native routing with autoDirectNodeRoutes, which needs " +
      "nodes on one L2 network) are not how Cilium runs on a cloud network (ENI IPAM on EKS, GKE's own pod " +
      "ranges, AKS BYOCNI, cloud routes otherwise); this stack does not write those modes. Install Cilium " +
      "with its cloud guide, then set cilium-ebpf-lab:installCilium false to verify it.",
  };
}

/**
 * The component=kube-proxy pods as findings. A static pod's mirror carries the kubelet's
 * `kubernetes.io/config.mirror` annotation (kubernetes/kubernetes pkg/kubelet/types/pod_update.go
 * `ConfigMirrorAnnotationKey`) and, since KEP-1314, an owner reference to its Node (GKE's, in
 * cluster/gke/kube-proxy-pod.yaml and the GKE pod of the kube-proxy discovery spec); AKS runs
 * kube-proxy as a DaemonSet whose pods carry the same label (cluster/aks): those belong to the
 * DaemonSet already reported, not to "static pods".
 */
export function kubeProxyPodFindings(pods: readonly Json[], reportedDs: readonly Json[]): string[] {
  const reported = new Set(reportedDs.map((d) => `${nsOf(d)}/${nameOf(d)}`));
  const owners = (p: Json): Json[] => {
    const refs = meta(p).ownerReferences;
    return (Array.isArray(refs) ? refs : []).map(obj).filter((r): r is Json => r !== undefined);
  };
  const mirror = pods.filter(
    (p) =>
      obj(meta(p).annotations)?.["kubernetes.io/config.mirror"] !== undefined ||
      owners(p).some((r) => r.kind === "Node"),
  );
  const unreported = new Map<string, string[]>();
  for (const p of pods) {
    if (mirror.includes(p)) continue;
    const ds = owners(p).find((r) => r.kind === "DaemonSet");
    const owner = ds !== undefined ? `DaemonSet ${nsOf(p)}/${String(ds.name ?? "")}` : "no DaemonSet";
    if (ds !== undefined && reported.has(`${nsOf(p)}/${String(ds.name ?? "")}`)) continue;
    unreported.set(owner, [...(unreported.get(owner) ?? []), nameOf(p)]);
  }
  const names = (ns: string[]): string => `${ns.slice(0, 3).join(", ")}${ns.length > 3 ? ", ..." : ""}`;
  return [
    ...(mirror.length > 0 ? [`static pods (component=kube-proxy): ${names(mirror.map(nameOf))}`] : []),
    ...[...unreported].map(([owner, ns]) => `pods (component=kube-proxy, ${owner}): ${names(ns)}`),
  ];
}
