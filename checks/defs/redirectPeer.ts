/**
 * `redirect-peer-same-node` and `redirect-peer-cross-node` (bpf_redirect_peer), as the seed observes
 * them with tcpdump (`redirect-neigh` is in redirectNeigh.ts).
 *
 * bpf_redirect_peer, seed: while `net` (10.0.2.40) pings a pod, the pod's own eth0 sees the request and
 * the reply, but on the host side of the veth pairs the DESTINATION pod's veth (lxccb7c1b078d26,
 * lxc56a9c4b40736) shows only the echo reply and the SOURCE pod's veth (lxcbf5cb1e7ceb0) only the
 * echo request: packets towards a pod are put straight into its namespace, skipping the host-side
 * veth; packets leaving a pod cross it. With Legacy host routing both veths see both directions.
 *
 * Finding the host-side veth in one parallel phase: each pod prints `/sys/class/net/eth0/iflink` (the
 * ifindex of its peer on the node) in the same exec as its traffic or sanity capture, and the node
 * script captures on every lxc device of the node at once and labels each capture with the device's
 * ifindex; the judge matches them. No step waits for another's output.
 */
import { parseTcpdump } from "../parse";
import {
  CAPTURE_OK_EXIT_CODES,
  CAPTURE_SECONDS,
  PING_OK_EXIT_CODES,
  CAPTURE_READY,
  shCommand,
  withTimeout,
} from "../probes";
import type { CheckDefinition, ExecResult, Judgement, LabContext, LabPod, ProbeStep } from "../types";
import { combine, fail, inconclusive, pass, usableSection, usableSections } from "../verdict";
import {
  STEP_MARGIN_SECONDS,
  agentTarget,
  agentOn,
  crossNodePeer,
  differsFrom,
  probeOn,
  podTarget,
  sameNodePeer,
  settingOf,
  stepById,
} from "./common";
import {
  type HostRouting,
  HOST_ROUTING_STATUS_TIMEOUT_SECONDS,
  LEGACY_CAUSES,
  LEGACY_KEYS,
  hostRoutingOf,
  legacyStatusLine,
} from "./hostRouting";
import { agentTraceStep, describeEvent, requestTrace, traceStepHostRouting } from "./pathTrace";
import { readPing } from "./ping";
import {
  describeSeen,
  destinationScript,
  icmpBetween,
  iflinkOf,
  PING_DEADLINE_SECONDS,
  seenBetween,
  sourceScript,
  vethCapture,
  vethCaptureScript,
  type Seen,
} from "./vethCapture";

interface PeerPlan {
  readonly src: LabPod;
  readonly dst: LabPod;
  /** Nodes whose lxc devices are captured: the source's, then the destination's when different. */
  readonly nodes: readonly string[];
  /**
   * Cross-node only: the destination agent's trace stream runs during the ping (step `trace`, its
   * `status` section giving the host routing mode). Same-node traces separate nothing (both modes show
   * `<- endpoint` / `-> endpoint`, ../shared/reference.md "Path traces"), so that plan reads the status
   * alone (step `host-routing`).
   */
  readonly traceDestination: boolean;
}

const TRACE_STEP = "trace";

function vethStepId(node: string): string {
  return `veths:${node}`;
}

function peerSteps(plan: PeerPlan | undefined, ctx: LabContext): ProbeStep[] {
  if (plan === undefined) return [];
  const agent = agentOn(ctx, plan.dst.node);
  const filter = icmpBetween(plan.src.ip, plan.dst.ip);
  const captures = plan.nodes.filter((node) => probeOn(ctx, node) !== undefined);
  const steps: ProbeStep[] = [
    {
      id: "source",
      target: podTarget(plan.src),
      argv: shCommand(sourceScript(plan.dst.ip)),
      timeoutSeconds: PING_DEADLINE_SECONDS + 5 + STEP_MARGIN_SECONDS,
      // The ping starts once every capture listens (and the destination agent's trace stream, if any).
      startAfter: [
        "destination",
        ...captures.map(vethStepId),
        ...(plan.traceDestination && agent !== undefined ? [TRACE_STEP] : []),
      ].map((step) => ({ step, when: "ready" })),
    },
    {
      id: "destination",
      target: podTarget(plan.dst),
      argv: shCommand(destinationScript(filter)),
      timeoutSeconds: CAPTURE_SECONDS + 5 + STEP_MARGIN_SECONDS,
      readyWhen: CAPTURE_READY,
    },
  ];
  for (const node of captures) {
    steps.push({
      id: vethStepId(node),
      target: podTarget(probeOn(ctx, node)!),
      argv: shCommand(vethCaptureScript(filter)),
      timeoutSeconds: CAPTURE_SECONDS + STEP_MARGIN_SECONDS,
      readyWhen: CAPTURE_READY,
    });
  }
  if (agent !== undefined && plan.traceDestination) steps.push(agentTraceStep(TRACE_STEP, agent));
  else if (agent !== undefined) {
    steps.push({
      id: "host-routing",
      target: agentTarget(agent),
      argv: withTimeout(HOST_ROUTING_STATUS_TIMEOUT_SECONDS, ["cilium", "status"]),
      timeoutSeconds: HOST_ROUTING_STATUS_TIMEOUT_SECONDS + STEP_MARGIN_SECONDS,
    });
  }
  return steps;
}

