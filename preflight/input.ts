import type { LabConfig } from "../lib/config";
import type { PreflightInput } from "./types";

/** The preflight's input from a validated config. */
export function preflightInput(cfg: LabConfig, stackLabel: string, dockerHost?: string): PreflightInput {
  return {
    ...(dockerHost !== undefined ? { dockerHost } : {}),
    clusterMode: cfg.clusterMode,
    clusterName: cfg.clusterName,
    nodeImage: cfg.nodeImage,
    kubernetesVersion: cfg.kubernetesVersion,
    workers: cfg.workers,
    ciliumVersion: cfg.ciliumVersion,
    installCilium: cfg.installCilium,
    nodeNetwork: cfg.nodeNetwork,
    nodeNetworkName: cfg.nodeNetworkName,
    nativeRoutingCidr: cfg.nativeRoutingCidr,
    podCidr: cfg.podCidr,
    stackLabel,
  };
}

const FIELDS: (keyof PreflightInput)[] = [
  "clusterMode",
  "clusterName",
  "nodeImage",
  "workers",
  "ciliumVersion",
  "installCilium",
  "nodeNetwork",
  "nodeNetworkName",
  "nativeRoutingCidr",
  "podCidr",
  "stackLabel",
];

/** Reads an input given as JSON (by the stack's Command); throws naming the first bad field. */
export function parsePreflightInput(json: string): PreflightInput {
  const doc = JSON.parse(json) as Record<string, unknown>;
  for (const f of FIELDS) {
    if (doc[f] === undefined) throw new Error(`--input-json lacks ${f}`);
  }
  if (doc.clusterMode !== "kind" && doc.clusterMode !== "existing") {
    throw new Error(`--input-json clusterMode must be kind or existing`);
  }
  return doc as unknown as PreflightInput;
}
