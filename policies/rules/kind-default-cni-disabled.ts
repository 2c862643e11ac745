/**
 * kind-default-cni-disabled: the kind cluster starts without its default CNI (kindnet).
 *
 * What it checks, on resource inputs (so at every preview and before anything is created at `up`):
 * - `lab:index:KindCluster`: the component's `disableDefaultCNI` is true, and the kind config it
 *   hands to kind (`kindConfig`, parsed as YAML) has `networking.disableDefaultCNI: true`;
 * - any `command:local:Command` whose `create` runs `kind create cluster`: the config kind reads
 *   (`--config -` from the Command's stdin or a heredoc, or a `--config` file the script writes) has
 *   `networking.disableDefaultCNI: true` (see ../lib/kindCommand.ts for what is understood).
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
    "kind must start without its default CNI (kindnet): disableDefaultCNI true in the KindCluster's args and kind config, or in the config any Command gives kind create cluster.",
  rule: "kind must start without its default CNI so that Cilium is the only CNI",
  arg: "disableDefaultCNI",
  expected: true,
  whenUnset: "kind then installs kindnet",
});