/** Judges what one veth saw against the expectation for its role. */
function judgeVeth(
  role: "source" | "destination",
  dev: string,
  pod: LabPod,
  seen: Seen,
  mode: HostRouting,
): Judgement {
  const where = `${dev}, the host-side veth of ${role} ${pod.name} (${pod.node})`;
  // A capture that saw neither direction while the sanity capture in the pod saw both missed the
  // traffic or watched the wrong device: it proves nothing in either mode.
  if (!seen.request && !seen.reply)
    return inconclusive(`the capture on ${where} saw neither direction, so it proves nothing`);
  if (mode === "Legacy") {
    if (seen.request && seen.reply)
      return pass(`${where} saw both directions (the Legacy host routing path)`);
    return fail(
      `expected both the echo request and the echo reply on ${where} with Legacy host routing, saw ${describeSeen(seen)}`,
    );
  }
  // BPF host routing: the packet towards a pod skips its host-side veth, the one leaving it crosses it.
  const crosses = role === "source" ? "request" : "reply";
  const skips = role === "source" ? "reply" : "request";
  if (seen[skips]) {
    return fail(
      `expected only the echo ${crosses} on ${where} (bpf_redirect_peer delivers the ${skips} straight into the pod), saw ${describeSeen(seen)}`,
    );
  }
  return pass(`${where} saw only the echo ${crosses}`);
}

/**
 * The agent reports Legacy host routing: bpf_redirect_peer is never called. `should_redirect_peer`
 * returns `CONFIG(enable_bpf_host_routing) && !from_host && ...`, and `redirect_ep` falls back to
 * `ctx_redirect` (bpf_redirect) when it is false (cilium/cilium bpf/lib/local_delivery.h @02446a8c,
 * main). Older trees of the 1.13 era keep `redirect_ep(ctx, ifindex, needs_backlog)` in
 * bpf/lib/common.h: `if (needs_backlog || !is_defined(ENABLE_HOST_ROUTING)) return ctx_redirect(...)`,
 * `ctx_redirect_peer` otherwise (found in the code index, not pinned to the 1.13.0-rc5 tag: the tag
 * itself is unverified). The same holds when the destination agent's trace shows the echo request
 * arriving `<- host` (from cilium_host: the kernel routed it there, the Legacy path of
 * ../shared/reference.md "Path traces"). The check names bpf_redirect_peer, so it never passes here: `differs`
 * where the cluster's own cilium-config explains Legacy host routing and the veths show what that
 * mode implies (both directions), else `fail`, naming the status line and the usual causes.
 */
function judgeLegacy(
  ctx: LabContext,
  legacy: readonly string[],
  veths: Judgement,
  facts: Readonly<Record<string, unknown>>,
): Judgement {
  const statusLine = legacy.join("; ");
  const notUsed = "bpf_redirect_peer is not used with Legacy host routing (both directions cross the veths)";
  if (veths.verdict === "pass") {
    const explained = differsFrom(ctx, LEGACY_KEYS, `${statusLine}: ${notUsed}; ${veths.reason}`, facts);
    if (explained.verdict === "differs") return explained;
  }
  if (veths.verdict === "inconclusive" && LEGACY_KEYS.some((k) => settingOf(ctx, k) !== undefined))
    return inconclusive(`${statusLine} (as the cluster's cilium-config implies), but ${veths.reason}`, facts);
  return fail(
    `${statusLine}: ${notUsed}. The lab asks for BPF host routing; usual causes: ${LEGACY_CAUSES}. Veths: ${veths.reason}`,
    facts,
  );
}

/** What the destination agent's trace says about the echo requests' delivery (cross-node only). */
interface DestinationTrace {
  /** The kernel's path: the request arrived `<- host` (from cilium_host) before delivery. */
  readonly kernel?: string;
  /** Said in the reason next to the veths: the delivery seen, or why the trace tells nothing. */
  readonly note?: string;
  readonly points?: readonly string[];
}

