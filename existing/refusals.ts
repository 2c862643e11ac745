/**
 * Existing-cluster preflight: judges, from what the API server shows, whether installing the lab's
 * Cilium (kube-proxy replacement, cluster-pool IPAM on `podCidr`, native routing with
 * `autoDirectNodeRoutes`) on this cluster would harm it. Pure: the documents come from
 * existing/clusterRead.ts (read before any resource is declared); tests feed recorded documents.
 *
 * What is visible through the API and what is not: a node's `/etc/cni/net.d` is not readable from
 * the API, so "another CNI" is judged from the objects every CNI leaves there: its agent DaemonSet
 * (each CNI runs one agent per node) and the node annotations some write (flannel, also k3s's
 * embedded flannel, annotates each node with `flannel.alpha.coreos.com/*`; Calico with
 * `projectcalico.org/IPv4Address`). A CNI installed as host binaries with no DaemonSet and no
 * annotation is invisible here: the README says so.
 */
import { cidrContains } from "../lib/cidr";

/** The documents the preflight reads (parsed `kubectl get -o json`). */
export interface PreflightDocs {
  /** `kubectl get daemonsets -A -o json`. */
  readonly daemonSets: unknown;
  /** `kubectl get pods -n kube-system -l component=kube-proxy -o json` (static kube-proxy pods). */
  readonly kubeProxyPods: unknown;
  /** `kubectl get nodes -o json`. */
  readonly nodes: unknown;
}

/** What the lab is about to install, and how it recognises its own earlier install. */
export interface PreflightIntent {
  readonly installCilium: boolean;
  readonly podCidr: string;
  readonly nativeRoutingCidr: string;
  /** Value of {@link STACK_MARKER} on the pod template of a Cilium this stack installed. */
  readonly stackMarker: string;
}

/** Pod-template annotation the lab's Cilium agents carry: `<project>/<stack>`. */
export const STACK_MARKER = "cilium-ebpf-lab/stack";

/** One reason to refuse, with what was found and what to do. */
export interface Refusal {
  readonly what: string;
  readonly found: string;
  readonly fix: string;
}

