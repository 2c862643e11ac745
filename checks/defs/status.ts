/**
 * `cilium-agent-status`: every agent reports the datapath the lab is built for (seed: `cilium status`
 * shows `KubeProxyReplacement: Strict`, `Host Routing: BPF`, `Masquerading: BPF [eth0] 10.0.0.0/8`,
 * `Controller Status: 35/35 healthy`, `Cluster health: 3/3 reachable`).
 *
 * One exec per agent runs both forms: `-o json` (structured modes) and the text (the only form that
 * shows cluster health, which comes from cilium-health and is not in the JSON model). Each field is
 * taken from the JSON when it shows it, else from the text.
 */
import { shellJoin } from "../../lib/shell";
import { parseCiliumStatus, type CiliumStatus } from "../parse";
import { sectionScript, shCommand, withTimeout } from "../probes";
import { cidrContains } from "../../lib/cidr";
import {
  NATIVE_CIDR_UNSET,
  type CheckDefinition,
  type ExecResult,
  type Judgement,
  type LabContext,
  type LabPod,
  type ProbeStep,
} from "../types";
import {
  combine,
  excerpt,
  fail,
  inconclusive,
  pass,
  sameText,
  usableSections,
  usableSection,
} from "../verdict";
import type { CiliumConfigKey } from "../ciliumConfig";
import {
  agentTarget,
  describeSetting,
  differsFrom,
  list,
  nativeRoutingCidr,
  nodesWithout,
  settingOf,
} from "./common";

/** `cilium status` exits 1 when a component is unhealthy; its output is still the evidence then. */
const STATUS_OK_EXIT_CODES = [0, 1];
const STATUS_TIMEOUT_SECONDS = 45;

/** The status facts that matter, each from the JSON when shown there, else from the text. */
export type AgentStatus = Omit<CiliumStatus, "raw" | "format" | "issues">;

/** Merges the JSON and text parses: JSON first for every field it shows. */
export function mergeStatus(json: CiliumStatus | undefined, text: CiliumStatus | undefined): AgentStatus {
  const pick = <K extends keyof AgentStatus>(key: K): AgentStatus[K] | undefined =>
    json?.[key] ?? text?.[key];
  return {
    ciliumVersion: pick("ciliumVersion"),
    kubeProxyReplacement: pick("kubeProxyReplacement"),
    kprDevices: json !== undefined && json.kprDevices.length > 0 ? json.kprDevices : (text?.kprDevices ?? []),
    directRoutingDevice: pick("directRoutingDevice"),
    hostRouting: pick("hostRouting"),
    masquerading: pick("masquerading"),
    masqueradeCidr: pick("masqueradeCidr"),
    routingNetwork: pick("routingNetwork"),
    clusterHealthReachable: pick("clusterHealthReachable"),
    clusterHealthTotal: pick("clusterHealthTotal"),
    controllersHealthy: pick("controllersHealthy"),
    controllersTotal: pick("controllersTotal"),
  };
}

function stepId(pod: LabPod): string {
  return `status:${pod.node}`;
}

/** The script every agent runs: the JSON form (stderr dropped, it would break the JSON), then the text. */
export const STATUS_SCRIPT = sectionScript([
  {
    name: "status-json",
    command: shellJoin(withTimeout(15, ["cilium", "status", "-o", "json"])),
    stderr: "discard",
  },
  { name: "status", command: shellJoin(withTimeout(15, ["cilium", "status"])) },
]);

function steps(ctx: LabContext): ProbeStep[] {
  return ctx.ciliumPods.map((pod) => ({
    id: stepId(pod),
    target: agentTarget(pod),
    argv: shCommand(STATUS_SCRIPT),
    timeoutSeconds: STATUS_TIMEOUT_SECONDS,
  }));
}

const AGENT_SHOWS = "the agent shows";

/**
 * Where the agent's own view and the cluster's cilium-config disagree: the agent shows the lab's
 * value although cilium-config says otherwise (the agent's view is what runs; said in the reason).
 */