/**
 * The destination agent's host routing mode and trace. With BPF host routing the receiver shows
 * `<- network` then `-> endpoint` for the request; with Legacy host routing the kernel routes it to
 * cilium_host first (`<- host` before `-> endpoint`) (../shared/reference.md "Path traces"). The
 * `-> endpoint` event says Cilium's program delivered the request to the endpoint, in either mode: it
 * is evidence next to the veths, never a pass by itself; `<- host` for the request is the kernel's
 * path. Lost events, no event of the flow, or a stream that did not run: the trace tells nothing
 * (said in the reason, not a failure).
 */
function destinationEvidence(
  plan: PeerPlan,
  all: readonly ProbeStep[],
  results: ReadonlyMap<string, ExecResult>,
): { routing: { mode: HostRouting; note?: string; agent?: string }; trace: DestinationTrace } {
  const missing = "no Cilium agent on the destination node to read the host routing mode";
  if (!plan.traceDestination)
    return { routing: hostRoutingOf(stepById(all, "host-routing"), results, missing), trace: {} };
  const step = stepById(all, TRACE_STEP);
  if (step === undefined) return { routing: { mode: undefined, note: missing }, trace: {} };
  const sections = usableSections(step, results);
  if (!sections.ok)
    return {
      routing: {
        mode: undefined,
        note: `host routing mode and destination trace unknown (${sections.judgement.reason})`,
      },
      trace: {},
    };
  const routing = traceStepHostRouting(step, sections.sections);
  const trace = requestTrace(step, sections.sections, plan.src.ip, plan.dst.ip);
  if ("judgement" in trace)
    return { routing, trace: { note: `destination trace tells nothing: ${trace.judgement.reason}` } };
  const where = `the trace of ${step.target.pod} (${plan.dst.node})`;
  const fromHost = trace.events.find((e) => e.point === "from-host");
  if (fromHost !== undefined)
    return {
      routing,
      trace: {
        points: trace.points,
        kernel: `${where} shows the echo request arriving from cilium_host (\`${fromHost.line}\`): the kernel routed it, the Legacy host routing path`,
      },
    };
  const delivered = trace.events.find((e) => e.point === "to-endpoint");
  const note =
    delivered === undefined
      ? `${where} shows the echo request only at ${trace.points.join(", ")}, not its delivery`
      : `${where} shows the echo request at ${trace.points.join(", ")}: Cilium's program delivered it \`${describeEvent(delivered)}\`${delivered.endpoint === undefined ? "" : ` (endpoint ${delivered.endpoint})`}, with no \`<- host\``;
  return { routing, trace: { points: trace.points, note } };
}

