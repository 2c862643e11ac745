/**
 * cilium-bpf-masquerade-required: Cilium masquerades pod traffic leaving the native-routing CIDR in
 * eBPF, not with iptables.
 *
 * What it checks: `bpf.masquerade: true` (unset means the agent default, false), and that IPv4
 * masquerading is not switched off as a whole with `enableIPv4Masquerade: false`.
 *
 * Why: the lab has no kube-proxy and no iptables datapath to fall back on; BPF masquerading is also
 * a precondition of BPF host routing (without it `cilium status` shows `Host Routing: Legacy`).
 *
 * Source: https://docs.cilium.io/en/stable/network/concepts/masquerading/
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { validateCiliumRelease } from "../lib/cilium";
import { configOf } from "../lib/config";
import { found, need } from "../lib/props";

const RULE = "Cilium must masquerade in eBPF";
const FROM_LAB = "the stack writes it from lab config; remove the override";

export interface BpfMasqueradeConfig {
  /** Also report `enableIPv4Masquerade: false`, which turns IPv4 masquerading off altogether. */
  readonly checkIPv4Masquerade: boolean;
}

const DEFAULTS: BpfMasqueradeConfig = { checkIPv4Masquerade: true };

export const ciliumBpfMasqueradeRequired: ResourceValidationPolicy = {
  name: "cilium-bpf-masquerade-required",
  description:
    "The Cilium Helm release must masquerade in eBPF: bpf.masquerade true, and IPv4 masquerading not disabled by enableIPv4Masquerade false.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      checkIPv4Masquerade: {
        type: "boolean",
        default: DEFAULTS.checkIPv4Masquerade,
        description: "Also report enableIPv4Masquerade: false.",
      },
    },
  },
  validateResource: validateCiliumRelease(RULE, (chart, report, args) => {
    const config = configOf("cilium-bpf-masquerade-required", DEFAULTS, args);
    const masquerade = need(chart.values, "bpf.masquerade");
    if (masquerade !== true) {
      const why =
        masquerade === undefined || masquerade === null
          ? " (the agent default is false: iptables masquerading)"
          : typeof masquerade === "string"
            ? " (a string; the 1.16+ schema wants a boolean)"
            : "";
      report(
        `${RULE}: found ${found("bpf.masquerade", masquerade)}${why}; set bpf.masquerade: true (${FROM_LAB})`,
      );
    }
    if (config.checkIPv4Masquerade) {
      const ipv4 = need(chart.values, "enableIPv4Masquerade");
      if (ipv4 === false || ipv4 === "false") {
        report(
          `${RULE}: found ${found("enableIPv4Masquerade", ipv4)}, which turns IPv4 masquerading (BPF or not) off; remove enableIPv4Masquerade or set it to true`,
        );
      }
    }
  }),
};
