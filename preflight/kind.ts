/**
 * kind itself (`kind version`), and a cluster of the lab's name (`kind get clusters`, which lists the
 * clusters of every node container labelled io.x-k8s.kind.cluster, stopped ones included: kind
 * pkg/cluster/internal/providers/docker/provider.go lines 96-111).
 */
import { KIND_CLUSTER_LABEL } from "../lib/labels";
import * as semver from "../lib/semver";
import { KnownImage } from "./images";
import { PreflightItem, Runner, failure } from "./types";

const INSTALL = "https://kind.sigs.k8s.io/docs/user/quick-start/#installation";

/** "kind v0.20.0 go1.20.4 linux/amd64" → "0.20.0". */
export function parseKindVersion(stdout: string): string | undefined {
  const m = /^kind v(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)/m.exec(stdout);
  return m && semver.valid(m[1]) ? m[1] : undefined;
}

/** Reads `kind version`; the version is undefined when kind is missing or unreadable. */
export function kindVersionItems(
  run: Runner,
  image: string,
  known: KnownImage | undefined,
): { version?: string; items: PreflightItem[] } {
  const r = run("kind", ["version"]);
  const want = known ? `v${known.kind}` : "the release your node image was built for";
  if (r.missing || r.status !== 0) {
    return {
      items: [
        {
          level: "error",
          area: "kind",
          message: `kind is not usable (${failure(r)}): install kind ${want} (${INSTALL})`,
        },
      ],
    };
  }
  const version = parseKindVersion(r.stdout);
  if (!version) {
    return {
      items: [
        {
          level: "warning",
          area: "kind",
          message: `cannot read kind's version from ${JSON.stringify(r.stdout.trim())}: make sure it is kind ${want}`,
        },
      ],
    };
  }
  const items: PreflightItem[] = [];
  if (!known) {
    items.push({
      level: "warning",
      area: "kind",
      message: `node image ${image} is not pinned to a digest this project knows: kind supports a node image only with the kind release that built it (best effort with others); use the image and digest from your kind release's notes`,
    });
  } else if (semver.lt(version, known.kind)) {
    items.push({
      level: "error",
      area: "kind",
      message: `kind ${version} is older than kind ${known.kind}, which built node image ${image} (${known.source}): install kind v${known.kind} (${INSTALL})`,
    });
  } else if (semver.gt(version, known.kind)) {
    items.push({
      level: "warning",
      area: "kind",
      message: `kind ${version} runs node image ${image}, built for kind ${known.kind}, on a best-effort basis only: kind v${known.kind} is the known-good pair`,
    });
  }
  return { version, items };
}

/**
 * A kind cluster named like the lab's is an error unless it is this stack's: every node container
 * attached only to networks labelled as the stack's (`ownNetworks`), which is what the stack's create
 * leaves (a live cluster, also under an earlier nodeNetworkName, or the leftovers its create script
 * removes before creating).
 */
export function clusterItems(
  run: Runner,
  clusterName: string,
  ownNetworks: readonly string[],
): PreflightItem[] {
  const r = run("kind", ["get", "clusters"]);
  if (r.missing) return [];
  if (r.status !== 0) {
    // Not "no cluster": the stack's create and delete stop on this too (components/kindConfig.ts).
    return [
      {
        level: "error",
        area: "cluster",
        message: `cannot list kind clusters (${failure(r)}): kind get clusters must work (start Docker) before the lab can tell whether ${clusterName} is its own`,
      },
    ];
  }
  // "No kind clusters found." goes to stderr (kind pkg/cmd/kind/get/clusters/clusters.go line 57).
  const clusters = r.stdout.split("\n").map((l) => l.trim());
  if (!clusters.includes(clusterName)) return strayNodeNames(run, clusterName);
  const ps = run("docker", [
    "ps",
    "-a",
    "--filter",
    `label=${KIND_CLUSTER_LABEL}=${clusterName}`,
    "--format",
    "{{.Networks}}",
  ]);
  const nets = ps.stdout
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  const ours = nets.length > 0 && nets.every((n) => ownNetworks.includes(n));
  if (ours) return [];
  return [
    {
      level: "error",
      area: "cluster",
      message: `a kind cluster named ${clusterName} already exists and is not this stack's (its nodes are on ${nets.join(", ") || "no network"}): delete it (kind delete cluster --name ${clusterName}) or set cilium-ebpf-lab:clusterName to another name`,
    },
  ];
}

/**
 * A container that is not a kind node but has a node's name (`<cluster>-control-plane`, kind's node
 * naming: pkg/cluster/internal/providers/common/namer_test.go lines 36-43) makes `docker run --name`
 * fail. `docker ps --filter name=` matches substrings, so the names are compared exactly.
 */
function strayNodeNames(run: Runner, clusterName: string): PreflightItem[] {
  const node = `${clusterName}-control-plane`;
  const ps = run("docker", ["ps", "-a", "--filter", `name=${node}`, "--format", "{{.Names}}"]);
  if (ps.status !== 0 || !ps.stdout.split("\n").some((l) => l.trim() === node)) return [];
  return [
    {
      level: "error",
      area: "cluster",
      message: `a container named ${node} exists and is not a node of a kind cluster: remove it (docker rm -f ${node}) or set cilium-ebpf-lab:clusterName to another name`,
    },
  ];
}