function judgePeer(
  ctx: LabContext,
  results: ReadonlyMap<string, ExecResult>,
  plan: PeerPlan | undefined,
  missing: string,
  factKey: string,
): Judgement {
  if (plan === undefined) return inconclusive(missing);
  const all = peerSteps(plan, ctx);
  const absent = plan.nodes.filter((n) => probeOn(ctx, n) === undefined);
  if (absent.length > 0)
    return inconclusive(`no node-probe pod on ${absent.join(", ")}: cannot capture on the veths`);
  const sourceStep = stepById(all, "source");
  const destinationStep = stepById(all, "destination");
  if (sourceStep === undefined || destinationStep === undefined) return inconclusive("steps missing");

  // The traffic: without replies the captures prove nothing.
  const srcSections = usableSections(sourceStep, results);
  if (!srcSections.ok) return srcSections.judgement;
  const pingSection = usableSection(sourceStep, srcSections.sections, "ping", {
    okExitCodes: PING_OK_EXIT_CODES,
  });
  if (!pingSection.ok) return pingSection.judgement;
  const ping = readPing(sourceStep, pingSection.section.output);
  if ("judgement" in ping) return ping.judgement;
  if (ping.ping.received === 0) {
    return inconclusive(
      `${plan.src.name} got no echo reply from ${plan.dst.name} (${plan.dst.ip}), so the captures prove nothing (see the ping checks)`,
    );
  }

  // The sanity twin: the destination pod's own eth0 sees both directions.
  const dstSections = usableSections(destinationStep, results);
  if (!dstSections.ok) return dstSections.judgement;
  const sanity = usableSection(destinationStep, dstSections.sections, "capture", {
    okExitCodes: CAPTURE_OK_EXIT_CODES,
    allowEmpty: true,
  });
  if (!sanity.ok) return sanity.judgement;
  const inPod = seenBetween(parseTcpdump(sanity.section.output).packets, plan.src.ip, plan.dst.ip);
  if (!inPod.request || !inPod.reply) {
    return inconclusive(
      `the sanity capture on eth0 inside ${plan.dst.name} saw ${describeSeen(inPod)}: the capture did not work, so the veth captures prove nothing`,
    );
  }

  const srcIf = iflinkOf(sourceStep, results);
  if ("judgement" in srcIf) return srcIf.judgement;
  const dstIf = iflinkOf(destinationStep, results);
  if ("judgement" in dstIf) return dstIf.judgement;

  const dest = destinationEvidence(plan, all, results);
  const routing = dest.routing;
  const parts: Judgement[] = [];
  const facts: Record<string, unknown> = {};
  for (const [role, pod, ifindex] of [
    ["source", plan.src, srcIf.ifindex],
    ["destination", plan.dst, dstIf.ifindex],
  ] as const) {
    const step = stepById(all, vethStepId(pod.node));
    if (step === undefined) {
      parts.push(inconclusive(`no capture step on ${pod.node}`));
      continue;
    }
    const capture = vethCapture(step, results, ifindex, pod.node);
    if ("judgement" in capture) {
      parts.push(capture.judgement);
      continue;
    }
    const seen = seenBetween(capture.packets, plan.src.ip, plan.dst.ip);
    facts[`${role}Veth`] = { dev: capture.dev, request: seen.request, reply: seen.reply };
    parts.push(judgeVeth(role, capture.dev, pod, seen, routing.mode));
  }
  const traceFacts = dest.trace.points === undefined ? {} : { destinationTrace: dest.trace.points };
  const factsOut = { [factKey]: { hostRouting: routing.mode ?? "unknown", ...facts, ...traceFacts } };
  const verdict = combine(parts, factsOut);
  const legacy = [
    ...(routing.mode === "Legacy" ? [legacyStatusLine(routing.agent)] : []),
    ...(dest.trace.kernel === undefined ? [] : [dest.trace.kernel]),
  ];
  if (legacy.length > 0) return judgeLegacy(ctx, legacy, verdict, factsOut);
  const traceNote = dest.trace.note === undefined ? "" : `; ${dest.trace.note}`;
  if (routing.mode === "BPF")
    return verdict.verdict === "pass" ? { ...verdict, reason: `${verdict.reason}${traceNote}` } : verdict;
  // Mode unknown: a match with the BPF expectation is still a pass (noted); anything else cannot be judged.
  if (verdict.verdict === "pass")
    return {
      ...verdict,
      reason: `${verdict.reason}${traceNote} (${routing.note}; judged as BPF host routing)`,
    };
  return inconclusive(`${verdict.reason} (${routing.note}, so the expectation is unknown)`, verdict.facts);
}

function samePlan(ctx: LabContext): PeerPlan | undefined {
  const dst = sameNodePeer(ctx);
  return dst === undefined
    ? undefined
    : { src: ctx.client, dst, nodes: [ctx.client.node], traceDestination: false };
}

function crossPlan(ctx: LabContext): PeerPlan | undefined {
  const dst = crossNodePeer(ctx);
  return dst === undefined
    ? undefined
    : { src: ctx.client, dst, nodes: [ctx.client.node, dst.node], traceDestination: true };
}

export const redirectPeerSameNode: CheckDefinition = {
  name: "redirect-peer-same-node",
  proves:
    "Between two pods on one node, bpf_redirect_peer delivers packets straight into the destination pod: its host-side veth shows only the echo reply and the source's only the echo request, while the pod's own eth0 sees both.",
  restsOn: LEGACY_KEYS,
  steps: (ctx) => peerSteps(samePlan(ctx), ctx),
  judge: (ctx, results) =>
    judgePeer(
      ctx,
      results,
      samePlan(ctx),
      `no test pod on ${ctx.client.node}, the client's node`,
      "redirectPeerSameNode",
    ),
};

export const redirectPeerCrossNode: CheckDefinition = {
  name: "redirect-peer-cross-node",
  proves:
    "Between pods on different nodes, bpf_redirect_peer delivers packets arriving from the network straight into the destination pod: its host-side veth shows only the echo reply and the source's only the echo request, the destination agent reports BPF host routing, and its trace, where it shows the request, shows Cilium delivering it `-> endpoint` and never arriving `<- host` (the kernel's path).",
  restsOn: LEGACY_KEYS,
  steps: (ctx) => peerSteps(crossPlan(ctx), ctx),
  judge: (ctx, results) =>
    judgePeer(
      ctx,
      results,
      crossPlan(ctx),
      `no test pod on a node other than ${ctx.client.node}, the client's node`,
      "redirectPeerCrossNode",
    ),
};
