/**
 * The kubeconfig of an existing cluster, reduced to the one context the lab uses, and the API server
 * that context points at.
 *
 * `kubectl config view --minify --flatten --context X` keeps only what context X uses (its cluster,
 * its user) and inlines certificate files, so the result is self-contained ("--minify: Remove all
 * information not used by current-context from the output"; "--flatten: Flatten the resulting
 * kubeconfig file into self-contained output", https://kubernetes.io/docs/reference/kubectl/generated/kubectl_config/kubectl_config_view/).
 * It reads files only, never the network. Every other context and credential of the file stays out
 * of the Pulumi state.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as nodePath from "node:path";
import * as ipaddr from "ipaddr.js";
import { isMap, isScalar, parse, parseDocument } from "yaml";

/** Where the lab reads a kubeconfig from: a file, or the text of a (secret) config value. */
export interface KubeconfigSource {
  readonly path?: string;
  readonly text?: string;
  readonly context?: string;
}

/** A failure to read the kubeconfig, naming the config keys involved (never the content). */
export class KubeconfigError extends Error {}

/**
 * Runs `fn` with a path to the kubeconfig: the given file, or the text written to a private temporary
 * file (mode 0600 in a fresh 0700 directory) that is removed afterwards, whatever happens.
 */
export function withKubeconfigFile<T>(source: KubeconfigSource, fn: (file: string) => T): T {
  if (source.path !== undefined) return fn(source.path);
  if (source.text === undefined)
    throw new KubeconfigError("existing mode needs kubeconfigPath or kubeconfig");
  const dir = fs.mkdtempSync(nodePath.join(os.tmpdir(), "lab-kubeconfig-"));
  try {
    const file = nodePath.join(dir, "config");
    fs.writeFileSync(file, source.text, { mode: 0o600, flag: "wx" });
    return fn(file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The kubeconfig reduced to one context (`kubectl config view --minify --flatten`). Throws a
 * {@link KubeconfigError} naming the keys when kubectl refuses (no such context, no current context).
 */
export function minifyKubeconfig(source: KubeconfigSource, kubectl = "kubectl"): string {
  return withKubeconfigFile(source, (file) => {
    let minified: string;
    const argv = ["config", "view", "--minify", "--flatten", "--kubeconfig", file];
    if (source.context !== undefined) argv.push("--context", source.context);
    try {
      minified = execFileSync(kubectl, argv, {
        encoding: "utf8",
        timeout: 20_000,
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (err) {
      const stderr = String((err as { stderr?: unknown }).stderr ?? "").trim();
      const which = source.path !== undefined ? `kubeconfigPath ${source.path}` : "kubeconfig (secret)";
      const ctx =
        source.context !== undefined ? `context ${JSON.stringify(source.context)}` : "its current context";
      throw new KubeconfigError(
        `cannot reduce ${which} to ${ctx} with kubectl config view --minify --flatten: ` +
          `${stderr.split("\n")[0] || (err as Error).message}. Check the cilium-ebpf-lab:context and ` +
          `cilium-ebpf-lab:kubeconfigPath/kubeconfig keys.`,
      );
    }
    return resolveRelativePaths(
      minified,
      source.path !== undefined ? nodePath.dirname(nodePath.resolve(source.path)) : undefined,
    );
  });
}

/**
 * The minified kubeconfig with its relative file references made absolute against the directory of
 * the kubeconfig they were written in, as kubectl resolves them when it loads that file: client-go
 * `tools/clientcmd/loader.go` (kubernetes/client-go at 32ce75a7), ResolveLocalPaths (lines 512-541)
 * joins every relative reference of GetClusterFileReferences (certificate-authority) and
 * GetAuthInfoFileReferences (client-certificate, client-key, tokenFile, and exec.command only when it
 * holds a path separator: a bare command is looked up on PATH, lines 610-617) with the directory of
 * the stanza's file (ResolvePaths, lines 620-632). `kubectl config view --minify --flatten` inlines
 * the certificate files but prints `tokenFile` and `exec.command` as written (kubectl v1.32.4 here:
 * `tokenFile: token` and `command: ./bin/get-token` stay relative), and the copy the lab keeps lives
 * in another directory, where they would point at nothing. A kubeconfig given as a value has no
 * directory: a relative reference in it is refused, naming it.
 */
export function resolveRelativePaths(minified: string, baseDir: string | undefined): string {
  const doc = parseDocument(minified);
  const refs: { path: (string | number)[]; value: string }[] = [];
  const collect = (section: string, item: string, keys: string[][], onlyWithSlash: boolean): void => {
    const list = doc.get(section);
    if (list === undefined || list === null || !("items" in (list as object))) return;
    (list as { items: unknown[] }).items.forEach((entry, i) => {
      if (!isMap(entry)) return;
      for (const key of keys) {
        const node = doc.getIn([section, i, item, ...key], true);
        if (!isScalar(node) || typeof node.value !== "string" || node.value === "") continue;
        const value = node.value;
        if (nodePath.isAbsolute(value)) continue;
        if (onlyWithSlash && key.join(".") === "exec.command" && !value.includes("/")) continue;
        refs.push({ path: [section, i, item, ...key], value });
      }
    });
  };
  collect("clusters", "cluster", [["certificate-authority"]], false);
  collect(
    "users",
    "user",
    [["client-certificate"], ["client-key"], ["tokenFile"], ["exec", "command"]],
    true,
  );
  if (refs.length === 0) return minified;
  if (baseDir === undefined) {
    throw new KubeconfigError(
      `the kubeconfig (secret) refers to files by relative path (${refs
        .map((r) => `${r.path.slice(2).join(".")}: ${r.value}`)
        .join(
          ", ",
        )}), which kubectl resolves against the kubeconfig file's directory, and a value has none: ` +
        "make those paths absolute, or use cilium-ebpf-lab:kubeconfigPath",
    );
  }
  for (const r of refs) doc.setIn(r.path, nodePath.join(baseDir, r.value));
  return doc.toString();
}

/** The API server a (minified) kubeconfig points at. */
export interface ApiServer {
  readonly server: string;
  readonly host: string;
  readonly port: number;
}

/**
 * Host and port of `clusters[].cluster.server` for the current context of a minified kubeconfig,
 * as cilium-cli derives k8sServiceHost/k8sServicePort (cilium/cilium cilium-cli/k8s/client.go,
 * GetAPIServerHostAndPort: url.Parse of the context's cluster server, then SplitHostPort). A URL
 * without a port means the scheme's default: 443 for https (managed endpoints such as EKS's
 * `https://<id>.gr7.<region>.eks.amazonaws.com`), 80 for http.
 */
export function apiServerOf(minified: string): ApiServer {
  const doc = parse(minified) as {
    "current-context"?: string;
    contexts?: { name?: string; context?: { cluster?: string } }[];
    clusters?: { name?: string; cluster?: { server?: string } }[];
  } | null;
  const ctxName = doc?.["current-context"];
  const ctx = doc?.contexts?.find((c) => c.name === ctxName);
  const cluster = doc?.clusters?.find((c) => c.name === ctx?.context?.cluster);
  const server = cluster?.cluster?.server;
  if (server === undefined || server === "") {
    throw new KubeconfigError(
      `the kubeconfig context ${JSON.stringify(ctxName ?? "")} has no cluster server: set cilium-ebpf-lab:k8sServiceHost and cilium-ebpf-lab:k8sServicePort`,
    );
  }
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new KubeconfigError(
      `the kubeconfig's cluster server ${JSON.stringify(server)} is not a URL: set cilium-ebpf-lab:k8sServiceHost and cilium-ebpf-lab:k8sServicePort`,
    );
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = url.port !== "" ? Number(url.port) : url.protocol === "http:" ? 80 : 443;
  return { server, host, port };
}

/** True for an address the Cilium agents cannot use from the nodes (a port-forward on this machine). */
export function isLoopbackHost(host: string): boolean {
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  return rangeOf(host) === "loopback";
}

/** True for `0.0.0.0`, `::` (and `::ffff:0.0.0.0`): an address to bind, never one to dial. */
export function isUnspecifiedHost(host: string): boolean {
  return rangeOf(host) === "unspecified";
}

/** ipaddr.js's range of an IP literal, an IPv4-mapped IPv6 address read as its IPv4 (`::ffff:127.0.0.1`). */
function rangeOf(host: string): string | undefined {
  if (!ipaddr.isValid(host)) return undefined;
  const a = ipaddr.parse(host);
  return a.kind() === "ipv6" && (a as ipaddr.IPv6).isIPv4MappedAddress()
    ? (a as ipaddr.IPv6).toIPv4Address().range()
    : a.range();
}

/**
 * Why the kubeconfig's server cannot be the address the Cilium agents use for the API server
 * (`k8sServiceHost`/`k8sServicePort`: a host and a port, no path), or undefined when it can. cilium-cli
 * takes the kubeconfig's host and port as they are except on kind, where it reads the `kubernetes`
 * EndpointSlice in `default` instead, because kind's kubeconfig points at a port-forward (cilium/cilium-cli
 * at e694be34c, vendored cilium/cilium `cilium-cli/install/autodetect.go` lines 160-190 and
 * `cilium-cli/k8s/client.go` lines 179-191, GetAPIServerHostAndPort). The same holds here for:
 * - a loopback address (`127.0.0.0/8`, `::1`, `::ffff:127.0.0.1`, `localhost`): a port-forward or
 *   tunnel on this machine;
 * - an unspecified address (`0.0.0.0`, `::`): where a listener binds, not an address to dial; k3d
 *   writes `server: https://0.0.0.0:<port>` into its kubeconfigs (k3d-io/k3d#499, #692), which
 *   reaches the published port of this machine, not an API server the nodes see;
 * - a server URL with a path (Rancher's `https://<rancher>/k8s/clusters/<id>`): a proxy in front of
 *   the cluster (Rancher authenticates and forwards: ranchermanager.docs.rancher.com,
 *   "How the Authorized Cluster Endpoint Works"); its host is Rancher's front end, and the agents
 *   would send their requests to it without the path.
 */
export function apiServerProblem(api: ApiServer): string | undefined {
  let pathname = "/";
  try {
    pathname = new URL(api.server).pathname;
  } catch {
    pathname = "/";
  }
  if (pathname !== "" && pathname !== "/") {
    return `the kubeconfig's API server ${api.server} has a path (${pathname}): a proxy in front of the cluster (Rancher's /k8s/clusters/<id>), not the API server itself; the agents would reach ${api.host}:${api.port} without the path`;
  }
  if (isLoopbackHost(api.host)) {
    return `the kubeconfig's API server ${api.server} is a loopback address (a port-forward or tunnel on this machine; the Cilium agents on the nodes cannot reach it)`;
  }
  if (isUnspecifiedHost(api.host)) {
    return `the kubeconfig's API server ${api.server} is the unspecified address ${api.host} (k3d writes 0.0.0.0: it reaches a published port of this machine, not an address the nodes can use)`;
  }
  return undefined;
}

/** The fix of {@link apiServerProblem}: what to set, and where to read it (as cilium-cli does on kind). */
export const API_SERVER_FIX =
  "set cilium-ebpf-lab:k8sServiceHost and cilium-ebpf-lab:k8sServicePort to the API server address the nodes " +
  "reach (without kube-proxy the agents cannot use the kubernetes Service's ClusterIP); cilium-cli reads it from " +
  "the default/kubernetes EndpointSlice: kubectl get endpointslice kubernetes -n default -o " +
  "jsonpath='{.endpoints[0].addresses[0]} {.ports[0].port}'";