function disagreement(ctx: LabContext, key: CiliumConfigKey, shown: string): Judgement[] {
  const d = settingOf(ctx, key);
  return d === undefined
    ? []
    : [pass(`${AGENT_SHOWS} ${shown} although cilium-config has ${describeSetting(d)}`)];
}

/**
 * The CIDR BPF masquerading excludes (`Masquerading: BPF [eth0] 10.0.0.0/8`, JSON
 * `masquerading.snat-exclusion-cidr-v4`) against what Cilium excludes. The agent prints
 * `RemoteSNATDstAddrExclusionCIDRv4()` (cilium/cilium daemon/cmd/status.go `getMasqueradingStatus`;
 * the text line is pkg/client/client.go `FormatStatusResponse`), which is the native-routing CIDR
 * when one is set (later versions: "or has been autodetected"), else the node's own allocation CIDR
 * (`localNode.IPv4AllocCIDR`; 1.13: `node.GetIPv4AllocRange()`): cilium/cilium
 * pkg/datapath/types/config.go lines 118-128 at 026740195c43. So with cilium-config's
 * `ipv4-native-routing-cidr` unset ({@link NATIVE_CIDR_UNSET}) the agent must exclude its node's
 * pod CIDR (CiliumNode spec.ipam.podCIDRs), or an autodetected CIDR holding it.
 */
function judgeExclusionCidr(pod: string, shown: string, ctx: LabContext): Judgement {
  const on = `on ${pod}`;
  const cidr = nativeRoutingCidr(ctx);
  if (cidr !== NATIVE_CIDR_UNSET) {
    return shown === cidr
      ? pass(`masquerading BPF excluding ${cidr}`)
      : fail(`expected masquerading BPF excluding ${cidr} ${on}, found ${shown}`);
  }
  const node = ctx.ciliumPods.find((p) => p.name === pod)?.node;
  const podCidrs = ctx.nodes.find((n) => n.name === node)?.podCidrs ?? [];
  const unset = "ipv4-native-routing-cidr unset";
  if (podCidrs.includes(shown)) {
    return pass(`masquerading BPF excluding ${shown}, ${node}'s allocation CIDR (${unset})`);
  }
  if (podCidrs.length === 0) {
    return inconclusive(
      `masquerading BPF excludes ${shown} ${on}; with ${unset} Cilium excludes the node's allocation CIDR, and none is known for ${node ?? "its node"}`,
    );
  }
  if (podCidrs.every((c) => contains(shown, c))) {
    return pass(
      `masquerading BPF excluding ${shown}, which holds ${node}'s allocation CIDR ${podCidrs.join(", ")} (${unset}: an autodetected native-routing CIDR)`,
    );
  }
  return fail(
    `expected masquerading BPF excluding ${node}'s allocation CIDR ${podCidrs.join(", ")} ${on} (${unset}: Cilium excludes the node's own allocation CIDR), found ${shown}`,
  );
}

/** Whether CIDR `outer` holds CIDR `inner`; false when either is no IPv4 CIDR. */
function contains(outer: string, inner: string): boolean {
  try {
    return cidrContains(outer, inner);
  } catch {
    return false;
  }
}

/**
 * What one agent's status says against what the lab expects, or, where the cluster's own
 * cilium-config differs from the lab (existing mode, installCilium false), against what that
 * configuration implies: a line that shows the cluster's setting `differs`; a line that contradicts a
 * setting matching the lab's fails. Host routing Legacy is implied by enable-host-legacy-routing
 * true, and by BPF masquerading or kube-proxy replacement off (BPF host routing needs both:
 * reference.md, Cilium section, from cilium/cilium Documentation/operations/performance/tuning.rst
 * "eBPF Host-Routing").
 */
