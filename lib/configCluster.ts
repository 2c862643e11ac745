/**
 * The keys of the kind cluster and its network: cluster name, node image (and the Kubernetes version
 * its tag shows), workers, Cilium version, the pod / native-routing / node CIDRs and how they must
 * relate, the Docker network name, and the registry mirrors.
 */
import * as semver from "./semver";
import { SUPPORTED_RANGE, isSupportedCiliumVersion } from "./chartIndex";
import { cidrContains, cidrsOverlap } from "./cidr";
import type { ConfigReader } from "./configReader";

const REGISTRY_HOST = /^[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]{1,5})?$/;
const MIRROR_URL =
  /^https?:\/\/[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]{1,5})?(?:\/[A-Za-z0-9._~/-]*)?$/;

/** kind names its node containers `<name>-control-plane`, `<name>-worker10`: they must stay hostnames. */
const MAX_CLUSTER_NAME = 63 - "-control-plane".length;
/** Cilium >= 1.16 refuses a cluster.name over 32 characters (validate.yaml). */
const MAX_CILIUM_CLUSTER_NAME = 32;

/** Reads the Kubernetes version from a kindest/node tag: `kindest/node:v1.23.4@sha256:...` → `1.23.4`. */
export function kubernetesVersionOfImage(image: string): string | undefined {
  const m = /:v(\d+\.\d+\.\d+)(?:@|$)/.exec(image);
  return m ? m[1] : undefined;
}

/** The cluster keys, validated (a CIDR is undefined when it was bad). */
export interface ClusterKeys {
  readonly clusterName: string;
  readonly nodeImage: string;
  readonly kubernetesVersion: string | undefined;
  readonly workers: number;
  readonly ciliumVersion: string;
  /** Whether ciliumVersion is a supported release (later checks that depend on it run only then). */
  readonly ciliumOk: boolean;
  readonly nativeRoutingCidr: string | undefined;
  readonly podCidr: string | undefined;
  readonly podCidrMaskSize: number;
  readonly nodeNetwork: string | undefined;
  readonly nodeNetworkName: string;
  readonly registryMirrors: Record<string, string[]>;
}

/** Validates the cluster keys, recording problems in `r`. */
export function validateClusterKeys(r: ConfigReader): ClusterKeys {
  const { problems, bad, get, int, cidr, image, dnsLabel } = r;
  const clusterName = dnsLabel("clusterName", MAX_CLUSTER_NAME);
  const nodeImage = image("nodeImage");
  const kubernetesVersion = kubernetesVersionOfImage(nodeImage);
  const workers = int(
    "workers",
    1,
    10,
    "must be an integer from 1 to 10 (the lab needs a second node for cross-node checks)",
  );

  const ciliumVersion = get("ciliumVersion");
  const ciliumOk = semver.valid(ciliumVersion) === ciliumVersion && isSupportedCiliumVersion(ciliumVersion);
  if (!ciliumOk) {
    bad(
      "ciliumVersion",
      ciliumVersion,
      `must be a Cilium release version in ${SUPPORTED_RANGE} (for example 1.13.0-rc5 or 1.18.12)`,
    );
  }
  if (ciliumOk && semver.gte(ciliumVersion, "1.16.0-pre.1")) {
    if (clusterName.length > MAX_CILIUM_CLUSTER_NAME && problems.every((p) => p.key !== "clusterName")) {
      bad(
        "clusterName",
        clusterName,
        `must be at most ${MAX_CILIUM_CLUSTER_NAME} characters with Cilium ${ciliumVersion} (the chart's cluster.name check)`,
      );
    }
    if (kubernetesVersion && semver.lt(kubernetesVersion, "1.21.0")) {
      bad(
        "nodeImage",
        nodeImage,
        `must run Kubernetes >= 1.21 for Cilium ${ciliumVersion} (found ${kubernetesVersion})`,
      );
    }
  }

  const nativeRoutingCidr = cidr("nativeRoutingCidr");
  const podCidr = cidr("podCidr");
  const nodeNetwork = cidr("nodeNetwork");
  const podPrefix = podCidr ? Number(podCidr.split("/")[1]) : 8;
  const podCidrMaskSize = int(
    "podCidrMaskSize",
    Math.min(podPrefix + 1, 30),
    30,
    `must be an integer from ${Math.min(podPrefix + 1, 30)} to 30 (longer than the pod CIDR's /${podPrefix})`,
  );
  if (nativeRoutingCidr && podCidr && !cidrContains(nativeRoutingCidr, podCidr)) {
    bad(
      "nativeRoutingCidr",
      nativeRoutingCidr,
      `must contain podCidr ${podCidr}, or pod traffic would be masqueraded and not routed natively`,
    );
  }
  if (nodeNetwork) {
    if (Number(nodeNetwork.split("/")[1]) > 28) {
      bad("nodeNetwork", nodeNetwork, "must be /28 or larger to hold the gateway and every node");
    }
    if (nativeRoutingCidr && cidrsOverlap(nodeNetwork, nativeRoutingCidr)) {
      bad(
        "nodeNetwork",
        nodeNetwork,
        `must not overlap nativeRoutingCidr ${nativeRoutingCidr}: node traffic would be treated as pod traffic`,
      );
    }
    if (podCidr && cidrsOverlap(nodeNetwork, podCidr)) {
      bad("nodeNetwork", nodeNetwork, `must not overlap podCidr ${podCidr}`);
    }
  }
  const nodeNetworkName = get("nodeNetworkName") || `kind-${clusterName}`;
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/.test(nodeNetworkName)) {
    bad(
      "nodeNetworkName",
      nodeNetworkName,
      "must be a Docker network name ([a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 63 characters)",
    );
  }

  const registryMirrors = mirrors(get("registryMirrors"), bad);
  return {
    clusterName,
    nodeImage,
    kubernetesVersion,
    workers,
    ciliumVersion,
    ciliumOk,
    nativeRoutingCidr,
    podCidr,
    podCidrMaskSize,
    nodeNetwork,
    nodeNetworkName,
    registryMirrors,
  };
}

function mirrors(
  value: string,
  bad: (key: string, value: string, allowed: string) => void,
): Record<string, string[]> {
  const allowed = 'must be a JSON object {"registry.host": ["https://mirror.endpoint"]}';
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    bad("registryMirrors", value, allowed);
    return {};
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    bad("registryMirrors", value, allowed);
    return {};
  }
  const result: Record<string, string[]> = {};
  for (const [host, endpoints] of Object.entries(parsed)) {
    const list = typeof endpoints === "string" ? [endpoints] : endpoints;
    if (!REGISTRY_HOST.test(host) || !Array.isArray(list) || list.length === 0) {
      bad("registryMirrors", value, `${allowed}; bad entry ${JSON.stringify(host)}`);
      continue;
    }
    const urls = list.filter((u): u is string => typeof u === "string" && MIRROR_URL.test(u));
    if (urls.length !== list.length) {
      bad(
        "registryMirrors",
        value,
        `${allowed}; endpoints of ${host} must be http(s) URLs without quotes or spaces`,
      );
      continue;
    }
    result[host] = urls;
  }
  return result;
}
