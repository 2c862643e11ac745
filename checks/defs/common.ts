/**
 * What the check definitions share: where commands run (agent, probe and test pods), which pods a
 * check uses, and the step time budgets.
 */
import type { CiliumConfigKey, SettingDifference } from "../ciliumConfig";
import type { ExecTarget, Judgement, LabContext, LabNode, LabPod, ProbeStep } from "../types";
import { fail } from "../verdict";

/** Cilium's default `ipv4NativeRoutingCIDR` in the seed, used when the context does not carry one. */
export const DEFAULT_NATIVE_ROUTING_CIDR = "10.0.0.0/8";

/** The port the test DaemonSet's HTTP server listens on (the service's targetPort). */
export const TEST_POD_PORT = 80;

/** Seconds added to a command's own bound for the step timeout (the exec itself, tool start-up). */
export const STEP_MARGIN_SECONDS = 10;

/** Upper bound of any step's timeout; a test holds every check to it. */
export const MAX_STEP_TIMEOUT_SECONDS = 60;

/** The container of a Cilium agent pod that has the in-agent CLI, `tc`, `ip` and `bpftool`. */
export const CILIUM_AGENT_CONTAINER = "cilium-agent";

export function nativeRoutingCidr(ctx: LabContext): string {
  return ctx.nativeRoutingCidr ?? DEFAULT_NATIVE_ROUTING_CIDR;
}

/** Exec target of a pod's default container (test pods, the client, node probes). */
export function podTarget(pod: LabPod): ExecTarget {
  return { namespace: pod.namespace, pod: pod.name };
}

/** Exec target of a Cilium agent pod's agent container. */
export function agentTarget(pod: LabPod): ExecTarget {
  return { namespace: pod.namespace, pod: pod.name, container: CILIUM_AGENT_CONTAINER };
}

/** The node device of one node: the agent's own direct-routing device when known, else ctx.nodeDevice. */
export function deviceOn(ctx: LabContext, node: string): string {
  return ctx.nodeDevices?.[node] ?? ctx.nodeDevice;
}

export function nodeByName(ctx: LabContext, name: string): LabNode | undefined {
  return ctx.nodes.find((n) => n.name === name);
}

/** The node-probe pod (hostNetwork, privileged) on a node. */
export function probeOn(ctx: LabContext, node: string): LabPod | undefined {
  return ctx.probePods.find((p) => p.node === node);
}

/** The Cilium agent pod on a node. */
export function agentOn(ctx: LabContext, node: string): LabPod | undefined {
  return ctx.ciliumPods.find((p) => p.node === node);
}

/** The first test pod on a node (in context order). */
export function testPodOn(ctx: LabContext, node: string): LabPod | undefined {
  return ctx.testPods.find((p) => p.node === node);
}

/** A test pod on the client's node, for same-node checks. */
export function sameNodePeer(ctx: LabContext): LabPod | undefined {
  return testPodOn(ctx, ctx.client.node);
}

/**
 * A test pod on another node than the client's, for cross-node checks. Workers come before the
 * control plane (the seed pings the worker's pod), then nodes by name, so the choice is stable.
 */
export function crossNodePeer(ctx: LabContext): LabPod | undefined {
  const rank = (pod: LabPod): string => {
    const role = nodeByName(ctx, pod.node)?.role ?? "worker";
    return `${role === "worker" ? 0 : 1}/${pod.node}/${pod.name}`;
  };
  return [...ctx.testPods]
    .filter((p) => p.node !== ctx.client.node)
    .sort((a, b) => rank(a).localeCompare(rank(b)))[0];
}

/** The step of a check with this id (judges rebuild the steps from the context to read their metadata). */
export function stepById(steps: readonly ProbeStep[], id: string): ProbeStep | undefined {
  return steps.find((s) => s.id === id);
}

/** Nodes without a pod in `pods` (agents or probes), for "missing pod" reasons. */
export function nodesWithout(ctx: LabContext, pods: readonly LabPod[]): string[] {
  return ctx.nodes.filter((n) => !pods.some((p) => p.node === n.name)).map((n) => n.name);
}

/** `"a, b and c"`. */
export function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/**
 * The cluster's own value of a cilium-config key where it is not the lab's (existing mode,
 * installCilium false); undefined: the lab's value applies. A check reads only keys it declares in
 * restsOn (runner/profileVerdicts.ts holds a `differs` to that).
 */
export function settingOf(ctx: LabContext, key: CiliumConfigKey): SettingDifference | undefined {
  return ctx.clusterDifferences?.find((d) => d.key === key);
}

/** `routing-mode tunnel (lab: native)`. */
export function describeSetting(d: SettingDifference): string {
  return `${d.key} ${d.found} (lab: ${d.lab})`;
}

/**
 * The verdict `differs`: what the check found is what the cluster's own cilium-config implies
 * (`keys`), not the lab's datapath; the reason starts with the settings and goes on with what was
 * found. When none of `keys` differs on this cluster the lab's expectation applies and was not met:
 * a `fail` with the same reason.
 */
export function differsFrom(
  ctx: LabContext,
  keys: readonly CiliumConfigKey[],
  reason: string,
  facts?: Readonly<Record<string, unknown>>,
): Judgement {
  const found = keys.map((k) => settingOf(ctx, k)).filter((d): d is SettingDifference => d !== undefined);
  if (found.length === 0) return fail(reason, facts);
  return {
    verdict: "differs",
    reason: `differs from the lab profile as cilium-config ${found.map(describeSetting).join(", ")} implies: ${reason}`,
    explainedBy: found.map((d) => d.key),
    ...(facts === undefined ? {} : { facts }),
  };
}

/**
 * Whether the cluster tunnels between nodes: its routing-mode differs from the lab's native (a value
 * of `tunnel`, or not set: "When no configuration is provided, Cilium automatically runs in this
 * mode", cilium/cilium Documentation/network/concepts/routing.rst @01362dfe, section Encapsulation).
 */
export function tunnelled(ctx: LabContext): SettingDifference | undefined {
  return settingOf(ctx, "routing-mode");
}