export function judgeAgent(pod: string, status: AgentStatus, ctx: LabContext): Judgement[] {
  const parts: Judgement[] = [];
  const on = `on ${pod}`;
  const kpr = status.kubeProxyReplacement;
  if (kpr === undefined) parts.push(inconclusive(`KubeProxyReplacement not shown ${on}`));
  else if (/^(strict|true)$/i.test(kpr)) {
    parts.push(pass(`KubeProxyReplacement ${kpr}`));
    parts.push(...disagreement(ctx, "kube-proxy-replacement", `KubeProxyReplacement ${kpr} ${on}`));
  } else {
    parts.push(
      differsFrom(
        ctx,
        ["kube-proxy-replacement"],
        `expected KubeProxyReplacement Strict/True ${on}, found ${kpr}`,
      ),
    );
  }

  const host = status.hostRouting;
  if (host === undefined) parts.push(inconclusive(`host routing mode not shown ${on}`));
  else if (sameText(host, "BPF")) {
    parts.push(pass("host routing BPF"));
    parts.push(...disagreement(ctx, "enable-host-legacy-routing", `host routing BPF ${on}`));
  } else {
    parts.push(
      differsFrom(
        ctx,
        ["enable-host-legacy-routing", "enable-bpf-masquerade", "kube-proxy-replacement"],
        `expected host routing BPF ${on}, found ${host}`,
      ),
    );
  }

  const masq = status.masquerading;
  if (masq === undefined) parts.push(inconclusive(`masquerading mode not shown ${on}`));
  else if (!sameText(masq, "BPF")) {
    // `Disabled`: enable-ipv4-masquerade false; iptables: BPF masquerading off.
    const key = /disabled/i.test(masq) ? "enable-ipv4-masquerade" : "enable-bpf-masquerade";
    parts.push(differsFrom(ctx, [key], `expected masquerading BPF ${on}, found ${masq}`));
  } else if (status.masqueradeCidr === undefined) {
    parts.push(pass("masquerading BPF (exclusion CIDR not shown)"));
    parts.push(...disagreement(ctx, "enable-bpf-masquerade", `masquerading BPF ${on}`));
  } else {
    const excluded = judgeExclusionCidr(pod, status.masqueradeCidr, ctx);
    parts.push(excluded);
    if (excluded.verdict === "pass") {
      parts.push(...disagreement(ctx, "enable-bpf-masquerade", `masquerading BPF ${on}`));
    }
  }

  const routing = status.routingNetwork;
  if (routing !== undefined) {
    if (/^native/i.test(routing)) {
      parts.push(pass(`routing ${routing}`));
      parts.push(...disagreement(ctx, "routing-mode", `routing ${routing} ${on}`));
    } else parts.push(differsFrom(ctx, ["routing-mode"], `expected native routing ${on}, found ${routing}`));
  }

  const { clusterHealthReachable: reachable, clusterHealthTotal: total } = status;
  // The cluster's node count: with a sampled context, cilium-health still reports every node.
  const nodes = ctx.sampledFrom ?? ctx.nodes.length;
  if (reachable === undefined || total === undefined)
    parts.push(inconclusive(`cluster health not shown ${on}`));
  else if (reachable !== nodes || total !== nodes) {
    parts.push(
      fail(`expected cluster health ${nodes}/${nodes} reachable ${on}, found ${reachable}/${total}`),
    );
  } else parts.push(pass(`cluster health ${reachable}/${total}`));

  const { controllersHealthy: healthy, controllersTotal: controllers } = status;
  if (healthy === undefined || controllers === undefined)
    parts.push(inconclusive(`controller status not shown ${on}`));
  else if (healthy !== controllers) {
    parts.push(fail(`expected all controllers healthy ${on}, found ${healthy}/${controllers}`));
  } else parts.push(pass(`controllers ${healthy}/${controllers} healthy`));
  return parts;
}

