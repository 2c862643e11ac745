/**
 * Every policy of the pack, in one array. This module never constructs the PolicyPack (that starts
 * the analyzer server), so tests and the stack's own checks import it freely.
 */
import { Policies } from "@pulumi/policy";
import { withConfigChecked } from "./lib/config";
import { ciliumConfigDatapathRequired } from "./rules/cilium-config-datapath-required";
import { ciliumBpfMasqueradeRequired } from "./rules/cilium-bpf-masquerade-required";
import { ciliumDirectNodeRoutesRequired } from "./rules/cilium-direct-node-routes-required";
import { ciliumHostLegacyRoutingDisallowed } from "./rules/cilium-host-legacy-routing-disallowed";
import { ciliumK8sServiceHostRequired } from "./rules/cilium-k8s-service-host-required";
import { ciliumKubeProxyReplacementRequired } from "./rules/cilium-kube-proxy-replacement-required";
import { ciliumNativeRoutingRequired } from "./rules/cilium-native-routing-required";
import { ciliumUnknownValuesReported } from "./rules/cilium-unknown-values-reported";
import { controlPlaneTaintTolerated } from "./rules/control-plane-taint-tolerated";
import { kindDefaultCniDisabled } from "./rules/kind-default-cni-disabled";
import { kindKubeProxyDisabled } from "./rules/kind-kube-proxy-disabled";
import { kubeProxyDisallowed } from "./rules/kube-proxy-disallowed";
import { nativeCidrNodeNetworkDisjoint } from "./rules/native-cidr-node-network-disjoint";
import { nodeportInRange } from "./rules/nodeport-in-range";

/** Each policy checks its own config first, on every call (lib/config.ts `withConfigChecked`). */
export const policies: Policies = [
  // The Cilium Helm release (resource policies, judged in the keys of the chart version).
  ciliumNativeRoutingRequired,
  ciliumKubeProxyReplacementRequired,
  ciliumBpfMasqueradeRequired,
  ciliumDirectNodeRoutesRequired,
  ciliumK8sServiceHostRequired,
  ciliumHostLegacyRoutingDisallowed,
  ciliumUnknownValuesReported,
  // What a chart rendered (helm.v4.Chart shows no values to the engine: its children are judged).
  ciliumConfigDatapathRequired,
  // The kind cluster (resource policies on lab:index:KindCluster).
  kindDefaultCniDisabled,
  kindKubeProxyDisabled,
  // Relations between resources (stack policies).
  kubeProxyDisallowed,
  nodeportInRange,
  nativeCidrNodeNetworkDisjoint,
  controlPlaneTaintTolerated,
].map(withConfigChecked);
