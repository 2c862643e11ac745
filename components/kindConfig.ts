/**
 * Pure builders behind {@link KindCluster}: the kind config, the shell scripts the Command
 * resources run, and the node inventory parser. Kept apart from the component so tests call them
 * directly and shellcheck the scripts.
 */
import { stringify } from "yaml";
import { KIND_CLUSTER_LABEL as CLUSTER_LABEL, NETWORK_OWNER_LABEL } from "../lib/labels";
import { shellAssign, shellJoin } from "../lib/shell";

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
  /** `<project>/<stack>`: the label value that marks the Docker network as this stack's. */
  readonly stackLabel: string;
  /** Seconds before `kind create cluster` is killed. Defaults to 600. */
  readonly timeoutSeconds?: number;
}

const HEADER = "set -eu";

/**
 * Lines that set `$clusters` to `kind get clusters`' list, or stop the script (exit 1) when kind
 * cannot list: kind exits 1 when its `docker ps` fails (Docker stopped, or another daemon than the
 * one the cluster is on; kind v0.29.0 pkg/cluster/internal/providers/docker/provider.go lines 98-109,
 * cmd/kind/app/main.go line 36), and the shell exits 127 when kind is not on PATH. Read as "no
 * cluster", that made delete report "already gone" (dropping a running cluster from the state) and
 * create skip its ownership check (issue 24). With no cluster kind prints "No kind clusters found."
 * on stderr and exits 0 (pkg/cmd/kind/get/clusters/clusters.go line 57).
 */
function listClusters(): string[] {
  return [
    "if ! clusters=$(timeout 60 kind get clusters); then",
    '  echo "cannot list kind clusters (kind get clusters failed, see above): start Docker, or put kind on PATH, and run again" >&2',
    "  exit 1",
    "fi",
  ];
}

/**
 * Merges the cluster's context into the user's kubeconfig, as `kind create cluster` does itself (the
 * write-up's behaviour), with retries. kind locks a kubeconfig by creating `<file>.lock` with O_EXCL
 * (kind v0.18.0 and v0.29.0 pkg/cluster/internal/kubeconfig/internal/kubeconfig/lock.go lines 27-41,
 * the same as client-go) and create retries only 4 times within 151 ms (pkg/cluster/internal/create/
 * create.go lines 148-160) before failing a finished cluster, which the script's trap would then
 * delete: two stacks (or a kubectl) writing ~/.kube/config at that moment, or a lock left by a killed
 * kind, cost a whole create. So create writes into a file of its own, and the merge afterwards may
 * fail without harm (a warning naming the command). `kind delete cluster` only logs a failed kubeconfig
 * update (pkg/cluster/internal/delete/delete.go lines 36-39).
 */
function exportKubeconfig(): string[] {
  return [
    "tries=0",
    'until timeout 30 kind export kubeconfig --name "$name" >&2; do',
    "  tries=$((tries + 1))",
    '  if [ "$tries" -ge 20 ]; then',
    '    echo "warning: could not add the context kind-$name to your kubeconfig (is its .lock file stale?): run kind export kubeconfig --name $name" >&2',
    "    break",
    "  fi",
    "  sleep 1",
    "done",
  ];
}

/**
 * Lines that set `leftover=1` when every node container of cluster "$name" is attached only to
 * "$network" and that network carries this stack's owner label: what a create of this stack left
 * behind (a failed create is not saved in the state, so the stack holds no cluster when create runs).
 * `.Networks` is "names of the networks attached to this container" (docker/cli
 * docs/reference/commandline/container_ls.md line 414).
 */
function leftoverProbe(): string[] {
  return [
    "leftover=0",
    `owner=$(timeout 30 docker network inspect -f '{{index .Labels "${NETWORK_OWNER_LABEL}"}}' -- "$network" 2>/dev/null || true)`,
    `nets=$(timeout 30 docker ps -a --filter "label=${CLUSTER_LABEL}=$name" --format '{{.Networks}}')`,
    `if [ "$owner" = "$stack" ] && [ -n "$nets" ] && ! printf '%s\\n' "$nets" | grep -qvxF -- "$network"; then`,
    "  leftover=1",
    "fi",
  ];
}

/**
 * Creates the cluster with the config on stdin and prints one line: the control-plane container's
 * id, the identity of this cluster instance (a recreated cluster has a new one).
 *
 * - A cluster of that name whose nodes sit only on this stack's own network is what an earlier
 *   create of this stack left (killed by `timeout`, or its shell killed when Pulumi was cancelled:
 *   @pulumi/command v1.2.1 runs it with Go's exec.CommandContext, provider/pkg/provider/local/
 *   commandOutputs.go line 59, which kills only the shell). It is deleted before creating.
 * - Any other cluster of that name is refused (exit 1): the stack never adopts a cluster whose shape
 *   it did not choose; the message says how to delete it or pick another name.
 * - kind deletes its nodes itself only when create returns an error (kind
 *   pkg/cluster/internal/create/create.go lines 102-107 and 134-140); it has no signal handler, so
 *   a `timeout` kill leaves them. The EXIT trap deletes them whenever create did not finish, and
 *   kind runs in the background so that a TERM/INT to this shell runs the trap at once.
 */
