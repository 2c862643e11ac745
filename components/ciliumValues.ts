/**
 * The Cilium Helm values of the lab, written in the keys that exist in the chosen chart version.
 *
 * The seed installs 1.13.0-rc5 with `--set` flags; several of them were renamed or removed later
 * (see ../shared/cilium-chart/README.md, distilled into data/cilium-chart-index.json). This module
 * keeps the seed's intent and changes only the spelling per version.
 */
import * as ipaddr from "ipaddr.js";
import * as semver from "../lib/semver";
import { SUPPORTED_RANGE, indexedVersionFor, isSupportedCiliumVersion, keyStatus } from "../lib/chartIndex";

/**
 * What the lab wants from Cilium, independent of how a chart version spells it. `H` is the type of
 * the API server address: a string, or (in the stack) an Output known only after the cluster exists,
 * so that every other value is known at preview and the policy pack can judge it then.
 */
export interface CiliumSettings<H = string> {
  /** cluster.name. From 1.16 the chart fails unless it is 1-32 chars of `[a-z0-9-]`, no leading or trailing `-`. */
  readonly clusterName: string;
  /** The control-plane's real address (k8sServiceHost): without kube-proxy the agent cannot reach the ClusterIP. */
  readonly k8sServiceHost: H;
  /** The API server port (k8sServicePort). Defaults to 6443. */
  readonly k8sServicePort?: number;
  /** ipv4NativeRoutingCIDR: traffic to it is routed natively, not masqueraded (the seed uses 10.0.0.0/8). */
  readonly nativeRoutingCidr: string;
  /** The cluster-pool IPAM range pod CIDRs are carved from. */
  readonly podCidr: string;
  /** Prefix length of each node's pod CIDR (clusterPoolIPv4MaskSize), e.g. 24. */
  readonly podCidrMaskSize: number;
  /**
   * Existing mode only: annotations on the agent pods (`podAnnotations`, in every indexed chart), by
   * which a later preflight recognises the Cilium this stack installed (existing/refusals.ts STACK_MARKER).
   */
  readonly podAnnotations?: Readonly<Record<string, string>>;
  /**
   * Existing mode only: `cni.uninstall` ("Remove the CNI configuration and binary files on agent
   * shutdown. Enable this if you're removing Cilium from the cluster", values.yaml of 1.13.18-1.20.0;
   * the 1.13.0-rc5 chart has no such key). Written only when set.
   */
  readonly cniUninstall?: boolean;
  /**
   * `lab` (default): the seed's debug datapath. `measurement`: debug off, `bpf.monitorAggregation:
   * medium` (the chart's default) and `hubble.enabled: false`, the settings Cilium's tuning guide
   * (Documentation/operations/performance/tuning.rst, "Hubble": 1-15 % overhead) advises for speed.
   */
  readonly datapathProfile?: "lab" | "measurement";
  /**
   * The A/B's second lab (datapathVariant legacy-host-routing): `bpf.hostLegacyRouting: true`, which
   * the chart renders as `enable-host-legacy-routing` ("Configure whether direct routing mode should
   * route traffic via host stack (true) or directly and more efficiently out of BPF (false)").
   * Every indexed chart has the key: values.yaml line 402 (1.13.0-rc5), 436 (1.13.18), 491 (1.14.19),
   * 515 (1.15.19), 527 (1.16.19), 622 (1.17.18), 683 (1.18.12), 712 (1.19.6), 716 (1.20.0), each
   * `hostLegacyRouting: ~` under `bpf:` (../shared/cilium-chart/<version>/values.yaml). Written only
   * when true and only where the chart has it.
   */
  readonly hostLegacyRouting?: boolean;
}

/**
 * 1.14 is where the values the seed relies on changed spelling (first stable with all three):
 * `routingMode` replaced `tunnel`, `clusterPoolIPv4PodCIDRList` replaced `clusterPoolIPv4PodCIDR`,
 * and `kubeProxyReplacement` took `true`/`false`. `-0` makes every 1.14.0 prerelease count as 1.14:
 * semver orders Cilium's `-snapshot.N`/`-pre.N`/`-rc.N` tags alphabetically, not in release order,
 * so the exact snapshot where each change landed cannot be expressed as a semver bound anyway.
 */
const VALUES_RENAMED_IN = "1.14.0-0";
/** From 1.16 the chart's validate.yaml checks cluster.name (length and characters). */
const CLUSTER_NAME_CHECKED_FROM = "1.16.0-0";
/** The regex validate.yaml applies to cluster.name from 1.16 (with at most 32 characters). */
const CLUSTER_NAME = /^([a-z0-9][-a-z0-9]*)?[a-z0-9]$/;

