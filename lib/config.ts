/**
 * The lab's configuration: every key, its default, and its validation, in one place.
 *
 * `validateConfig` takes the raw strings Pulumi config holds and returns a typed {@link LabConfig}
 * with defaults applied once, or throws a {@link ConfigError} listing every bad key with its value
 * and what is allowed. `index.ts` calls it before declaring any resource, so a bad value stops
 * `pulumi preview` with nothing created.
 */
import * as fs from "fs";
import * as ipaddr from "ipaddr.js";
import * as path from "path";
import * as semver from "semver";
import { SUPPORTED_RANGE, indexedVersionFor, isSupportedCiliumVersion, keyStatus } from "./chartIndex";
import { cidrContains, cidrsOverlap, parseIPv4Cidr } from "./cidr";
import { CONFIG_KEYS } from "./configKeys";

export { cidrContains, cidrsOverlap, parseIPv4Cidr } from "./cidr";
export { CONFIG_KEYS, DEFAULT_TEST_IMAGE, type KeySpec } from "./configKeys";

/** The Pulumi project name; config keys are `cilium-ebpf-lab:<key>`. */
export const PROJECT = "cilium-ebpf-lab";

export type ClusterMode = "kind" | "existing";

/** The validated configuration of one lab stack. */
export interface LabConfig {
  readonly clusterName: string;
  readonly nodeImage: string;
  /** Kubernetes version read from the node image tag (`v1.23.4` → `1.23.4`), when the tag is one. */
  readonly kubernetesVersion?: string;
  readonly workers: number;
  readonly ciliumVersion: string;
  readonly nativeRoutingCidr: string;
  readonly podCidr: string;
  readonly podCidrMaskSize: number;
  readonly nodeNetwork: string;
  readonly nodeNetworkName: string;
  readonly registryMirrors: Readonly<Record<string, readonly string[]>>;
  readonly testImage: string;
  readonly nodePort: number;
  readonly namespace: string;
  readonly appLabel: string;
  readonly runChecks: boolean;
  readonly failOnCheckFailure: boolean;
  readonly checkTimeoutSeconds: number;
  readonly checksRunId: string;
  readonly clusterMode: ClusterMode;
  /** existing mode: kubeconfig file, absolute. */
  readonly kubeconfigPath?: string;
  /** existing mode: the kubeconfig given as a (secret) config value. */
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly installCilium: boolean;
  /** Override of Cilium's k8sServiceHost (existing mode; default: the kubeconfig's server host). */
  readonly k8sServiceHost?: string;
  /** Override of Cilium's k8sServicePort (existing mode; default: the kubeconfig's server port). */
  readonly k8sServicePort?: number;
  /** existing mode: destroy uninstalls the stack's Cilium (else the release is retained). */
  readonly uninstallCiliumOnDestroy: boolean;
  /** Deploy the privileged node-probe DaemonSet (default: kind yes, existing no). */
  readonly nodeProbe: boolean;
  /** The node device the checks use; undefined means "detect" (existing mode). */
  readonly nodeDevice?: string;
  readonly runPerformance: boolean;
  /** lab: the write-up's debug datapath; measurement: debug, per-packet monitor events and Hubble off. */
  readonly perfProfile: "lab" | "measurement";
  readonly perfRepeats: number;
  readonly perfDurationSeconds: number;
  readonly perfStreams: number;
  readonly perfPingSamples: number;
}

/** One bad key. */
export interface ConfigProblem {
  readonly key: string;
  readonly value: string;
  readonly allowed: string;
}

/** Thrown by {@link validateConfig}: names every bad key, its value and what is allowed. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      `invalid lab configuration:\n` +
        problems.map((p) => `  ${PROJECT}:${p.key} = ${JSON.stringify(p.value)}: ${p.allowed}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
/**
 * An image reference per the distribution reference grammar: [host[:port]/]path[:tag][@digest].
 * Nothing outside this grammar (spaces, quotes, `$`, `;`, backticks) can pass.
 */
