/**
 * clusterMode and the keys that depend on it: the kubeconfig and context of existing mode, whether
 * the stack installs (and on destroy uninstalls) Cilium, the k8sService host/port overrides, and the
 * per-mode defaults of nodeProbe and nodeDevice. Kind mode rejects the existing-mode-only keys.
 */
import * as fs from "fs";
import * as ipaddr from "ipaddr.js";
import * as path from "path";
import * as semver from "./semver";
import { indexedVersionFor, keyStatus } from "./chartIndex";
import type { ConfigReader } from "./configReader";
import type { NodeProbeMode } from "./configTypes";

/** The mode keys, validated (clusterMode is "kind" or "existing" when no problem was recorded). */
export interface ModeKeys {
  readonly clusterMode: string;
  readonly kubeconfigPath: string | undefined;
  readonly kubeconfig: string | undefined;
  readonly context: string | undefined;
  readonly installCilium: boolean;
  readonly k8sServiceHost: string | undefined;
  readonly k8sServicePort: number | undefined;
  readonly uninstallCiliumOnDestroy: boolean;
  readonly nodeProbe: NodeProbeMode;
  readonly nodeDevice: string | undefined;
}

/**
 * Validates clusterMode and the keys that depend on it, recording problems in `r`. `ciliumOk` says
 * whether `ciliumVersion` is a supported release (the version-dependent checks run only then).
 */
export function validateModeKeys(
  r: ConfigReader,
  { ciliumVersion, ciliumOk }: { readonly ciliumVersion: string; readonly ciliumOk: boolean },
): ModeKeys {
  const { bad, get, bool } = r;
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
  const nodeProbe = nodeProbeMode(get("nodeProbe"), clusterMode, bad);
  const nodeDeviceRaw = get("nodeDevice");
  if (nodeDeviceRaw !== "" && !/^[A-Za-z0-9_.@-]{1,15}$/.test(nodeDeviceRaw)) {
    bad("nodeDevice", nodeDeviceRaw, "must be a Linux interface name (1-15 characters of [A-Za-z0-9_.@-])");
  }
  const nodeDevice = nodeDeviceRaw || (clusterMode === "existing" ? undefined : "eth0");
  return {
    clusterMode,
    kubeconfigPath,
    kubeconfig,
    context,
    installCilium,
    k8sServiceHost,
    k8sServicePort,
    uninstallCiliumOnDestroy,
    nodeProbe,
    nodeDevice,
  };
}

/** The values nodeProbe takes, old ones (true/false) included, and the mode each means. */
export const NODE_PROBE_VALUES: Readonly<Record<string, NodeProbeMode>> = {
  run: "run",
  keep: "keep",
  true: "keep",
  off: "off",
  false: "off",
};

/**
 * nodeProbe: `run` (each check run creates the probe and deletes it when it ends), `keep` (the stack
 * deploys it until destroy; `true` before) or `off` (never; `false` before). Empty: keep on kind (a
 * throwaway cluster, and `npm run check` by hand finds the probe there), run in existing mode (root on
 * every node only while a run needs it).
 */
export function nodeProbeMode(raw: string, clusterMode: string, bad: ConfigReader["bad"]): NodeProbeMode {
  if (raw === "") return clusterMode === "existing" ? "run" : "keep";
  const mode = Object.hasOwn(NODE_PROBE_VALUES, raw) ? NODE_PROBE_VALUES[raw] : undefined;
  if (mode === undefined) {
    bad(
      "nodeProbe",
      raw,
      "must be run (each check run creates the node probe and deletes it after), keep or true (the stack deploys it until destroy), off or false (never: node-level checks are inconclusive); empty: keep on kind, run in existing mode",
    );
    return "off";
  }
  return mode;
}
