/**
 * Reading the Cilium Helm release the way the chart of its version reads it.
 *
 * The keys change between chart versions (`tunnel` → `routingMode`, `clusterPoolIPv4PodCIDR` →
 * `clusterPoolIPv4PodCIDRList`, ...). Which keys a version has comes from the repository's chart
 * index (`lib/chartIndex.ts`, data in `data/cilium-chart-index.json`); how the templates use them
 * (defaults, fallbacks) is written here, from the chart notes in the Cilium values/templates.
 */
import { ReportViolation, ResourceValidation, ResourceValidationArgs } from "@pulumi/policy";
import * as semver from "semver";
import {
  INDEXED_VERSIONS,
  SUPPORTED_RANGE,
  indexedVersionFor,
  isSupportedCiliumVersion,
  keyStatus,
} from "../../lib/chartIndex";
import { helmValuesOf } from "./helmValues";
import { programDir, projectOfUrn } from "./programDir";
import { Plain, need, peek, show } from "./props";
import { HELM_TYPES, TYPES, validateResourceOfToken } from "./types";

/** The chart default of the cluster-pool pod CIDR (`clusterPoolIPv4PodCIDR` in 1.13, the list after). */
export const DEFAULT_POD_CIDR = "10.0.0.0/8";

/** IPAM modes in which the operator hands out pod CIDRs from `ipam.operator.clusterPoolIPv4PodCIDR*`. */
const CLUSTER_POOL_MODES = ["cluster-pool", "cluster-pool-v2beta"];

/** A Cilium release whose chart version the pack knows. */
export interface CiliumChart {
  /** The chart version the release pins. */
  readonly version: string;
  /** The indexed chart the version is judged by (same minor). */
  readonly indexedVersion: string;
  /** The minor version (major is 1 in the supported range): 13 for 1.13.0-rc5. */
  readonly minor: number;
  /** The Helm values (a snapshot: unknown values are markers, see props.ts). */
  readonly values: Plain;
}

/**
 * Whether a Helm release installs the Cilium chart: `cilium` (with `repositoryOpts.repo`),
 * `<repo>/cilium`, `oci://.../cilium`, or a local `cilium-<version>.tgz` / `.../cilium` folder.
 */
export function isCiliumChart(chart: unknown): boolean {
  if (typeof chart !== "string") return false;
  const last = chart.replace(/\/+$/, "").split("/").pop() ?? "";
  return last === "cilium" || /^cilium-\d[^/]*\.tgz$/.test(last);
}

/** The chart version's indexed counterpart, or undefined when the pack cannot judge that version. */
export function indexedVersionOf(version: unknown): string | undefined {
  return typeof version === "string" && isSupportedCiliumVersion(version)
    ? indexedVersionFor(version)
    : undefined;
}

/** Whether the indexed chart has the key (set in values.yaml or only commented there). */
export function chartHasKey(indexedVersion: string, path: string): boolean {
  return keyStatus(indexedVersion, path) !== undefined;
}

/**
 * The end of a violation message for a release whose chart version the pack cannot judge (after the
 * rule): which versions it can, what was found, and the fix.
 */
export function unsupportedVersionMessage(version: unknown): string {
  const supported = `this pack judges only Cilium charts ${SUPPORTED_RANGE} (indexed: ${INDEXED_VERSIONS.join(", ")})`;
  const what =
    version === undefined || version === null || version === ""
      ? "found no chart version (Helm would install the newest chart, whose keys are unknown)"
      : `found chart version ${show(version)}`;
  return `${supported}: ${what}; pin a chart version in that range (cilium-ebpf-lab:ciliumVersion)`;
}

/**
 * The chart version a Helm resource pins: `version`, or for helm.v3.Chart `fetchOpts.version` when
 * `version` is unset (ChartOpts accepts either).
 */
export function chartVersionOf(type: string, props: Plain): unknown {
  const version = need(props, "version");
  if ((version === undefined || version === "") && type === TYPES.helmChartV3) {
    return need(props, "fetchOpts.version");
  }
  return version;
}

/**
 * A resource validation for Cilium installed by Helm: `helm.v3.Release`, `helm.v3.Chart` or
 * `helm.v4.Chart` (their inputs: chart, version, values and readable `valueYamlFiles`). Other
 * resources and other charts are not applicable; a chart version the pack cannot judge is a
 * violation saying which versions it can (`rule` starts that message); otherwise `check` judges the
 * merged values. Value files the pack cannot read are reported by cilium-unknown-values-reported.
 */
export function validateCiliumRelease(
  rule: string,
  check: (
    chart: CiliumChart,
    report: ReportViolation,
    args: ResourceValidationArgs,
    unreadable: readonly string[],
  ) => void,
): ResourceValidation {
  return validateResourceOfToken(HELM_TYPES, async (props, args, report) => {
    if (!isCiliumChart(need(props, "chart"))) {
      args.notApplicable("Policy only applies to Helm resources of the Cilium chart");
    }
    const version = chartVersionOf(args.type, props);
    const indexedVersion = indexedVersionOf(version);
    if (indexedVersion === undefined) {
      report(`${rule}, and ${unsupportedVersionMessage(version)}`);
      return;
    }
    const { values, unreadable } = await helmValuesOf(
      args.props as Record<string, unknown>,
      programDir(projectOfUrn(args.urn)),
    );
    check(
      { version: version as string, indexedVersion, minor: semver.minor(version as string), values },
      report,
      args,
      unreadable,
    );
  });
}

