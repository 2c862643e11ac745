/**
 * Read-only `kubectl get` calls the program makes against an existing cluster while it runs (at
 * preview too), before declaring any resource.
 *
 * Why synchronous kubectl in the program rather than a Command resource or an invoke: a Command runs
 * only at `up` (at preview its stdout is unknown) and after resources before it may already exist;
 * an invoke (`command.local.runOutput`) returns an Output, so a refusal would surface inside an
 * apply while other resources are being registered. A synchronous read lets the program throw before
 * the first `new` (nothing created, at preview and at up alike). Each call is bounded twice
 * (`--request-timeout` for the API request, a process timeout for kubectl itself), so preview cannot
 * hang on an unreachable cluster.
 */
import { execFileSync } from "node:child_process";
import { withKubeconfigFile, type KubeconfigSource } from "./kubeconfig";
import type { PreflightDocs } from "./refusals";

/** Seconds one API request may take, and kubectl as a whole (a little more). */
export const REQUEST_TIMEOUT_SECONDS = 20;

/** A read that failed: names the keys to check and what kubectl said (never the kubeconfig). */
export class ClusterReadError extends Error {}

/** The `kubectl get` arguments of each preflight document. */
export const PREFLIGHT_QUERIES: Readonly<Record<keyof PreflightDocs, readonly string[]>> = {
  daemonSets: ["get", "daemonsets", "--all-namespaces", "-o", "json"],
  kubeProxyPods: ["get", "pods", "-n", "kube-system", "-l", "component=kube-proxy", "-o", "json"],
  nodes: ["get", "nodes", "-o", "json"],
};

/** Runs one read-only `kubectl get` and parses its JSON. */
export function kubectlGetJson(
  file: string,
  context: string | undefined,
  args: readonly string[],
  kubectl = "kubectl",
): unknown {
  const argv = [
    "--kubeconfig",
    file,
    ...(context !== undefined ? ["--context", context] : []),
    `--request-timeout=${REQUEST_TIMEOUT_SECONDS}s`,
    ...args,
  ];
  const shown = `kubectl ${args.join(" ")}`;
  let stdout: string;
  try {
    stdout = execFileSync(kubectl, argv, {
      encoding: "utf8",
      timeout: (REQUEST_TIMEOUT_SECONDS + 10) * 1000,
      maxBuffer: 256 * 1024 * 1024,
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (err) {
    const e = err as { code?: string; signal?: string; stderr?: unknown; message?: string };
    const why =
      e.code === "ENOENT"
        ? "kubectl is not installed (existing mode reads the cluster with kubectl before creating anything)"
        : e.signal !== undefined && e.signal !== null
          ? `timed out after ${REQUEST_TIMEOUT_SECONDS + 10}s`
          : String(e.stderr ?? e.message ?? "")
              .trim()
              .split("\n")[0];
    throw new ClusterReadError(
      `${shown} failed: ${why}. Check cilium-ebpf-lab:kubeconfigPath/kubeconfig and cilium-ebpf-lab:context ` +
        "(the cluster must be reachable and the user allowed to list nodes, daemonsets and kube-system pods).",
    );
  }
  try {
    return JSON.parse(stdout);
  } catch {
    throw new ClusterReadError(
      `${shown} printed no JSON (first line: ${stdout.split("\n")[0].slice(0, 200)})`,
    );
  }
}

/** Where a cluster's own Cilium keeps its configuration (any namespace). */
export const CILIUM_CONFIG_QUERY: readonly string[] = [
  "get",
  "configmaps",
  "--all-namespaces",
  "--field-selector",
  "metadata.name=cilium-config",
  "-o",
  "json",
];

/** Reads the cilium-config ConfigMaps (installCilium false: the lab judges against them). */
export function readCiliumConfig(source: KubeconfigSource, kubectl = "kubectl"): unknown {
  return withKubeconfigFile(source, (file) =>
    kubectlGetJson(file, source.context, CILIUM_CONFIG_QUERY, kubectl),
  );
}

/** Reads the preflight documents, in order, with the kubeconfig of `source`. */
export function readPreflightDocs(source: KubeconfigSource, kubectl = "kubectl"): PreflightDocs {
  return withKubeconfigFile(source, (file) => ({
    daemonSets: kubectlGetJson(file, source.context, PREFLIGHT_QUERIES.daemonSets, kubectl),
    kubeProxyPods: kubectlGetJson(file, source.context, PREFLIGHT_QUERIES.kubeProxyPods, kubectl),
    nodes: kubectlGetJson(file, source.context, PREFLIGHT_QUERIES.nodes, kubectl),
  }));
}
