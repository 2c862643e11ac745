/**
 * cilium-unknown-values-reported: every Helm value of the Cilium release is a key the chart of that
 * version knows.
 *
 * What it reports (advisory), on the inputs of a helm.v3.Release, helm.v3.Chart or helm.v4.Chart of
 * the Cilium chart (values merged over readable valueYamlFiles):
 * - value files the pack could not read (their values are judged by no policy);
 * - top-level keys the chart does not have, present or commented out in its values.yaml, with the
 *   likely intended key (`monitorAggregation` → `bpf.monitorAggregation`, typos by edit distance);
 * - keys (at any depth) that other indexed chart versions have but this one does not: removed ones
 *   such as `tunnel` (1.15+) or `ipam.operator.clusterPoolIPv4PodCIDR` (1.14+), with what replaces
 *   them, and keys that only later charts have. Paths no indexed chart has below a known key are
 *   free-form maps (annotations, nodeSelector, ...) and are not reported.
 *
 * Why: Helm ignores unknown keys silently, and the chart schemas (1.16+) accept them, so a typo or a
 * key from another version looks set but changes nothing: the seed's `--set monitorAggregation=none`
 * left the real `bpf.monitorAggregation` at its default.
 *
 * Source: https://docs.cilium.io/en/stable/helm-reference/ (and the per-version upgrade notes,
 * https://docs.cilium.io/en/stable/operations/upgrade/)
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { INDEXED_VERSIONS, keyStatus, suggestKey } from "../../lib/chartIndex";
import { flattenValuePaths } from "../../lib/valuePaths";
import { validateCiliumRelease } from "../lib/cilium";
import { configOf } from "../lib/config";
import { isRecord, peek, show, withoutUnknowns } from "../lib/props";

const RULE = "Cilium Helm values must use keys the chart knows (Helm ignores the others silently)";

/** What replaces a removed key, and what the chart does with it. */
const REMOVED: Readonly<Record<string, { readonly use: string; readonly effect: string }>> = {
  tunnel: {
    use: "routingMode: native (tunnelProtocol for tunnels)",
    effect: "; charts from 1.15 refuse to render it",
  },
  "ipam.operator.clusterPoolIPv4PodCIDR": {
    use: "ipam.operator.clusterPoolIPv4PodCIDRList: [<cidr>]",
    effect: "; the 1.14-1.18 templates fail on it and 1.19+ ignore it",
  },
};

export interface UnknownValuesConfig {
  /** Value paths never reported (exact dotted paths, e.g. a key a fork of the chart adds). */
  readonly ignoreKeys: string[];
  /** Also report nested keys that other chart versions have but this one does not. */
  readonly reportRemovedKeys: boolean;
}

const DEFAULTS: UnknownValuesConfig = { ignoreKeys: [], reportRemovedKeys: true };

export const ciliumUnknownValuesReported: ResourceValidationPolicy = {
  name: "cilium-unknown-values-reported",
  description:
    "Every Helm value of the Cilium release must be a key of that chart version: unknown top-level keys are reported with the likely intended key, removed keys with their replacement.",
  enforcementLevel: "advisory",
  configSchema: {
    properties: {
      ignoreKeys: {
        type: "array",
        items: { type: "string" },
        default: DEFAULTS.ignoreKeys,
        description: "Dotted value paths never reported.",
      },
      reportRemovedKeys: {
        type: "boolean",
        default: DEFAULTS.reportRemovedKeys,
        description: "Also report nested keys that other chart versions have but this one does not.",
      },
    },
  },
  validateResource: validateCiliumRelease(RULE, (chart, report, args, unreadable) => {
    const config = configOf("cilium-unknown-values-reported", DEFAULTS, args);
    for (const problem of unreadable) {
      report(
        `${RULE}, and the pack could not read a values file: found ${problem}; its values were not judged by any policy of this pack (give the values inline, or a FileAsset path relative to the project directory)`,
      );
    }
    const values = withoutUnknowns(chart.values);
    if (!isRecord(values)) return;
    const iv = chart.indexedVersion;
    const ignored = new Set(config.ignoreKeys);
    const reported = new Set<string>();

    const reportPath = (path: string): void => {
      if (ignored.has(path) || reported.has(path)) return;
      reported.add(path);
      const value = brief(peek(values, path));
      const elsewhere = otherVersionsWith(path, iv);
      if (elsewhere.before !== undefined) {
        const removed = REMOVED[path];
        const fix = removed ? `use ${removed.use} instead` : "remove it";
        report(
          `${RULE}: found ${path}=${value}, a key the Cilium ${chart.version} chart no longer has (last in ${elsewhere.before})${removed?.effect ?? ""}; ${fix}`,
        );
      } else if (elsewhere.after !== undefined) {
        report(
          `${RULE}: found ${path}=${value}, a key that arrives in chart ${elsewhere.after}, after ${chart.version}; remove it or pin a chart version that has it`,
        );
      } else if (!path.includes(".")) {
        const suggestion = suggestKey(iv, path);
        const fix = suggestion
          ? `did you mean ${suggestion}? Move the value there`
          : "remove it or correct its spelling";
        report(`${RULE}: found ${path}=${value}, not a key of the Cilium ${chart.version} chart; ${fix}`);
      }
    };

    for (const key of Object.keys(values)) {
      if (keyStatus(iv, key) === undefined) {
        reportPath(key);
        continue;
      }
      if (!config.reportRemovedKeys) continue;
      for (const leaf of flattenValuePaths({ [key]: values[key] })) {
        // The shallowest unknown step of the path decides: below it everything is unknown too.
        const steps = leaf.split(".");
        for (let depth = 2; depth <= steps.length; depth++) {
          const prefix = steps.slice(0, depth).join(".");
          if (keyStatus(iv, prefix) !== undefined) continue;
          const elsewhere = otherVersionsWith(prefix, iv);
          if (elsewhere.before !== undefined || elsewhere.after !== undefined) reportPath(prefix);
          break;
        }
      }
    }
  }),
};

/** The nearest indexed chart before and after `iv` that has `path` (present or commented). */
function otherVersionsWith(path: string, iv: string): { before?: string; after?: string } {
  const at = INDEXED_VERSIONS.indexOf(iv);
  const having = INDEXED_VERSIONS.filter((v) => keyStatus(v, path) !== undefined);
  const before = having.filter((v) => INDEXED_VERSIONS.indexOf(v) < at).pop();
  const after = having.find((v) => INDEXED_VERSIONS.indexOf(v) > at);
  return { before, after };
}

/** A value for a message, cut short when it is a large object. */
function brief(value: unknown): string {
  const text = show(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
