/**
 * Pure builders behind {@link KindCluster}: the kind config, the shell scripts the Command
 * resources run, and the node inventory parser. Kept apart from the component so tests call them
 * directly and shellcheck the scripts.
 */
import { stringify } from "yaml";
import { shellAssign } from "../lib/shell";

export type KubeProxyMode = "none" | "iptables" | "ipvs" | "nftables";

/** What the kind config is built from. */
export interface KindConfigInput {
  readonly workers: number;
  readonly registryMirrors?: Readonly<Record<string, readonly string[]>>;
  /** Defaults to true: Cilium is the CNI. */
  readonly disableDefaultCNI?: boolean;
  /** Defaults to "none": Cilium replaces kube-proxy. */
  readonly kubeProxyMode?: KubeProxyMode;
}

/**
 * The kind `Cluster` config: one control-plane and N workers, no default CNI, no kube-proxy, and
 * the seed's containerd registry mirror patch when mirrors are given. The node image is passed on
 * the command line (`--image`), as the seed does.
 */
export function kindConfig(input: KindConfigInput): Record<string, unknown> {
  const config: Record<string, unknown> = {
    kind: "Cluster",
    apiVersion: "kind.x-k8s.io/v1alpha4",
    networking: {
      disableDefaultCNI: input.disableDefaultCNI ?? true,
      kubeProxyMode: input.kubeProxyMode ?? "none",
    },
    nodes: [{ role: "control-plane" }, ...Array.from({ length: input.workers }, () => ({ role: "worker" }))],
  };
  const mirrors = Object.entries(input.registryMirrors ?? {});
  if (mirrors.length > 0) {
    // containerd 1.x CRI registry mirrors, exactly the seed's patch shape. Endpoints are JSON strings
    // (TOML basic strings accept the same escapes for the URL characters config validation allows).
    config.containerdConfigPatches = mirrors.map(
      ([host, endpoints]) =>
        `[plugins."io.containerd.grpc.v1.cri".registry.mirrors.${JSON.stringify(host)}]\n` +
        `endpoint = [${endpoints.map((e) => JSON.stringify(e)).join(", ")}]`,
    );
  }
  return config;
}

/** The kind config as the YAML document kind reads on stdin. */
export function kindConfigYaml(input: KindConfigInput): string {
  return stringify(kindConfig(input));
}

/** What the create script needs. */
export interface KindCreateInput {
  readonly clusterName: string;
  readonly nodeImage: string;
  readonly networkName: string;
  /** Seconds before `kind create cluster` is killed. Defaults to 600. */
  readonly timeoutSeconds?: number;
}

const HEADER = "set -eu";

/**
 * Creates the cluster with the config on stdin. When a cluster of that name already exists the
 * script refuses (exit 1) rather than adopting a cluster whose shape it did not choose: the
 * message says how to delete it or pick another name.
 */
export function kindCreateScript(input: KindCreateInput): string {
  const timeout = input.timeoutSeconds ?? 600;
  return [
    HEADER,
    shellAssign("name", input.clusterName),
    shellAssign("image", input.nodeImage),
    shellAssign("network", input.networkName),
    'if kind get clusters 2>/dev/null | grep -qxF -- "$name"; then',
    '  echo "kind cluster $name already exists and is not managed by this stack." >&2',
    '  echo "Delete it with: kind delete cluster --name $name  (or set cilium-ebpf-lab:clusterName to another name)" >&2',
    "  exit 1",
    "fi",
    "# kind attaches the nodes to the Docker network this stack created (and its subnet).",
    'KIND_EXPERIMENTAL_DOCKER_NETWORK="$network"',
    "export KIND_EXPERIMENTAL_DOCKER_NETWORK",
    `timeout ${timeout} kind create cluster --name "$name" --image "$image" --config -`,
    "",
  ].join("\n");
}

/** Deletes the cluster; succeeds when it is already gone (deleted by hand). */
export function kindDeleteScript(clusterName: string): string {
  return [
    HEADER,
    shellAssign("name", clusterName),
    'if ! kind get clusters 2>/dev/null | grep -qxF -- "$name"; then',
    '  echo "kind cluster $name is already gone"',
    "  exit 0",
    "fi",
    'timeout 300 kind delete cluster --name "$name"',
    "",
  ].join("\n");
}

/** Prints the cluster's kubeconfig (for a secret output; the Command must not log it). */
export function kindKubeconfigScript(clusterName: string): string {
  return [HEADER, shellAssign("name", clusterName), 'kind get kubeconfig --name "$name"', ""].join("\n");
}

/**
 * Prints `kubectl get nodes -o json`. The kubeconfig goes to a mode-0600 temp file that the trap
 * removes on exit, so it never reaches the Command's inputs, outputs or logs.
 */
export function nodeInventoryScript(clusterName: string, timeoutSeconds = 60): string {
  return [
    HEADER,
    shellAssign("name", clusterName),
    "umask 077",
    "kc=$(mktemp)",
    "trap 'rm -f \"$kc\"' EXIT",
    'kind get kubeconfig --name "$name" >"$kc"',
    `timeout ${timeoutSeconds} kubectl --kubeconfig "$kc" get nodes -o json`,
    "",
  ].join("\n");
}

/** A node as the stack outputs it. */
export interface NodeInfo {
  readonly name: string;
  readonly role: "control-plane" | "worker";
  readonly internalIp: string;
  readonly kubeletVersion?: string;
}

interface NodeJson {
  metadata?: { name?: string; labels?: Record<string, string> };
  status?: { addresses?: { type?: string; address?: string }[]; nodeInfo?: { kubeletVersion?: string } };
}

/**
 * Reads the node inventory from `kubectl get nodes -o json`. The role comes from the
 * `node-role.kubernetes.io/control-plane` label (1.20+) or `.../master` (older clusters).
 */
export function parseNodeInventory(json: string): NodeInfo[] {
  const doc = JSON.parse(json) as { items?: NodeJson[] };
  if (!doc || !Array.isArray(doc.items)) {
    throw new Error("kubectl get nodes -o json returned no items list");
  }
  return doc.items
    .map((item): NodeInfo => {
      const labels = item.metadata?.labels ?? {};
      const controlPlane =
        "node-role.kubernetes.io/control-plane" in labels || "node-role.kubernetes.io/master" in labels;
      const internalIp = item.status?.addresses?.find((a) => a.type === "InternalIP")?.address;
      if (!item.metadata?.name || !internalIp) {
        throw new Error(
          `node without a name or InternalIP in kubectl output: ${JSON.stringify(item.metadata)}`,
        );
      }
      return {
        name: item.metadata.name,
        role: controlPlane ? "control-plane" : "worker",
        internalIp,
        kubeletVersion: item.status?.nodeInfo?.kubeletVersion,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The control-plane's internal IP: Cilium's k8sServiceHost (nothing serves the ClusterIP yet). */
export function controlPlaneIp(nodes: readonly NodeInfo[]): string {
  const cp = nodes.find((n) => n.role === "control-plane");
  if (!cp) throw new Error(`no control-plane node among ${nodes.map((n) => n.name).join(", ")}`);
  return cp.internalIp;
}
