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
 * annotation is invisible here: the README says so. k3s runs flannel and kube-proxy inside its own
 * process (no pod, no DaemonSet): its node-args annotation says whether it does (lib/k3sNodeArgs.ts),
 * and it outranks the flannel annotations, which k3s can leave on nodes started with
 * `--flannel-backend=none` (k3s-io/k3s#3932, a k3s server prepared for Cilium).
 */
import { cidrContains } from "../lib/cidr";
import { flannelDisabled, k3sServers, kubeProxyDisabled } from "../lib/k3sNodeArgs";
import { cloudOf, cloudRefusal, kubeProxyPodFindings } from "./findings";

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
const FLANNEL_PREFIX = "flannel.alpha.coreos.com/";
const CNI_NODE_ANNOTATIONS: readonly { readonly prefix: string; readonly cni: string }[] = [
  { prefix: FLANNEL_PREFIX, cni: "flannel" },
  { prefix: "projectcalico.org/", cni: "Calico" },
];

const KPF_GUIDE = "https://docs.cilium.io/en/stable/network/kubernetes/kubeproxy-free/";

/** Judges the documents; an empty refusal list means the install may go ahead. */
export function judgePreflight(docs: PreflightDocs, intent: PreflightIntent): PreflightResult {
  const refusals: Refusal[] = [];
  const nodes = items(docs.nodes);
  const cloudNode = cloudOf(nodes);
  const cloud = cloudNode?.cloud;
  if (!intent.installCilium) return { refusals, cloud };

  if (cloudNode !== undefined) refusals.push(cloudRefusal(cloudNode));

  const ds = items(docs.daemonSets);
  const kubeProxyDs = ds.filter(
    (d) =>
      (nsOf(d) === "kube-system" && nameOf(d).includes("kube-proxy")) ||
      labelsOf(d)["k8s-app"] === "kube-proxy",
  );
  const servers = k3sServers(nodes);
  const proxyFound = [
    ...kubeProxyDs.map((d) => `DaemonSet ${nsOf(d)}/${nameOf(d)}`),
    ...kubeProxyPodFindings(items(docs.kubeProxyPods), kubeProxyDs),
    ...(servers.length > 0 && !servers.some(kubeProxyDisabled)
      ? [
          `k3s's built-in kube-proxy (server node ${servers[0].name}: k3s.io/node-args has no --disable-kube-proxy)`,
        ]
      : []),
  ];
  if (proxyFound.length > 0) {
    refusals.push({
      what: "kube-proxy is running",
      found: proxyFound.join("; "),
      fix:
        "Cilium's kube-proxy replacement is installed on a cluster without kube-proxy: remove it first " +
        `(kube-proxy DaemonSet and its iptables rules, as ${KPF_GUIDE} describes; kubeadm: ` +
        "--skip-phases=addon/kube-proxy; k3s: start the servers with --disable-kube-proxy), or verify a " +
        "Cilium you installed with installCilium false. cilium-cli itself leaves kube-proxy replacement " +
        "off when a kube-proxy DaemonSet exists.",
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
  const k3sFlannelOff = servers.length > 0 && servers.some(flannelDisabled);
  if (servers.length > 0 && !k3sFlannelOff) {
    others.push(
      `k3s's embedded flannel (server node ${servers[0].name}: k3s.io/node-args has no --flannel-backend none)`,
    );
  }
  for (const a of CNI_NODE_ANNOTATIONS) {
    // k3s's flannel is judged by its node-args above: stale annotations are not a running flannel.
    if (servers.length > 0 && a.prefix === FLANNEL_PREFIX) continue;
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
        "other's config on each node). Use a cluster without a CNI (k3s: start the servers with " +
        "--flannel-backend=none --disable-network-policy, as https://docs.cilium.io/en/stable/installation/k3s/ " +
        "says), or set installCilium false to verify the Cilium already there.",
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

/** The refusals as one message: each what, found and fix, once. */
export function formatRefusals(refusals: readonly Refusal[], where: string): string {
  return (
    `existing cluster ${where}: the lab will not install Cilium here; nothing was created.\n` +
    refusals.map((r, i) => `  ${i + 1}. ${r.what}. Found: ${r.found}.\n     What to do: ${r.fix}`).join("\n")
  );
}