export interface PreflightResult {
  readonly refusals: readonly Refusal[];
  /** Managed-cloud provider seen in the nodes' spec.providerID (aws, gce, azure), if any. */
  readonly cloud?: string;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
const items = (doc: unknown): Json[] => {
  const list = obj(doc)?.items;
  return Array.isArray(list) ? list.map(obj).filter((x): x is Json => x !== undefined) : [];
};
const meta = (o: Json): Json => obj(o.metadata) ?? {};
const labelsOf = (o: Json): Record<string, unknown> => obj(meta(o).labels) ?? {};
const nameOf = (o: Json): string => String(meta(o).name ?? "");
const nsOf = (o: Json): string => String(meta(o).namespace ?? "");

/**
 * Agent DaemonSets of other CNIs, by DaemonSet name. Sources: `aws-node` (EKS VPC CNI; cilium-cli
 * install/aws.go AwsNodeDaemonSetName, and the EKS fixture test/fixtures/cluster/eks), `kube-flannel-ds`
 * (flannel-io/flannel Documentation/kube-flannel.yml), `calico-node` (Calico manifests), `weave-net`,
 * `kindnet` (kind's default CNI), `azure-cns` (AKS), `antrea-agent`, `kube-router`, `ovnkube-node`,
 * `canal`, `anetd` (GKE Dataplane V2) and `cilium` itself (not installed by this stack). The names
 * other than aws-node and kube-flannel-ds are taken from the projects' install manifests as commonly
 * deployed and were not all re-verified here.
 */
const CNI_DAEMONSETS: readonly { readonly match: RegExp; readonly cni: string }[] = [
  { match: /^aws-node$/, cni: "Amazon VPC CNI (aws-node)" },
  { match: /^kube-flannel-ds/, cni: "flannel" },
  { match: /^calico-node$/, cni: "Calico" },
  { match: /^canal$/, cni: "Canal (Calico + flannel)" },
  { match: /^weave-net$/, cni: "Weave Net" },
  { match: /^kindnet$/, cni: "kindnet (kind's default CNI)" },
  { match: /^azure-cns$/, cni: "Azure CNI (azure-cns)" },
  { match: /^antrea-agent$/, cni: "Antrea" },
  { match: /^kube-router$/, cni: "kube-router" },
  { match: /^ovnkube-node$/, cni: "OVN-Kubernetes" },
  { match: /^anetd$/, cni: "GKE Dataplane V2 (anetd)" },
  { match: /^cilium$/, cni: "Cilium" },
];

/** Node annotations written by a CNI on every node it manages. */
const CNI_NODE_ANNOTATIONS: readonly { readonly prefix: string; readonly cni: string }[] = [
  { prefix: "flannel.alpha.coreos.com/", cni: "flannel (also k3s's embedded flannel)" },
  { prefix: "projectcalico.org/", cni: "Calico" },
];

const KPF_GUIDE = "https://docs.cilium.io/en/stable/network/kubernetes/kubeproxy-free/";

/** Judges the documents; an empty refusal list means the install may go ahead. */
export function judgePreflight(docs: PreflightDocs, intent: PreflightIntent): PreflightResult {
  const refusals: Refusal[] = [];
  const nodes = items(docs.nodes);
  const cloud = cloudOf(nodes);
  if (!intent.installCilium) return { refusals, cloud };

  if (cloud !== undefined) {
    refusals.push({
      what: `a managed ${cloud === "aws" ? "EKS" : cloud === "gce" ? "GKE" : "AKS"} cluster`,
      found: `nodes with spec.providerID ${cloud}://...`,
      fix:
        "the lab's values (cluster-pool IPAM on podCidr, native routing with autoDirectNodeRoutes) are not " +
        "how Cilium runs on managed clouds (ENI IPAM on EKS, GKE's own pod ranges, AKS BYOCNI); this stack " +
        "does not write those modes. Install Cilium with its cloud guide, then set " +
        "cilium-ebpf-lab:installCilium false to verify it.",
    });
  }

  const ds = items(docs.daemonSets);
  const kubeProxyDs = ds.filter(
    (d) =>
      (nsOf(d) === "kube-system" && nameOf(d).includes("kube-proxy")) ||
      labelsOf(d)["k8s-app"] === "kube-proxy",
  );
  const staticProxies = items(docs.kubeProxyPods).map(nameOf);
  if (kubeProxyDs.length > 0 || staticProxies.length > 0) {
    const found = [
      ...kubeProxyDs.map((d) => `DaemonSet ${nsOf(d)}/${nameOf(d)}`),
      ...(staticProxies.length > 0
        ? [
            `static pods (component=kube-proxy): ${staticProxies.slice(0, 3).join(", ")}${staticProxies.length > 3 ? ", ..." : ""}`,
          ]
        : []),
    ].join("; ");
    refusals.push({
      what: "kube-proxy is running",
      found,
      fix:
        "Cilium's kube-proxy replacement is installed on a cluster without kube-proxy: remove it first " +
        `(kube-proxy DaemonSet and its iptables rules, as ${KPF_GUIDE} describes; kubeadm: ` +
        "--skip-phases=addon/kube-proxy), or verify a Cilium you installed with installCilium false. " +
        "cilium-cli itself leaves kube-proxy replacement off when a kube-proxy DaemonSet exists.",
    });
  }

  const others: string[] = [];
  for (const d of ds) {
    const hit = CNI_DAEMONSETS.find((c) => c.match.test(nameOf(d)));
    if (hit === undefined) continue;
    if (hit.cni === "Cilium" && ciliumMarker(d) === intent.stackMarker) continue;
    const mine =
      hit.cni === "Cilium" ? ` (not installed by this stack: no ${STACK_MARKER}=${intent.stackMarker})` : "";
    others.push(`${hit.cni}: DaemonSet ${nsOf(d)}/${nameOf(d)}${mine}`);
  }
  for (const a of CNI_NODE_ANNOTATIONS) {
    const annotated = nodes.filter((n) =>
      Object.keys(obj(meta(n).annotations) ?? {}).some((k) => k.startsWith(a.prefix)),
    );
    if (annotated.length > 0) {
      others.push(
        `${a.cni}: ${a.prefix}* annotations on node ${nameOf(annotated[0])}${annotated.length > 1 ? ` and ${annotated.length - 1} more` : ""}`,
      );
    }
  }
  if (others.length > 0) {
    refusals.push({
      what: "another CNI is installed",
      found: others.join("; "),
      fix:
        "two CNIs on one cluster fight over every pod's network (and Cilium's cni.exclusive renames the " +
        "other's config on each node). Use a cluster without a CNI, or set installCilium false to verify " +
        "the Cilium already there.",
    });
  }

  const inside: string[] = [];
  for (const n of nodes) {
    for (const ip of internalIps(n)) {
      for (const [key, cidr] of [
        ["podCidr", intent.podCidr],
        ["nativeRoutingCidr", intent.nativeRoutingCidr],
      ] as const) {
        if (cidrContains(cidr, `${ip}/32`)) inside.push(`${nameOf(n)} ${ip} in ${key} ${cidr}`);
      }
    }
  }
  if (inside.length > 0) {
    refusals.push({
      what: "node addresses fall inside the pod or native-routing CIDR",
      found: inside.slice(0, 4).join("; ") + (inside.length > 4 ? `; ${inside.length - 4} more` : ""),
      fix:
        "traffic to a node would be taken for pod traffic (routed natively, not masqueraded, and clashing " +
        "with pod addresses). Set cilium-ebpf-lab:podCidr and cilium-ebpf-lab:nativeRoutingCidr to a range " +
        "no node uses.",
    });
  }
  return { refusals, cloud };
}

function ciliumMarker(ds: Json): unknown {
  const template = obj(obj(ds.spec)?.template);
  return obj(obj(template?.metadata)?.annotations)?.[STACK_MARKER];
}

function internalIps(node: Json): string[] {
  const addresses = obj(node.status)?.addresses;
  return (Array.isArray(addresses) ? addresses : [])
    .map(obj)
    .filter((a) => a?.type === "InternalIP" && typeof a.address === "string")
    .map((a) => String(a?.address))
    .filter((ip) => /^\d+\.\d+\.\d+\.\d+$/.test(ip));
}

/** `aws`, `gce` or `azure` when every node's providerID says so (the first node decides). */
function cloudOf(nodes: readonly Json[]): string | undefined {
  for (const n of nodes) {
    const id = obj(n.spec)?.providerID;
    const m = typeof id === "string" ? /^(aws|gce|azure):\/\//.exec(id) : null;
    if (m) return m[1];
  }
  return undefined;
}

/** The refusals as one message: each what, found and fix, once. */
export function formatRefusals(refusals: readonly Refusal[], where: string): string {
  return (
    `existing cluster ${where}: the lab will not install Cilium here; nothing was created.\n` +
    refusals.map((r, i) => `  ${i + 1}. ${r.what}. Found: ${r.found}.\n     What to do: ${r.fix}`).join("\n")
  );
}
