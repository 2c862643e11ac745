/**
 * A fake `kubectl` for the program's own reads in existing mode (existing/kubeconfig.ts, existing/clusterRead.ts),
 * put first on PATH while a test runs the program under mocks.
 *
 * - `kubectl config ...` runs the real kubectl (it only reads the kubeconfig file; no network);
 * - `kubectl ... get daemonsets --all-namespaces|pods -n kube-system -l k=v|nodes -o json` answers
 *   from the documents the test gives (recorded from real clusters), filtering pods by the label
 *   selector as the API server would;
 * - anything else (exec, create, apply, a network command) exits 1: the program must only read.
 * Every call is logged (argv, and whether the --kubeconfig file existed and its mode).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";

import { AWK_APPEND_LINE, AWK_JSON_ESCAPE } from "./fakes";

/**
 * The fake, in POSIX sh (a Node start costs ~0.1 s of CPU a call; the program makes several calls on
 * each run under mocks): `config` goes to the real kubectl; the gets of a whole recorded document
 * (DaemonSets, cilium-config, nodes) are answered with `cat`, and so are the pods of one namespace and
 * `-l key=value` selector, from the lists installFakeCluster wrote for every pair its pods hold
 * (`pods-index.tsv`: namespace, selector, file; no line: the empty list, as an API server answers an
 * equality selector nothing matches); with a `fail` file every other call prints it and exits 1, and
 * anything else is refused (exit 1). Every call is logged first: the line is built by awk from ARGV
 * (see fakes.ts); the kubeconfig's content is kept as a copy named in the line (`kubeconfigFile`),
 * read back by calls().
 */
const FRONT = `#!/bin/sh
dir=$FAKE_CLUSTER_DIR
kc=""
prev=""
what=""
after_get=0
all_ns=0
cm_sel=0
ns=""
sel=""
has_sel=0
for a in "$@"; do
  [ "$prev" = "--kubeconfig" ] && [ -z "$kc" ] && kc=$a
  if [ "$after_get" = 1 ]; then
    [ -z "$what" ] && what=$a
    [ "$prev" = -n ] && [ -z "$ns" ] && ns=$a
    [ "$prev" = -l ] && [ "$has_sel" = 1 ] && [ -z "$sel" ] && sel=$a
    [ "$a" = -l ] && has_sel=1
    [ "$a" = "--all-namespaces" ] && all_ns=1
    [ "$a" = "metadata.name=cilium-config" ] && cm_sel=1
  fi
  [ "$a" = get ] && [ "$after_get" = 0 ] && after_get=1
  prev=$a
done
answer=""
if [ "$1" != config ]; then
  if [ -e "$dir/fail" ]; then answer=fail
  elif [ "$what" = daemonsets ] && [ "$all_ns" = 1 ]; then answer=daemonsets.json
  elif [ "$what" = configmaps ] && [ "$cm_sel" = 1 ]; then answer=configmaps.json
  elif [ "$what" = nodes ]; then answer=nodes.json
  elif [ "$what" = pods ] && [ "$has_sel" = 1 ]; then
    answer=pods-none.json
    while IFS='	' read -r ins isel ifile; do
      [ "$ins" = "$ns" ] && [ "$isel" = "$sel" ] && answer=$ifile && break
    done < "$dir/pods-index.tsv"
  else answer=refuse
  fi
fi
copy=""
if [ -n "$kc" ] && [ -e "$kc" ]; then
  copy="$dir/kubeconfig.$$"
  cp -p "$kc" "$copy" # -p keeps the mode, which calls() reads from the copy
fi
# The line is appended whole (AWK_APPEND_LINE in fakes.ts; exit 3: a long line left for cat).
awk -v copy="$copy" -v logf="$dir/calls.log" -v tmp="$dir/line.$$" '
${AWK_JSON_ESCAPE}${AWK_APPEND_LINE}    BEGIN {
      line = "{\\"argv\\":["
      for (i = 1; i < ARGC; i++) line = line (i > 1 ? "," : "") esc(ARGV[i])
      line = line "]"
      if (copy != "") line = line ",\\"kubeconfigFile\\":" esc(copy)
      append_line(line "}")
    }' "$@" || cat "$dir/line.$$" >> "$dir/calls.log"
case "$answer" in
  "") exec "$FAKE_REAL_KUBECTL" "$@" ;;
  fail) cat "$dir/fail" >&2; exit 1 ;;
  refuse) echo "fake kubectl: refusing $*" >&2; exit 1 ;;
  *) exec cat "$dir/$answer" ;;
esac
`;

