/**
 * What a k3s cluster runs, read from the `k3s.io/node-args` annotation k3s writes on each node.
 *
 * Facts this relies on (k3s-io/k3s):
 * - `pkg/nodeconfig/nodeconfig.go` @0ba4732c, line 19: the annotation is `<program>.io/node-args`
 *   (`k3s.io/node-args`); lines 29-50 (`getNodeArgs`): it is the JSON list of the node's command line,
 *   config file included (`configfilearg.MustParse`), with every `--flag=value` split into
 *   `--flag`, `value`. Since k3s-io/k3s#3289 (v1.21.1) values from config.yaml are in it too. Only
 *   flags that were given appear, defaults do not (brandond in k3s-io/k3s#6516), so a missing flag
 *   means its default.
 * - `pkg/cli/cmds/server.go` @005499a9: `--flannel-backend` (default `vxlan`, valid `none`, ...) and
 *   `--disable-kube-proxy` (bool, "Disable running kube-proxy") are server flags;
 *   `pkg/agent/config/config.go` @001a6d94 (`get`): `nodeConfig.NoFlannel = nodeConfig.FlannelBackend
 *   == config.FlannelBackendNone`, and agents take the backend and `DisableKubeProxy` from the server's
 *   configuration (`getKubeProxyDisabled`), so only `server` nodes are read here.
 * - `--no-flannel` is the deprecated spelling of `--flannel-backend=none` (k3s help text quoted in
 *   k3s-io/k3s#4612: "--no-flannel (deprecated) use --flannel-backend=none").
 * rke2 writes `rke2.io/node-args` with its own defaults (canal, kube-proxy static pod): not read here.
 */

type Json = Record<string, unknown>;

function obj(v: unknown): Json | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
}

/** The annotation k3s writes (pkg/nodeconfig/nodeconfig.go line 19). */
export const K3S_NODE_ARGS = "k3s.io/node-args";

/** A k3s server node and its recorded command line. */
export interface K3sServer {
  readonly name: string;
  readonly args: readonly string[];
}

/** The `k3s.io/node-args` list of a node; undefined when absent or not a JSON list of strings. */
export function k3sNodeArgs(node: unknown): string[] | undefined {
  const raw = obj(obj(obj(node)?.metadata)?.annotations)?.[K3S_NODE_ARGS];
  if (typeof raw !== "string" || raw === "") return undefined;
  try {
    const args: unknown = JSON.parse(raw);
    return Array.isArray(args) ? args.filter((a): a is string => typeof a === "string") : undefined;
  } catch {
    return undefined;
  }
}

/** The nodes whose node-args start with `server`, in order. */
export function k3sServers(nodes: readonly unknown[]): K3sServer[] {
  const out: K3sServer[] = [];
  for (const node of nodes) {
    const args = k3sNodeArgs(node);
    if (args === undefined || args[0] !== "server") continue;
    const name = obj(obj(node)?.metadata)?.name;
    out.push({ name: typeof name === "string" && name !== "" ? name : "(unnamed)", args });
  }
  return out;
}

/** A boolean flag is set: it stands alone, or is followed by anything but `false` (`--flag=false` split). */
function boolFlag(args: readonly string[], flag: string): boolean {
  return args.some((a, i) => a === flag && args[i + 1] !== "false");
}

/** The value of a string flag (`--flag value` or the split `--flag=value`); the last one wins. */
function stringFlag(args: readonly string[], flag: string): string | undefined {
  let value: string | undefined;
  args.forEach((a, i) => {
    if (a === flag && i + 1 < args.length) value = args[i + 1];
  });
  return value;
}

/** True when the server runs without k3s's kube-proxy. */
export function kubeProxyDisabled(server: K3sServer): boolean {
  return boolFlag(server.args, "--disable-kube-proxy");
}

/** True when the server runs without k3s's embedded flannel. */
export function flannelDisabled(server: K3sServer): boolean {
  return stringFlag(server.args, "--flannel-backend") === "none" || boolFlag(server.args, "--no-flannel");
}
