/**
 * The shapes of context discovery: where the lab's pieces are ({@link ContextOptions}), the documents
 * read ({@link DocKey}), what discovery found ({@link Discovery}) and what runs kubectl for it.
 * Shared by runner/discovery.ts (the gets) and runner/contextBuilder.ts (the pure building).
 */
import type { Evidence, ExecResult, LabContext } from "../checks/types";

/** Where the lab's pieces are and how they are named. */
export interface ContextOptions {
  /** Namespace of the test DaemonSet, the client pod, the service and the node-probe pods. Defaults to "default". */
  readonly namespace?: string;
  /** The test DaemonSet's `app` label. Defaults to "evescn". */
  readonly appLabel?: string;
  /** The client pod's name. Defaults to "net". */
  readonly client?: string;
  /** The NodePort service's name. Defaults to "serversvc". */
  readonly service?: string;
  /** The node's main device. Defaults to "eth0" (kind). */
  readonly nodeDevice?: string;
  /**
   * Cilium's native-routing CIDR, or "unset" (checks/types.ts NATIVE_CIDR_UNSET). When not given,
   * discovery reads cilium-config's `ipv4-native-routing-cidr` ("unset" when it has none), and falls
   * back to "10.0.0.0/8" (the seed's) with a warning when cilium-config cannot be read.
   */
  readonly nativeRoutingCidr?: string;
  /** Namespace of the Cilium agents and of kube-proxy. Defaults to "kube-system". */
  readonly systemNamespace?: string;
  /** Label selector of the node-probe DaemonSet's pods. Defaults to "app.kubernetes.io/name=node-probe". */
  readonly probeSelector?: string;
  /** Seconds each `kubectl get` may take. Defaults to 20. */
  readonly timeoutSeconds?: number;
  /**
   * The cluster's IPAM mode (cilium-config `ipam`, existing mode). Only cluster-pool and kubernetes
   * CiliumNodes carry spec.ipam.podCIDRs; with another mode a node without them is a warning, and
   * multi-pool CIDRs are read from spec.ipam.pools.allocated[].cidrs. Undefined: the lab's cluster-pool.
   */
  readonly ipamMode?: string;
}

/**
 * The documents discovery reads, one `kubectl get` each: nine the context needs, and cilium-config
 * (read only when no native-routing CIDR is given; its failure is a warning, see OPTIONAL_DOCS).
 */
export type DocKey =
  | "nodes"
  | "ciliumNodes"
  | "testPods"
  | "client"
  | "ciliumPods"
  | "probePods"
  | "kubeProxyPods"
  | "kubeProxyStaticPods"
  | "service"
  | "ciliumConfig";

export const DOC_KEYS: readonly DocKey[] = [
  "nodes",
  "ciliumNodes",
  "testPods",
  "client",
  "ciliumPods",
  "probePods",
  "kubeProxyPods",
  "kubeProxyStaticPods",
  "service",
  "ciliumConfig",
];

/**
 * Documents whose failed get is a warning, not a fatal problem: cilium-config only gives the
 * native-routing CIDR, which the lab's default replaces (said in the warning).
 */
export const OPTIONAL_DOCS: ReadonlySet<DocKey> = new Set<DocKey>(["ciliumConfig"]);

/**
 * The documents read, per key: whole `-o json` objects or the projections of
 * runner/discoveryProjection.ts in the same shape; undefined when the get failed.
 */
export type KubectlDocs = Partial<Record<DocKey, unknown>>;

/** A piece of the lab that is missing or odd. A fatal problem leaves the context undefined. */
export interface ContextProblem {
  readonly source: DocKey | "kind" | "context-file";
  readonly fatal: boolean;
  readonly message: string;
}

/** What discovery found: the context (when nothing fatal is missing), the problems, the evidence. */
export interface Discovery {
  readonly context?: LabContext;
  readonly problems: readonly ContextProblem[];
  /** The commands behind the problems and their output, kept for inconclusive results. */
  readonly evidence: readonly Evidence[];
  /**
   * Set when no cluster was reached at all (every get failed, or kind had no kubeconfig): one line
   * saying why, from kubectl's own message. The CLI prints it once and exits non-zero.
   */
  readonly noCluster?: string;
}

/** Runs `kubectl ARGS` (KubectlExecutor.kubectl satisfies it). */
export interface KubectlRunner {
  kubectl(args: readonly string[], timeoutSeconds: number): Promise<ExecResult>;
}