/** The documents the fake cluster answers with. */
export interface FakeClusterDocs {
  /** `get daemonsets --all-namespaces`. */
  readonly daemonSets: unknown;
  /** Every pod the fake knows, filtered by namespace and label selector per query. */
  readonly pods: unknown;
  readonly nodes: unknown;
  /** `get configmaps --all-namespaces --field-selector metadata.name=cilium-config` (default: none). */
  readonly ciliumConfigs?: unknown;
  /** When set, every `get` fails with this stderr (an unreachable cluster, a forbidden list). */
  readonly failWith?: string;
}

export interface FakeCluster {
  readonly dir: string;
  /** The calls made so far. */
  calls(): { argv: string[]; kubeconfigMode?: string; kubeconfig?: string }[];
  restore(): void;
}

type LabelledPod = { metadata: { namespace?: string; labels?: Record<string, string> } };

/**
 * The answers to `get pods -n NS -l key=value` the sh front gives with `cat`: for every namespace and
 * label pair some pod holds, the pods holding it (in the document's order), one List file each, indexed in pods-index.tsv; pods-none.json for every other query.
 * Namespaces, keys and values are Kubernetes names (no tab or newline), so the index is plain TSV.
 */
function writePodSelections(dir: string, pods: unknown): void {
  const list = (items: unknown[]) =>
    JSON.stringify({ apiVersion: "v1", kind: "List", metadata: { resourceVersion: "" }, items });
  const bySelection = new Map<string, unknown[]>();
  for (const pod of (pods as { items?: LabelledPod[] }).items ?? []) {
    for (const [k, v] of Object.entries(pod.metadata.labels ?? {})) {
      const key = `${pod.metadata.namespace}\t${k}=${v}`;
      bySelection.set(key, [...(bySelection.get(key) ?? []), pod]);
    }
  }
  const index = [...bySelection].map(([key, items], i) => {
    fs.writeFileSync(path.join(dir, `pods-${i}.json`), list(items));
    return `${key}\tpods-${i}.json\n`;
  });
  fs.writeFileSync(path.join(dir, "pods-index.tsv"), index.join(""));
  fs.writeFileSync(path.join(dir, "pods-none.json"), list([]));
}

/** Installs the fake first on PATH (process-wide) until restore(). */
export function installFakeCluster(docs: FakeClusterDocs): FakeCluster {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-fake-cluster-"));
  const real = execFileSync("sh", ["-c", "command -v kubectl"], { encoding: "utf8" }).trim();
  fs.writeFileSync(path.join(dir, "kubectl"), FRONT, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, "daemonsets.json"), JSON.stringify(docs.daemonSets));
  fs.writeFileSync(path.join(dir, "pods.json"), JSON.stringify(docs.pods));
  fs.writeFileSync(path.join(dir, "nodes.json"), JSON.stringify(docs.nodes));
  const emptyList = { apiVersion: "v1", kind: "List", metadata: { resourceVersion: "" }, items: [] };
  fs.writeFileSync(path.join(dir, "configmaps.json"), JSON.stringify(docs.ciliumConfigs ?? emptyList));
  writePodSelections(dir, docs.pods);
  fs.writeFileSync(path.join(dir, "calls.log"), "");
  if (docs.failWith !== undefined) fs.writeFileSync(path.join(dir, "fail"), docs.failWith);
  const saved = {
    PATH: process.env.PATH,
    dir: process.env.FAKE_CLUSTER_DIR,
    real: process.env.FAKE_REAL_KUBECTL,
  };
  process.env.PATH = `${dir}:${process.env.PATH ?? ""}`;
  process.env.FAKE_CLUSTER_DIR = dir;
  process.env.FAKE_REAL_KUBECTL = real;
  return {
    dir,
    calls: () =>
      fs
        .readFileSync(path.join(dir, "calls.log"), "utf8")
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => {
          const { kubeconfigFile, ...call } = JSON.parse(l) as {
            argv: string[];
            kubeconfigMode?: string;
            kubeconfig?: string;
            kubeconfigFile?: string;
          };
          if (kubeconfigFile === undefined) return call;
          // The copy keeps the file's mode (cp -p), printed as `stat -c %a` would.
          const kubeconfigMode = (fs.statSync(kubeconfigFile).mode & 0o777).toString(8);
          return { ...call, kubeconfigMode, kubeconfig: fs.readFileSync(kubeconfigFile, "utf8") };
        }),
    restore: () => {
      process.env.PATH = saved.PATH;
      if (saved.dir === undefined) delete process.env.FAKE_CLUSTER_DIR;
      else process.env.FAKE_CLUSTER_DIR = saved.dir;
      if (saved.real === undefined) delete process.env.FAKE_REAL_KUBECTL;
      else process.env.FAKE_REAL_KUBECTL = saved.real;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const FIXTURES = path.resolve(__dirname, "..", "fixtures");
const readJson = (...p: string[]): unknown => JSON.parse(fs.readFileSync(path.join(FIXTURES, ...p), "utf8"));
/** One object of a recorded `-o yaml` output or manifest file (test/fixtures/cluster/SOURCES.md). */
const readYaml = (...p: string[]): unknown => parseYaml(fs.readFileSync(path.join(FIXTURES, ...p), "utf8"));

/**
 * Objects as `kubectl get ... -o json` prints several of them: a `List` (apiVersion v1, empty
 * resourceVersion), the shape the fake kubectl itself prints for pods. Used where a source recorded
 * single objects (`kubectl get ds NAME -o yaml`, one Node of `/api/v1/nodes`): wrapping is the only
 * change, the objects are the recorded ones.
 */
export function kubectlList(objects: readonly unknown[]): {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion: string };
  items: unknown[];
} {
  return { apiVersion: "v1", kind: "List", metadata: { resourceVersion: "" }, items: [...objects] };
}