export function kindCreateScript(input: KindCreateInput): string {
  const timeout = input.timeoutSeconds ?? 600;
  return [
    HEADER,
    shellAssign("name", input.clusterName),
    shellAssign("image", input.nodeImage),
    shellAssign("network", input.networkName),
    shellAssign("stack", input.stackLabel),
    ...listClusters(),
    'if printf \'%s\' "$clusters" | grep -qxF -- "$name"; then',
    ...leftoverProbe().map((l) => `  ${l}`),
    '  if [ "$leftover" = 1 ]; then',
    '    echo "kind cluster $name is what an earlier, unfinished create of this stack left on network $network: deleting it first" >&2',
    '    timeout 300 kind delete cluster --name "$name" >&2',
    "  else",
    '    echo "kind cluster $name already exists and is not managed by this stack." >&2',
    '    echo "Delete it with: kind delete cluster --name $name  (or set cilium-ebpf-lab:clusterName to another name)" >&2',
    "    exit 1",
    "  fi",
    "fi",
    "finished=0",
    "pid=",
    "# kind writes the new context into a kubeconfig of this run alone (see exportKubeconfig).",
    "kc=$(mktemp)",
    "cleanup() {",
    '  if [ "$finished" != 1 ]; then',
    '    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi',
    '    echo "kind create cluster did not finish: deleting the node containers it left (kind delete cluster --name $name)" >&2',
    '    timeout 300 kind delete cluster --name "$name" --kubeconfig "$kc" >&2 || true',
    "  fi",
    '  rm -f "$kc"',
    "}",
    "trap cleanup EXIT",
    "trap 'exit 130' INT TERM HUP",
    "# kind attaches the nodes to the Docker network this stack created (and its subnet).",
    'KIND_EXPERIMENTAL_DOCKER_NETWORK="$network"',
    "export KIND_EXPERIMENTAL_DOCKER_NETWORK",
    "# In the background (stdin passed explicitly) so that a signal to this shell is handled at once.",
    "exec 3<&0",
    `timeout ${timeout} kind create cluster --name "$name" --image "$image" --kubeconfig "$kc" --config - <&3 >&2 &`,
    "pid=$!",
    'wait "$pid"',
    "pid=",
    "finished=1",
    ...exportKubeconfig(),
    `timeout 30 docker inspect --type container -f '{{.Id}}' -- "$name-control-plane"`,
    "",
  ].join("\n");
}

/**
 * Runs instead of create when only the script text changed (the cluster's shape is in `triggers`,
 * which replace it): never touches a live cluster, prints the same identity as create did, and fails
 * with the recovery when the cluster was deleted outside Pulumi.
 *
 * The recovery is destroy, then up: destroy deletes the cluster Command, so the engine skips the
 * delete of everything `deletedWith` it (pulumi/pulumi pkg/resource/deploy/step.go lines 603-613 and
 * 663 at v3.259.0; GenerateDeletes marks every deleted resource, step_generator.go line 2461). A
 * `pulumi up --replace` of the cluster does not work on released CLIs: replacing it replaces the
 * provider and so the Helm release, whose delete runs first (delete-before-replace chain,
 * step_generator.go lines 2090-2150, where only the dependents are marked as deleted) and fails on a
 * cluster that is gone. The skip for a replaced target (pulumi/pulumi#23818) is in no release tag up
 * to v3.259.0.
 */
export function kindUpdateScript(clusterName: string, clusterUrn: string): string {
  const stack = /^urn:pulumi:([^:]+)::/.exec(clusterUrn)?.[1] ?? "<stack>";
  return [
    HEADER,
    shellAssign("name", clusterName),
    ...listClusters(),
    'if ! printf \'%s\' "$clusters" | grep -qxF -- "$name"; then',
    '  echo "kind cluster $name no longer exists (deleted outside Pulumi)." >&2',
    `  ${shellJoin(["echo", `Recreate the lab: bash scripts/lab.sh destroy ${stack} && bash scripts/lab.sh up ${stack}`])} >&2`,
    '  echo "(pulumi up --replace of the cluster fails on released Pulumi CLIs: it first uninstalls the Helm release from the missing cluster)" >&2',
    "  exit 1",
    "fi",
    `timeout 30 docker inspect --type container -f '{{.Id}}' -- "$name-control-plane"`,
    "",
  ].join("\n");
}

/** Deletes the cluster; succeeds when it is already gone (deleted by hand). */
export function kindDeleteScript(clusterName: string): string {
  return [
    HEADER,
    shellAssign("name", clusterName),
    ...listClusters(),
    'if ! printf \'%s\' "$clusters" | grep -qxF -- "$name"; then',
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