/**
 * Helm values that reproduce the seed lab on Cilium `version` (any version in SUPPORTED_RANGE, not
 * only the indexed ones; the spelling is decided by semver):
 * - strict kube-proxy replacement: `kubeProxyReplacement: "strict"` on 1.13; boolean `true` from
 *   1.14 (`strict` is deprecated in 1.14-1.15, does not enable everything `true` does, and fails
 *   the template from 1.16);
 * - native routing: `tunnel: "disabled"` on 1.13; `routingMode: "native"` from 1.14. `tunnel` is
 *   never written from 1.14: deprecated there, and from 1.15 validate.yaml fails the install when it
 *   is set at all;
 * - `autoDirectNodeRoutes: true` and `ipv4NativeRoutingCIDR` (from 1.18 the template fails in native
 *   mode without the CIDR when IPv4 masquerade is explicitly on);
 * - BPF masquerade (`bpf.masquerade: true`, needed for BPF host routing) and
 *   `bpf.monitorAggregation: "none"`: the seed's `--set monitorAggregation=none` set a top-level key
 *   that no chart reads, so the seed actually ran with the default `medium`; the lab sets the real key;
 * - cluster-pool IPAM with the pod range as `clusterPoolIPv4PodCIDR` (1.13) or
 *   `clusterPoolIPv4PodCIDRList: [cidr]` (1.14+, where the old key makes the template fail up to 1.18
 *   and is silently ignored from 1.19) and the per-node mask size;
 * - `k8sServiceHost`/`k8sServicePort` (a number, as the seed's `--set k8sServicePort=6443` gives),
 *   `debug: { enabled: true, verbose: "datapath" }` and `cluster.name`; with the `measurement`
 *   datapath profile instead debug off, `bpf.monitorAggregation: "medium"` and `hubble.enabled: false`.
 * Nothing else is written: every other value keeps the chart's default, as in the seed.
 * Throws an Error for an unsupported version or settings the chart would reject.
 */
export function ciliumValues<H = string>(
  version: string,
  settings: CiliumSettings<H>,
): Record<string, unknown> {
  if (!isSupportedCiliumVersion(version)) {
    throw new Error(
      `Cilium ${JSON.stringify(version)} is not supported: the lab knows the Helm values of ${SUPPORTED_RANGE} ` +
        `(see data/cilium-chart-index.json)`,
    );
  }
  checkSettings(version, settings);
  const renamed = semver.gte(version, VALUES_RENAMED_IN);
  const operator = renamed
    ? { clusterPoolIPv4PodCIDRList: [settings.podCidr], clusterPoolIPv4MaskSize: settings.podCidrMaskSize }
    : { clusterPoolIPv4PodCIDR: settings.podCidr, clusterPoolIPv4MaskSize: settings.podCidrMaskSize };
  const measurement = settings.datapathProfile === "measurement";
  return {
    k8sServiceHost: settings.k8sServiceHost,
    k8sServicePort: settings.k8sServicePort ?? 6443,
    debug: measurement ? { enabled: false } : { enabled: true, verbose: "datapath" },
    bpf: {
      masquerade: true,
      monitorAggregation: measurement ? "medium" : "none",
      ...(settings.hostLegacyRouting === true ? { hostLegacyRouting: true } : {}),
    },
    ...(measurement ? { hubble: { enabled: false } } : {}),
    ipam: { mode: "cluster-pool", operator },
    cluster: { name: settings.clusterName },
    kubeProxyReplacement: renamed ? true : "strict",
    ...(renamed ? { routingMode: "native" } : { tunnel: "disabled" }),
    autoDirectNodeRoutes: true,
    ipv4NativeRoutingCIDR: settings.nativeRoutingCidr,
    ...(settings.podAnnotations !== undefined ? { podAnnotations: { ...settings.podAnnotations } } : {}),
    ...(settings.cniUninstall !== undefined ? { cni: { uninstall: settings.cniUninstall } } : {}),
  };
}

/** Rejects settings the chart or the agent would reject later, with the reason, before any install. */
function checkSettings<H>(version: string, s: CiliumSettings<H>): void {
  // A host that is not a string yet (an Output) is checked by whoever resolves it.
  if (typeof s.k8sServiceHost === "string" && s.k8sServiceHost.trim() === "") {
    throw new Error("k8sServiceHost is empty: without kube-proxy Cilium needs the API server's real address");
  }
  const port = s.k8sServicePort ?? 6443;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`k8sServicePort must be an integer port 1-65535 (got ${port})`);
  }
  for (const [name, cidr] of [
    ["nativeRoutingCidr", s.nativeRoutingCidr],
    ["podCidr", s.podCidr],
  ] as const) {
    if (!ipaddr.IPv4.isValidCIDR(cidr)) {
      throw new Error(`${name} must be an IPv4 CIDR (got ${JSON.stringify(cidr)})`);
    }
  }
  const podPrefix = ipaddr.IPv4.parseCIDR(s.podCidr)[1];
  if (!Number.isInteger(s.podCidrMaskSize) || s.podCidrMaskSize < podPrefix || s.podCidrMaskSize > 32) {
    throw new Error(
      `podCidrMaskSize must be an integer from ${podPrefix} (the prefix of ${s.podCidr}) to 32 (got ${s.podCidrMaskSize})`,
    );
  }
  if (s.clusterName === "") throw new Error("clusterName is empty");
  if (s.cniUninstall !== undefined && keyStatus(indexedVersionFor(version), "cni.uninstall") !== "present") {
    throw new Error(
      `cni.uninstall does not exist in the Cilium ${version} chart (it appears in 1.13.18's values): choose a newer ciliumVersion`,
    );
  }
  if (
    s.hostLegacyRouting === true &&
    keyStatus(indexedVersionFor(version), "bpf.hostLegacyRouting") !== "present"
  ) {
    throw new Error(`bpf.hostLegacyRouting does not exist in the Cilium ${version} chart`);
  }
  if (
    semver.gte(version, CLUSTER_NAME_CHECKED_FROM) &&
    (s.clusterName.length > 32 || !CLUSTER_NAME.test(s.clusterName))
  ) {
    throw new Error(
      `clusterName ${JSON.stringify(s.clusterName)} is rejected by the Cilium ${version} chart: from 1.16 it must be ` +
        `at most 32 characters matching ${CLUSTER_NAME.source} (the seed's 33-character name only works up to 1.15)`,
    );
  }
}