/** The cluster shapes of {@link clusterShape}. */
export type ShapeName = "seed" | "eks" | "aks" | "gke" | "kubeadm";

/**
 * Cluster shapes built from recorded objects (test/fixtures/cluster/SOURCES.md):
 * - `seed`: the seed lab's nodes (kind = kubeadm nodes in 172.18.0.0/16), no DaemonSet, no pod;
 * - `eks`: a real EKS cluster-info dump: 2 nodes in 10.0.0.0/16, DaemonSets aws-node and kube-proxy;
 * - `aks`: a real AKS 1.16 cluster-info dump: 1 node (10.240.0.4, kubenet), DaemonSets kube-proxy
 *   (`component: kube-proxy`) and omsagent, the kube-proxy pod;
 * - `gke`: a real GKE node (ManagedKube, GKE 1.10) with the kube-proxy DaemonSet and static-pod
 *   mirror of another real GKE cluster (imroc/kubernetes-guide, GKE 1.34): two clusters' objects in
 *   one fake, each unchanged;
 * - `kubeadm`: the two DaemonSets a real kubeadm v1.26 cluster listed (`kubectl get ds -A`:
 *   kube-flannel-ds, kube-proxy), on the seed's nodes (kind nodes are kubeadm-made; that cluster's
 *   nodes were not recorded as objects).
 * The empty lists are the EKS dump's DaemonSetList with its items removed (the same list kubectl
 * prints when nothing matches).
 */
export function clusterShape(name: ShapeName): FakeClusterDocs {
  const eksDs = readJson("cluster", "eks", "daemonsets-kube-system.json") as { items: unknown[] };
  const empty = { ...eksDs, items: [] };
  const seedNodes = readJson("kubectl", "nodes-seed.json");
  switch (name) {
    case "eks":
      return { daemonSets: eksDs, pods: empty, nodes: readJson("cluster", "eks", "nodes.json") };
    case "aks":
      return {
        daemonSets: readJson("cluster", "aks", "daemonsets-kube-system.json"),
        pods: readJson("cluster", "aks", "pods-kube-system-kube-proxy.json"),
        nodes: readJson("cluster", "aks", "nodes.json"),
      };
    case "gke":
      return {
        daemonSets: kubectlList([readYaml("cluster", "gke", "kube-proxy-daemonset.yaml")]),
        pods: kubectlList([readYaml("cluster", "gke", "kube-proxy-pod.yaml")]),
        nodes: kubectlList([readJson("cluster", "gke", "node-managedkube.json")]),
      };
    case "kubeadm":
      return {
        daemonSets: kubectlList([
          readYaml("cluster", "kubeadm", "kube-flannel-ds.yaml"),
          readYaml("cluster", "kubeadm", "kube-proxy-daemonset.yaml"),
        ]),
        pods: empty,
        nodes: seedNodes,
      };
    default:
      return { daemonSets: empty, pods: empty, nodes: seedNodes };
  }
}
