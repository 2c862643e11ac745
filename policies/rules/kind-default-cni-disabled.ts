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
import { kindSettingPolicy } from "../lib/kind";

export const kindDefaultCniDisabled = kindSettingPolicy({
  name: "kind-default-cni-disabled",
  description:
    "The kind cluster must disable kind's default CNI (kindnet), in the component's args and in the kind config YAML it passes to kind.",
  rule: "kind must start without its default CNI so that Cilium is the only CNI",
  arg: "disableDefaultCNI",
  expected: true,
});