const IMAGE_REF =
  /^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;
const REGISTRY_HOST = /^[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]{1,5})?$/;
const MIRROR_URL =
  /^https?:\/\/[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]{1,5})?(?:\/[A-Za-z0-9._~/-]*)?$/;

/** The namespace of the lab's workload in existing mode (created by the stack). */
export const EXISTING_NAMESPACE = "cilium-ebpf-lab";
/** Namespaces other workloads share: never the home of the lab's privileged pods in existing mode. */
const SHARED_NAMESPACES = new Set(["default", "kube-system", "kube-public", "kube-node-lease"]);

/** kind names its node containers `<name>-control-plane`, `<name>-worker10`: they must stay hostnames. */
const MAX_CLUSTER_NAME = 63 - "-control-plane".length;
/** Cilium >= 1.16 refuses a cluster.name over 32 characters (validate.yaml). */
const MAX_CILIUM_CLUSTER_NAME = 32;

/** Reads the Kubernetes version from a kindest/node tag: `kindest/node:v1.23.4@sha256:...` → `1.23.4`. */
export function kubernetesVersionOfImage(image: string): string | undefined {
  const m = /:v(\d+\.\d+\.\d+)(?:@|$)/.exec(image);
  return m ? m[1] : undefined;
}

type Raw = Readonly<Record<string, string | undefined>>;

/**
 * Validates raw config strings (as `pulumi.Config.get` returns them) and applies defaults once.
 * Unknown keys under the project namespace are rejected too, since a typo would otherwise be ignored.
 */
