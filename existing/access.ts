/**
 * Existing mode, before any resource is declared: reduce the kubeconfig to the chosen context, read
 * the cluster (read-only), refuse what would harm it, and settle the API server address Cilium gets.
 * Throws an {@link ExistingClusterError} (every message names the config keys involved); index.ts
 * calls it right after validateConfig, so a refusal stops preview and up with nothing created.
 */
import { NodeInfo, parseNodeInventory } from "../components/kindConfig";
import type { LabConfig } from "../lib/config";
import { readCiliumConfig, readPreflightDocs } from "./clusterRead";
import {
  type ClusterCiliumProfile,
  type ProfileDifference,
  clusterProfileOf,
  profileDifferences,
} from "./ciliumProfile";
import {
  API_SERVER_FIX,
  apiServerOf,
  apiServerProblem,
  isUnspecifiedHost,
  minifyKubeconfig,
  type ApiServer,
} from "./kubeconfig";
import { formatRefusals, judgePreflight, type PreflightDocs } from "./refusals";

/** Everything existing mode refuses, as one error. */
export class ExistingClusterError extends Error {}

/** What the program needs of an existing cluster. */
export interface ExistingAccess {
  /** The kubeconfig reduced to the chosen context (secret once in the program). */
  readonly kubeconfig: string;
  readonly apiServer: ApiServer;
  readonly nodes: readonly NodeInfo[];
  /** Cilium's k8sServiceHost/k8sServicePort (config keys first, else the kubeconfig's server). */
  readonly k8sService: { readonly host: string; readonly port: number };
  /** installCilium false: the cluster's own Cilium (cilium-config) and how it differs from the lab. */
  readonly profile?: {
    readonly found: ClusterCiliumProfile;
    readonly differences: readonly ProfileDifference[];
  };
}

/** How the cluster is read; tests pass documents recorded from real clusters. */
export interface ExistingReaders {
  readonly minify?: typeof minifyKubeconfig;
  readonly readDocs?: (kubeconfig: string) => PreflightDocs;
  readonly readConfig?: (kubeconfig: string) => unknown;
}

/**
 * Opens an existing cluster for the lab. `stackMarker` is `<project>/<stack>` (the annotation the
 * stack's own Cilium agents carry, so a second `up` does not refuse the Cilium it installed).
 */
export function openExistingCluster(
  cfg: LabConfig,
  stackMarker: string,
  readers: ExistingReaders = {},
): ExistingAccess {
  const minify = readers.minify ?? minifyKubeconfig;
  const kubeconfig = minify({ path: cfg.kubeconfigPath, text: cfg.kubeconfig, context: cfg.context });
  const apiServer = apiServerOf(kubeconfig);
  const where = `${apiServer.server}${cfg.context !== undefined ? ` (context ${cfg.context})` : ""}`;

  const docs = (readers.readDocs ?? ((text: string) => readPreflightDocs({ text })))(kubeconfig);
  const nodes = parseNodeInventory(JSON.stringify(docs.nodes));
  if (nodes.length === 0) throw new ExistingClusterError(`existing cluster ${where} has no nodes`);

  const k8sService = {
    host: cfg.k8sServiceHost ?? apiServer.host,
    port: cfg.k8sServicePort ?? apiServer.port,
  };
  if (cfg.installCilium) {
    const result = judgePreflight(docs, {
      installCilium: true,
      podCidr: cfg.podCidr,
      nativeRoutingCidr: cfg.nativeRoutingCidr,
      stackMarker,
    });
    const refusals = [...result.refusals];
    const problem = cfg.k8sServiceHost === undefined ? apiServerProblem(apiServer) : undefined;
    if (cfg.k8sServiceHost !== undefined && isUnspecifiedHost(cfg.k8sServiceHost)) {
      refusals.push({
        what: "cilium-ebpf-lab:k8sServiceHost is the unspecified address",
        found: `k8sServiceHost = ${JSON.stringify(cfg.k8sServiceHost)} (an address to bind, not one the agents can dial)`,
        fix: API_SERVER_FIX,
      });
    }
    if (problem !== undefined) {
      refusals.push({
        what: "the kubeconfig's API server is not an address the Cilium agents can use",
        found: problem,
        fix: API_SERVER_FIX,
      });
    }
    if (refusals.length > 0) throw new ExistingClusterError(formatRefusals(refusals, where));
  }
  let profile: ExistingAccess["profile"];
  if (!cfg.installCilium) {
    const list = (readers.readConfig ?? ((text: string) => readCiliumConfig({ text })))(kubeconfig);
    const found = clusterProfileOf(list);
    if (found === undefined) {
      throw new ExistingClusterError(
        `existing cluster ${where}: cilium-ebpf-lab:installCilium is false, but no namespace has a cilium-config ` +
          "ConfigMap: there is no Cilium (installed by its chart or cilium-cli) to verify. Install Cilium first, " +
          "or let the lab install it on a cluster without a CNI (installCilium true).",
      );
    }
    if (
      !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(found.namespace) ||
      !/^[a-z0-9-]{0,40}$/.test(found.ipamMode ?? "")
    ) {
      throw new ExistingClusterError(
        `existing cluster ${where}: cilium-config has an unexpected namespace or ipam value`,
      );
    }
    profile = { found, differences: profileDifferences(found, { nativeRoutingCidr: cfg.nativeRoutingCidr }) };
  }
  return { kubeconfig, apiServer, nodes, k8sService, profile };
}
