/**
 * native-cidr-node-network-disjoint: the Cilium native-routing CIDR and the node network do not
 * overlap.
 *
 * What it checks: the IPv4 native-routing CIDR of every Cilium helm.v3.Release in the stack
 * (`ipv4NativeRoutingCIDR`, or from 1.20 the cluster-pool entry with
 * `nativeRoutingCIDRFromClusterPool`) shares no address with the subnet of any Docker network
 * (`ipamConfigs[].subnet`) or with the extra node networks of the policy config.
 *
 * Why a stack policy: it relates two resources (the release and the network), and only
 * `validateStack` sees several resources at once. It sees their OUTPUTS (pulumi/pulumi
 * pkg/resource/deploy/step_generator.go `AnalyzeResources`, lines 3518-3520: "AnalyzeStack is
 * called on the final outputs of each resource"), which limits when it can fire:
 * - preview of a new stack: never. The release sits on a Kubernetes provider whose kubeconfig is
 *   not known yet, and such a provider hands back EMPTY outputs at preview (pkg/resource/plugin/
 *   provider_plugin.go lines 1424-1440: "if the configuration for the provider is not fully known,
 *   hand back an empty property map"), so there are no values to read. (This lab's own config
 *   validation refuses an overlapping nodeNetwork/nativeRoutingCidr before anything is declared.)
 * - preview of an existing stack: yes (unchanged resources keep their recorded outputs; a changed
 *   release is previewed by a provider that is configured);
 * - up: yes, but AnalyzeStack runs after every step (deployment_executor.go lines 407-417), so a
 *   mandatory violation fails the update after the resources were changed.
 * helm.v3.Chart and helm.v4.Chart are components whose outputs hold no values: not judged here.
 * (The KindCluster's `nodeSubnet` is an arg, not a registered output: never visible here.)
 *
 * Why: Cilium neither masquerades nor tunnels traffic to the native-routing CIDR. If it covers the
 * node network, pod traffic to the nodes and the Docker gateway leaves with pod source addresses
 * that nothing on that network routes back, and node addresses inside the pod range confuse the
 * direct routes Cilium installs.
 *
 * Source: https://docs.cilium.io/en/stable/network/concepts/masquerading/ and
 * https://docs.cilium.io/en/stable/network/concepts/routing/#native-routing
 */
import { StackValidationPolicy, UnknownValueError } from "@pulumi/policy";
import { Cidr, isIPv6Cidr, overlaps, parseIPv4Cidr } from "../lib/cidr";
import { indexedVersionOf, isCiliumRelease, nativeRoutingCidr } from "../lib/cilium";
import { configOf } from "../lib/config";
import { field, isUnknown, peek, str } from "../lib/props";
import { StackResource, stackResources } from "../lib/stack";
import { TYPES } from "../lib/types";

const RULE = "The native-routing CIDR must not overlap the node network";

export interface DisjointConfig {
  /** More node networks (CIDRs) to keep apart from the native-routing CIDR, e.g. an existing cluster's. */
  readonly extraNodeNetworks: string[];
}

const DEFAULTS: DisjointConfig = { extraNodeNetworks: [] };

interface NodeNetwork {
  readonly what: string;
  readonly text: string;
  readonly urn?: string;
}

export const nativeCidrNodeNetworkDisjoint: StackValidationPolicy = {
  name: "native-cidr-node-network-disjoint",
  description:
    "The native-routing CIDR of the Cilium Helm release must not overlap the subnet of a Docker network in the stack (judged on outputs: at a preview of an existing stack and at up).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      extraNodeNetworks: {
        type: "array",
        items: { type: "string" },
        default: DEFAULTS.extraNodeNetworks,
        description: "More node network CIDRs to keep apart from the native-routing CIDR.",
      },
    },
  },
  validateStack: (args, report) => {
    const config = configOf("native-cidr-node-network-disjoint", DEFAULTS, args);
    const resources = stackResources(args);
    const networks: NodeNetwork[] = [
      ...nodeNetworks(resources),
      ...config.extraNodeNetworks.map((text) => ({ what: "extraNodeNetworks entry", text })),
    ];
    for (const release of resources) {
      if (release.type !== TYPES.helmRelease || !isCiliumRelease(release.type, release.props)) continue;
      const native = readNative(release);
      if (native === undefined) continue; // unset, invalid or unknown: cilium-direct-node-routes-required judges it
      for (const net of networks) {
        if (isIPv6Cidr(net.text)) continue;
        const cidr = parseIPv4Cidr(net.text);
        if (cidr === undefined) {
          report(
            `${RULE}: found ${net.what} ${net.text}, which is not an IPv4 CIDR; fix it`,
            net.urn ?? release.urn,
          );
        } else if (overlaps(native.cidr, cidr)) {
          report(
            `${RULE}: found ${native.source}=${native.cidr.text} overlapping ${net.what} ${net.text}; move the node network outside ${native.cidr.text} (lab config nodeNetwork) or narrow the native-routing CIDR (lab config nativeRoutingCidr)`,
            release.urn,
          );
        }
      }
    }
  },
};

/** The release's native-routing CIDR, or undefined when it is not a known, valid IPv4 CIDR. */
function readNative(release: StackResource): { source: string; cidr: Cidr } | undefined {
  const values = peek(release.props, "values");
  if (isUnknown(values)) return undefined;
  try {
    const native = nativeRoutingCidr(values ?? {}, indexedVersionOf(peek(release.props, "version")));
    const cidr = native.cidr === undefined ? undefined : parseIPv4Cidr(native.cidr);
    return cidr === undefined ? undefined : { source: native.source, cidr };
  } catch (err) {
    if (err instanceof UnknownValueError) return undefined; // known only at the update
    throw err;
  }
}

/** The Docker networks' IPv4 subnets (from their outputs). */
function nodeNetworks(resources: readonly StackResource[]): NodeNetwork[] {
  const out: NodeNetwork[] = [];
  for (const r of resources) {
    if (r.type !== TYPES.dockerNetwork) continue;
    const name = str(peek(r.props, "name")) ?? r.name;
    const ipam = peek(r.props, "ipamConfigs");
    if (!Array.isArray(ipam)) continue;
    for (const entry of ipam) {
      const subnet = str(field(entry, "subnet"));
      if (subnet !== undefined) out.push({ what: `Docker network ${name} subnet`, text: subnet, urn: r.urn });
    }
  }
  return out;
}