export function validateConfig(raw: Raw): LabConfig {
  const problems: ConfigProblem[] = [];
  const bad = (key: string, value: string, allowed: string) =>
    problems.push({
      key,
      value: Object.hasOwn(CONFIG_KEYS, key) && CONFIG_KEYS[key].secret ? "[secret]" : value,
      allowed,
    });
  const get = (key: string): string => raw[key] ?? CONFIG_KEYS[key]?.default ?? "";

  for (const key of Object.keys(raw)) {
    if (!Object.hasOwn(CONFIG_KEYS, key) && raw[key] !== undefined) {
      bad(key, raw[key] ?? "", `unknown key; known keys: ${Object.keys(CONFIG_KEYS).join(", ")}`);
    }
  }

  const int = (key: string, min: number, max: number, allowed: string): number => {
    const value = get(key);
    const n = /^[0-9]+$/.test(value.trim()) ? Number(value.trim()) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      bad(key, value, allowed);
      return min;
    }
    return n;
  };
  const bool = (key: string): boolean => {
    const value = get(key);
    if (value !== "true" && value !== "false") {
      bad(key, value, "must be true or false");
      return false;
    }
    return value === "true";
  };
  const cidr = (key: string): string | undefined => {
    const value = get(key);
    const parsed = parseIPv4Cidr(value);
    if (typeof parsed === "string") {
      bad(key, value, parsed);
      return undefined;
    }
    return value;
  };
  const image = (key: string): string => {
    const value = get(key);
    if (!IMAGE_REF.test(value) || value.length > 255) {
      bad(
        key,
        value,
        "must be an image reference [registry/]name[:tag][@sha256:digest] (no spaces or shell characters)",
      );
    }
    return value;
  };
  const dnsLabel = (key: string, max: number): string => {
    const value = get(key);
    if (!DNS1123_LABEL.test(value) || value.length > max) {
      bad(
        key,
        value,
        `must be a DNS-1123 label (lowercase a-z, 0-9, '-', starting and ending alphanumeric) of at most ${max} characters`,
      );
    }
    return value;
  };

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
  const testImage = image("testImage");
  const nodePort = int(
    "nodePort",
    30000,
    32767,
    "must be an integer in 30000-32767 (the kube-apiserver's default --service-node-port-range)",
  );
  // existing mode: the privileged test pods (and the node probe, when asked for) go in a namespace of
  // their own, created by the stack, never in a namespace other workloads share.
  const namespaceRaw =
    get("namespace") || (get("clusterMode") === "existing" ? EXISTING_NAMESPACE : "default");
  const namespace = DNS1123_LABEL.test(namespaceRaw) && namespaceRaw.length <= 63 ? namespaceRaw : "";
  if (namespace === "") {
    bad(
      "namespace",
      namespaceRaw,
      "must be a DNS-1123 label (lowercase a-z, 0-9, '-', starting and ending alphanumeric) of at most 63 characters",
    );
  } else if (get("clusterMode") === "existing" && SHARED_NAMESPACES.has(namespace)) {
    bad(
      "namespace",
      namespace,
      `must be a namespace of the lab's own in existing mode (it holds privileged pods and is created with Pod Security privileged); not one of ${[...SHARED_NAMESPACES].join(", ")}`,
    );
  }
  const appLabel = get("appLabel");
  if (!LABEL_VALUE.test(appLabel) || appLabel.length === 0 || appLabel.length > 63) {
    bad(
      "appLabel",
      appLabel,
      "must be a Kubernetes label value: 1-63 characters [A-Za-z0-9-_.], starting and ending alphanumeric",
    );
  }
  const runChecks = bool("runChecks");
  const failOnCheckFailure = bool("failOnCheckFailure");
  const checkTimeoutSeconds = int(
    "checkTimeoutSeconds",
    5,
    120,
    "must be an integer from 5 to 120 (seconds)",
  );
  const checksRunId = get("checksRunId");
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(checksRunId)) {
    bad("checksRunId", checksRunId, "must be 1-64 characters of [A-Za-z0-9_.:-] (for example a date)");
  }

  const clusterMode = get("clusterMode");
  if (clusterMode !== "kind" && clusterMode !== "existing") {
    bad("clusterMode", clusterMode, "must be kind or existing");
  }
  const installCilium = bool("installCilium");
  const kubeconfigPath = get("kubeconfigPath") || undefined;
  const kubeconfig = get("kubeconfig") || undefined;
  const context = get("context") || undefined;
  if (clusterMode === "existing") {
    if (!kubeconfigPath === !kubeconfig) {
      bad(
        "kubeconfigPath",
        kubeconfigPath ?? "",
        "existing mode needs exactly one of kubeconfigPath or kubeconfig (secret)",
      );
    } else if (kubeconfigPath && (!path.isAbsolute(kubeconfigPath) || !fs.existsSync(kubeconfigPath))) {
      bad("kubeconfigPath", kubeconfigPath, "must be the absolute path of an existing kubeconfig file");
    }
  } else {
    for (const key of ["kubeconfigPath", "kubeconfig", "context", "k8sServiceHost", "k8sServicePort"]) {
      if (get(key) !== "") bad(key, get(key), "is only used with clusterMode existing");
    }
    if (get("installCilium") === "false") {
      bad("installCilium", "false", "kind mode always installs Cilium (the cluster has no CNI)");
    }
  }
  if (context !== undefined && !/^[A-Za-z0-9@._:/-]{1,253}$/.test(context)) {
    bad("context", context, "must be a kubeconfig context name ([A-Za-z0-9@._:/-], at most 253 characters)");
  }
  const k8sServiceHost = get("k8sServiceHost") || undefined;
  if (k8sServiceHost !== undefined) {
    const autoOk = ciliumOk && semver.gte(ciliumVersion, "1.16.0-pre.2");
    const isHost = ipaddr.isValid(k8sServiceHost) || /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(k8sServiceHost);
    if (!(isHost && k8sServiceHost !== "auto") && !(k8sServiceHost === "auto" && autoOk)) {
      bad(
        "k8sServiceHost",
        k8sServiceHost,
        "must be an IP address or DNS name (auto only with Cilium >= 1.16)",
      );
    }
  }
  const k8sServicePortRaw = get("k8sServicePort");
  let k8sServicePort: number | undefined;
  if (k8sServicePortRaw !== "") {
    k8sServicePort = /^[0-9]{1,5}$/.test(k8sServicePortRaw) ? Number(k8sServicePortRaw) : NaN;
    if (!(k8sServicePort >= 1 && k8sServicePort <= 65535)) {
      bad(
        "k8sServicePort",
        k8sServicePortRaw,
        "must be a TCP port 1-65535 (the API server's port, often 443 or 6443)",
      );
    }
  }
  const uninstallCiliumOnDestroy = bool("uninstallCiliumOnDestroy");
  if (uninstallCiliumOnDestroy) {
    if (clusterMode !== "existing") {
      bad(
        "uninstallCiliumOnDestroy",
        "true",
        "is only used with clusterMode existing (kind destroy deletes the whole cluster)",
      );
    } else if (!installCilium) {
      bad(
        "uninstallCiliumOnDestroy",
        "true",
        "must be false with installCilium false (the stack installs no Cilium to uninstall)",
      );
    } else if (ciliumOk && keyStatus(indexedVersionFor(ciliumVersion), "cni.uninstall") !== "present") {
      bad(
        "uninstallCiliumOnDestroy",
        "true",
        `must be false with Cilium ${ciliumVersion}: uninstalling needs a chart with cni.uninstall (from 1.13.18), or nodes could keep Cilium's CNI config`,
      );
    }
  }
  const nodeProbeRaw = get("nodeProbe");
  if (nodeProbeRaw !== "" && nodeProbeRaw !== "true" && nodeProbeRaw !== "false") {
    bad("nodeProbe", nodeProbeRaw, "must be true or false (empty: true on kind, false in existing mode)");
  }
  const nodeProbe = nodeProbeRaw === "" ? clusterMode !== "existing" : nodeProbeRaw === "true";
  const nodeDeviceRaw = get("nodeDevice");
  if (nodeDeviceRaw !== "" && !/^[A-Za-z0-9_.@-]{1,15}$/.test(nodeDeviceRaw)) {
    bad("nodeDevice", nodeDeviceRaw, "must be a Linux interface name (1-15 characters of [A-Za-z0-9_.@-])");
  }
  const nodeDevice = nodeDeviceRaw || (clusterMode === "existing" ? undefined : "eth0");

  const runPerformance = bool("runPerformance");
  const perfDurationSeconds = int(
    "perfDurationSeconds",
    1,
    120,
    "must be an integer from 1 to 120 (seconds)",
  );
  const perfStreams = int("perfStreams", 1, 16, "must be an integer from 1 to 16");
  const perfRepeats = int("perfRepeats", 3, 50, "must be an integer from 3 to 50 (rounds)");
  const perfProfile = get("perfProfile");
  if (perfProfile !== "lab" && perfProfile !== "measurement") {
    bad("perfProfile", perfProfile, "must be lab (the write-up's debug datapath) or measurement");
  }
  const perfPingSamples = int("perfPingSamples", 5, 1000, "must be an integer from 5 to 1000");

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    clusterName,
    nodeImage,
    kubernetesVersion,
    workers,
    ciliumVersion,
    nativeRoutingCidr: nativeRoutingCidr as string,
    podCidr: podCidr as string,
    podCidrMaskSize,
    nodeNetwork: nodeNetwork as string,
    nodeNetworkName,
    registryMirrors,
    testImage,
    nodePort,
    namespace,
    appLabel,
    runChecks,
    failOnCheckFailure,
    checkTimeoutSeconds,
    checksRunId,
    clusterMode: clusterMode as ClusterMode,
    kubeconfigPath,
    kubeconfig,
    context,
    installCilium,
    k8sServiceHost,
    k8sServicePort,
    uninstallCiliumOnDestroy,
    nodeProbe,
    nodeDevice,
    runPerformance,
    perfProfile: perfProfile as LabConfig["perfProfile"],
    perfRepeats,
    perfDurationSeconds,
    perfStreams,
    perfPingSamples,
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