/** Reads an agent's status from its step (JSON and text sections); undefined plus a reason when unusable. */
export function readAgentStatus(
  step: ProbeStep,
  results: ReadonlyMap<string, ExecResult>,
): { status: AgentStatus } | { judgement: Judgement } {
  const usable = usableSections(step, results, { okExitCodes: STATUS_OK_EXIT_CODES });
  if (!usable.ok) return { judgement: usable.judgement };
  const json = usableSection(step, usable.sections, "status-json", { okExitCodes: STATUS_OK_EXIT_CODES });
  const text = usableSection(step, usable.sections, "status", { okExitCodes: STATUS_OK_EXIT_CODES });
  const parsedJson = json.ok ? parseCiliumStatus(json.section.output) : undefined;
  const parsedText = text.ok ? parseCiliumStatus(text.section.output) : undefined;
  if (parsedJson?.format === undefined && parsedText?.format === undefined) {
    const why = !text.ok
      ? text.judgement.reason
      : `output not recognised as cilium status: ${excerpt(text.section.output)}`;
    return { judgement: inconclusive(why) };
  }
  return {
    status: mergeStatus(
      parsedJson?.format === "json" ? parsedJson : undefined,
      parsedText?.format ? parsedText : undefined,
    ),
  };
}

/** One value when every agent agrees, else the value per agent. */
function agreed(values: ReadonlyMap<string, string | undefined>): unknown {
  const distinct = new Set([...values.values()]);
  if (distinct.size === 1) return [...distinct][0];
  return Object.fromEntries(values);
}

function judge(ctx: LabContext, results: ReadonlyMap<string, ExecResult>): Judgement {
  const all = steps(ctx);
  if (all.length === 0) return inconclusive("no Cilium agent pods found in kube-system");
  const parts: Judgement[] = [];
  const missing = nodesWithout(ctx, ctx.ciliumPods);
  if (missing.length > 0) parts.push(inconclusive(`no Cilium agent pod on ${list(missing)}`));
  const statuses = new Map<string, AgentStatus>();
  const notes: string[] = [];
  for (const pod of ctx.ciliumPods) {
    const step = all.find((s) => s.id === stepId(pod));
    if (step === undefined) continue;
    const read = readAgentStatus(step, results);
    if ("judgement" in read) {
      parts.push(read.judgement);
      continue;
    }
    statuses.set(pod.name, read.status);
    const own = judgeAgent(pod.name, read.status, ctx);
    // Where the agent disagrees with cilium-config, that stays in the reason whatever else is found.
    notes.push(...own.filter((p) => p.reason.startsWith(AGENT_SHOWS)).map((p) => p.reason));
    const judged = own.filter((p) => !p.reason.startsWith(AGENT_SHOWS));
    const bad = judged.filter((p) => p.verdict !== "pass");
    parts.push(...(bad.length > 0 ? bad : [pass(`${pod.name}: ${judged.map((p) => p.reason).join(", ")}`)]));
  }
  const fact = (key: keyof AgentStatus): unknown =>
    agreed(new Map([...statuses].map(([pod, s]) => [pod, s[key] as string | undefined])));
  const facts: Record<string, unknown> = {};
  if (statuses.size > 0) {
    const entries: [string, keyof AgentStatus][] = [
      ["kubeProxyReplacement", "kubeProxyReplacement"],
      ["hostRouting", "hostRouting"],
      ["masquerading", "masquerading"],
      ["routingMode", "routingNetwork"],
      ["ciliumVersion", "ciliumVersion"],
    ];
    for (const [name, key] of entries) {
      const value = fact(key);
      if (value !== undefined) facts[name] = value;
    }
  }
  const verdict = combine(parts, facts);
  return notes.length === 0 ? verdict : { ...verdict, reason: `${verdict.reason}; ${notes.join("; ")}` };
}

export const ciliumAgentStatus: CheckDefinition = {
  name: "cilium-agent-status",
  proves:
    "Every Cilium agent runs the lab's datapath: kube-proxy replacement on, BPF host routing, BPF masquerading that excludes the native-routing CIDR (where cilium-config sets none, the node's own allocation CIDR, as Cilium does), native routing, every node reachable and every controller healthy.",
  // The native-routing CIDR is the cluster's own already (index.ts passes cilium-config's), so it is not declared.
  restsOn: [
    "kube-proxy-replacement",
    "enable-host-legacy-routing",
    "enable-bpf-masquerade",
    "enable-ipv4-masquerade",
    "routing-mode",
  ],
  steps,
  judge,
};