/** Whether stack-resource props (outputs) are a Cilium Helm release, without throwing on unknowns. */
export function isCiliumRelease(type: string, props: Plain): boolean {
  return HELM_TYPES.includes(type) && isCiliumChart(peek(props, "chart"));
}

/** Where the native-routing CIDR comes from and what it is. */
export interface NativeRoutingCidr {
  /** The value(s) that set it, for messages. */
  readonly source: string;
  /** The CIDR text, or undefined when the values set none. */
  readonly cidr: string | undefined;
  /** The raw `ipv4NativeRoutingCIDR` value (for "found ..." in messages). */
  readonly raw: unknown;
}

/**
 * The IPv4 native-routing CIDR the agent gets: `ipv4NativeRoutingCIDR` when non-empty; from 1.20,
 * with `nativeRoutingCIDRFromClusterPool: true` and an empty `ipv4NativeRoutingCIDR`, the single
 * cluster-pool entry (the template fails unless the list has exactly one).
 * `indexedVersion` undefined (a version the pack cannot judge) reads only `ipv4NativeRoutingCIDR`.
 */
export function nativeRoutingCidr(values: Plain, indexedVersion: string | undefined): NativeRoutingCidr {
  const raw = need(values, "ipv4NativeRoutingCIDR");
  if (typeof raw === "string" && raw.trim() !== "") {
    return { source: "ipv4NativeRoutingCIDR", cidr: raw.trim(), raw };
  }
  if (
    indexedVersion !== undefined &&
    chartHasKey(indexedVersion, "nativeRoutingCIDRFromClusterPool") &&
    need(values, "nativeRoutingCIDRFromClusterPool") === true
  ) {
    const pods = podCidrs(values, indexedVersion);
    if (pods !== undefined && pods.cidrs.length === 1) {
      return { source: `nativeRoutingCIDRFromClusterPool (${pods.key})`, cidr: pods.cidrs[0], raw };
    }
  }
  return { source: "ipv4NativeRoutingCIDR", cidr: undefined, raw };
}

/** The cluster-pool pod CIDRs the operator hands out, and the key they come from. */
export interface PodCidrs {
  readonly key: string;
  readonly cidrs: readonly string[];
  /** True when no key sets them and the chart default applies. */
  readonly chartDefault: boolean;
}

const LIST_KEY = "ipam.operator.clusterPoolIPv4PodCIDRList";
const LEGACY_KEY = "ipam.operator.clusterPoolIPv4PodCIDR";

/**
 * The IPv4 pod CIDRs of cluster-pool IPAM as the chart of `indexedVersion` reads them, or undefined
 * when IPAM is not cluster-pool (the pod CIDRs then come from elsewhere, e.g. the node objects).
 * Charts that still have `clusterPoolIPv4PodCIDR` (1.13) use the list when it is non-empty and the
 * single key otherwise; later charts read only the list. Unset keys take the chart default.
 */
export function podCidrs(values: Plain, indexedVersion: string): PodCidrs | undefined {
  const mode = need(values, "ipam.mode") ?? "cluster-pool";
  if (typeof mode !== "string" || !CLUSTER_POOL_MODES.includes(mode)) return undefined;
  const listValue = need(values, LIST_KEY);
  const list = cidrList(listValue);
  if (chartHasKey(indexedVersion, LEGACY_KEY)) {
    if (list.length > 0) return { key: LIST_KEY, cidrs: list, chartDefault: false };
    const single = need(values, LEGACY_KEY);
    if (typeof single === "string" && single.trim() !== "") {
      return { key: LEGACY_KEY, cidrs: [single.trim()], chartDefault: false };
    }
    return { key: LEGACY_KEY, cidrs: [DEFAULT_POD_CIDR], chartDefault: true };
  }
  if (listValue === undefined || listValue === null) {
    return { key: LIST_KEY, cidrs: [DEFAULT_POD_CIDR], chartDefault: true };
  }
  return { key: LIST_KEY, cidrs: list, chartDefault: false };
}

/** A CIDR list value: an array, or a string (the template joins either with spaces). */
function cidrList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map((v) => String(v).trim()).filter((v) => v !== "");
  if (typeof value === "string") return value.split(/[\s,]+/).filter((v) => v !== "");
  return [];
}

/** True for a Helm value that reads as a set string (not undefined/null/empty). */
export function isSetString(value: unknown): value is string {
  return typeof value === "string" && value.trim() !== "";
}

/** True for `true` or `"true"` (the chart quotes most booleans, so both reach the agent alike). */
export function isTrue(value: unknown): boolean {
  return value === true || value === "true";
}
