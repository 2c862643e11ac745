/**
 * kind-default-cni-disabled: the kind cluster starts without its default CNI (kindnet).
 *
 * What it checks on `lab:index:KindCluster`: the component's `disableDefaultCNI` is true, and the
 * kind config it hands to kind (`kindConfig`, parsed as YAML) has `networking.disableDefaultCNI:
 * true`, since that document is what kind actually reads.
 *
 * Why: with kindnet installed, two CNIs fight over pod networking; Cilium must be the only CNI for
 * its native routing and eBPF datapath to carry the pods' traffic.
 *
 * Source: https://docs.cilium.io/en/stable/installation/kind/ (kind config: networking.disableDefaultCNI)
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "../lib/config";
import { readKindConfig } from "../lib/kind";
import { found, need, peek } from "../lib/props";
import { TYPES, validateResourceOfToken } from "../lib/types";

const RULE = "kind must start without its default CNI so that Cilium is the only CNI";

export interface DefaultCniConfig {
  /** Also parse the kind config YAML and check networking.disableDefaultCNI there. */
  readonly checkKindConfig: boolean;
}

const DEFAULTS: DefaultCniConfig = { checkKindConfig: true };

export const kindDefaultCniDisabled: ResourceValidationPolicy = {
  name: "kind-default-cni-disabled",
  description:
    "The kind cluster must disable kind's default CNI (kindnet), in the component's args and in the kind config YAML it passes to kind.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      checkKindConfig: {
        type: "boolean",
        default: DEFAULTS.checkKindConfig,
        description: "Also check networking.disableDefaultCNI in the kind config YAML.",
      },
    },
  },
  validateResource: validateResourceOfToken(TYPES.kindCluster, (props, args, report) => {
    const config = configOf(DEFAULTS, args);
    const arg = need(props, "disableDefaultCNI");
    if (arg !== true) {
      report(
        `${RULE}: found ${found("disableDefaultCNI", arg)} on the KindCluster; set disableDefaultCNI: true (its default)`,
      );
    }
    if (!config.checkKindConfig) return;
    const reading = readKindConfig(need(props, "kindConfig"));
    if (!reading.ok) {
      report(
        `${RULE}: found ${reading.problem}; pass the kind config YAML with networking.disableDefaultCNI: true`,
      );
      return;
    }
    const inYaml = peek(reading.config, "networking.disableDefaultCNI");
    if (inYaml !== true) {
      report(
        `${RULE}: found ${found("networking.disableDefaultCNI", inYaml)} in the kind config kind reads; set networking.disableDefaultCNI: true there (kindConfig() writes it from disableDefaultCNI)`,
      );
    }
  }),
};
