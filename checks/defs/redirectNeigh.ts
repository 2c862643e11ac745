/**
 * `redirect-neigh`: cross-node pod traffic leaves the source node through Cilium's BPF FIB redirect,
 * not through the kernel's IP forwarding.
 *
 * The seed observes it with tcpdump: on worker2's eth0 the request to 10.0.0.72 goes
 * `02:42:ac:12:00:02 > 02:42:ac:12:00:03`, from worker2's MAC straight to the worker's MAC. The kernel's
 * own forwarding (Legacy host routing) writes exactly the same frame, so the MACs alone separate
 * nothing. What does, on the source node during the same ping:
 * - the agent's host routing mode (`Host Routing: BPF|Legacy`, 1.16+ `Routing: ... Host: BPF|Legacy`);
 * - the agent's path trace (`cilium monitor --type trace`): with BPF host routing the request shows
 *   `-> network ... ifindex <device>` and never `-> stack`; with Legacy host routing the sender's
 *   program hands it `-> stack` (../shared/reference.md "Path traces");
 * - the kernel's forwarding counter `Ip: ForwDatagrams` (/proc/net/snmp), which grows by the packets
 *   the kernel forwarded: by at least the echo requests sent when it forwarded them, by nothing for
 *   packets a BPF program redirected (checks/parse/proc-snmp.ts).
 *
 * What a pass proves, and what it cannot: which helper sends the packet depends on the build and the
 * neighbour. Today's `fib_redirect` (cilium/cilium bpf/lib/fib.h @0267401, main) skips the FIB lookup
 * when the agent defines ENABLE_SKIP_FIB and the kernel has the neighbour resolver, and then calls
 * `redirect_neigh` (bpf_redirect_neigh); otherwise `fib_do_redirect` stores the looked-up MACs and
 * calls `ctx_redirect` (bpf_redirect) when the lookup found the neighbour (BPF_FIB_LKUP_RET_SUCCESS),
 * `redirect_neigh` when it did not (BPF_FIB_LKUP_RET_NO_NEIGH), or falls back to Cilium's neighbour
 * map without the resolver. Older trees of the 1.13 era (`redirect_direct_v4` in bpf/lib/fib.h, found
 * in the code index, not pinned to the 1.13.0-rc5 tag) do the same: ENABLE_SKIP_FIB → redirect_neigh,
 * else FIB lookup, NO_NEIGH → redirect_neigh, SUCCESS → redirect. No evidence collected here tells the
 * helpers apart (the frame is the same): the check proves the BPF FIB redirect path, not the helper.
 */
import { shellJoin } from "../../lib/shell";
import { parseTcpdump } from "../parse";
import {
  CAPTURE_OK_EXIT_CODES,
  CAPTURE_SECONDS,
  PING_OK_EXIT_CODES,
  pingCommand,
  type Section,
  sectionScript,
  shCommand,
  tcpdumpCommand,
  CAPTURE_READY,
  withTimeout,
} from "../probes";
import type { CheckDefinition, ExecResult, Judgement, LabContext, LabPod, ProbeStep } from "../types";
import {
  combine,
  excerpt,
  fail,
  inconclusive,
  pass,
  sameText,
  usableSection,
  usableSections,
  usableStep,
} from "../verdict";
import {
  STEP_MARGIN_SECONDS,
  agentOn,
  crossNodePeer,
  deviceOn,
  differsFrom,
  probeOn,
  podTarget,
  stepById,
  tunnelled,
} from "./common";
import { LEGACY_CAUSES, LEGACY_KEYS, legacyStatusLine } from "./hostRouting";
import {
  agentTraceStep,
  describeEvent,
  forwardedDelta,
  requestTrace,
  traceStepHostRouting,
} from "./pathTrace";
import { PING_COUNT, readPing } from "./ping";
import { PING_DEADLINE_SECONDS } from "./vethCapture";

const MAC_SECTION = (device: string) => ({
  name: "mac",
  command: shellJoin(withTimeout(5, ["cat", `/sys/class/net/${device}/address`])),
});

/** `/proc/net/snmp` of the node (the probe runs in the host network namespace). */
const SNMP_SECTION = (name: string) => ({
  name,
  command: shellJoin(withTimeout(5, ["cat", "/proc/net/snmp"])),
});

/**
 * The source node's script: its device MAC, the forwarding counter, the capture of the cross-node ping
 * on the device (the ping starts once it listens), the counter again.
 */
export function neighCaptureScript(device: string, dstIp: string): string {
  return sectionScript([
    MAC_SECTION(device),
    SNMP_SECTION("snmp-before"),
    {
      name: "capture",
      command: shellJoin(tcpdumpCommand(device, `icmp and host ${dstIp}`, { count: 2 * PING_COUNT })),
    },
    SNMP_SECTION("snmp-after"),
  ]);
}

function neighSteps(ctx: LabContext): ProbeStep[] {
  const dst = crossNodePeer(ctx);
  const srcProbe = probeOn(ctx, ctx.client.node);
  const dstProbe = dst === undefined ? undefined : probeOn(ctx, dst.node);
  if (dst === undefined || srcProbe === undefined || dstProbe === undefined) return [];
  const agent = agentOn(ctx, ctx.client.node);
  const steps: ProbeStep[] = [
    {
      id: "ping",
      target: podTarget(ctx.client),
      argv: pingCommand(dst.ip, { count: PING_COUNT, timeoutSeconds: PING_DEADLINE_SECONDS }),
      timeoutSeconds: PING_DEADLINE_SECONDS + STEP_MARGIN_SECONDS,
      startAfter: [
        { step: "source-node", when: "ready" },
        ...(agent === undefined ? [] : [{ step: "trace", when: "ready" as const }]),
      ],
    },
    {
      id: "source-node",
      target: podTarget(srcProbe),
      argv: shCommand(neighCaptureScript(deviceOn(ctx, srcProbe.node), dst.ip)),
      timeoutSeconds: CAPTURE_SECONDS + 15 + STEP_MARGIN_SECONDS,
      readyWhen: CAPTURE_READY,
    },
    {
      id: "peer-mac",
      target: podTarget(dstProbe),
      argv: withTimeout(5, ["cat", `/sys/class/net/${deviceOn(ctx, dstProbe.node)}/address`]),
      timeoutSeconds: 5 + STEP_MARGIN_SECONDS,
    },
  ];
  if (agent !== undefined) steps.push(agentTraceStep("trace", agent));
  return steps;
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** The frame-level evidence (the seed's observation): MACs of the echo requests and replies on the device. */
function judgeFrames(
  ctx: LabContext,
  dst: LabPod,
  capture: string,
  ownMac: string,
  peerMac: string,
  received: number,
): { parts: Judgement[]; requests: number; facts: Record<string, unknown> } | { judgement: Judgement } {
  const dev = deviceOn(ctx, ctx.client.node);
  const packets = parseTcpdump(capture).packets;
  const requests = packets.filter(
    (p) => p.kind === "echo request" && p.srcIp === ctx.client.ip && p.dstIp === dst.ip,
  );
  const replies = packets.filter(
    (p) => p.kind === "echo reply" && p.srcIp === dst.ip && p.dstIp === ctx.client.ip,
  );
  const facts: Record<string, unknown> = { sourceMac: ownMac, peerMac, nextHopMac: requests[0]?.dstMac };
  const where = `${dev} of ${ctx.client.node}`;
  if (requests.length === 0) {
    if (received === 0) {
      return {
        judgement: inconclusive(
          `the ping to ${dst.ip} got no reply and no echo request was seen on ${where}: nothing to judge`,
          { redirectNeigh: facts },
        ),
      };
    }
    // In tunnel mode (the cluster's routing-mode) the frame leaves inside a VXLAN/Geneve packet
    // ("All traffic between Cilium nodes is encapsulated", cilium/cilium
    // Documentation/network/concepts/routing.rst @01362dfe), which the ICMP filter does not match:
    // what that setting implies. Otherwise a capture that saw nothing while the traffic got answers
    // proves nothing (it may have missed the traffic): inconclusive, never fail.
    if (tunnelled(ctx) !== undefined) {
      return {
        judgement: differsFrom(
          ctx,
          ["routing-mode"],
          `the ping to ${dst.ip} was answered but no plain echo request to it left ${where}: it leaves encapsulated, so no plain routed frame to the peer's MAC (the BPF FIB redirect of native routing) can be seen`,
          { redirectNeigh: facts },
        ),
      };
    }
    return {
      judgement: inconclusive(
        `the ping to ${dst.ip} was answered but the capture on ${where} saw no echo request to it (a capture that missed the traffic, tunnel encapsulation, or another path): nothing to judge`,
        { redirectNeigh: facts },
      ),
    };
  }
  const parts: Judgement[] = [];
  const wrongDst = requests.filter((p) => !sameText(p.dstMac, peerMac));
  const wrongSrc = requests.filter((p) => !sameText(p.srcMac, ownMac));
  if (wrongDst.length > 0) {
    parts.push(
      fail(
        `expected the echo request to ${dst.ip} to leave ${where} addressed to ${peerMac} (${deviceOn(ctx, dst.node)} of ${dst.node}), saw ${wrongDst[0].dstMac ?? "no MAC (capture without -e?)"}`,
      ),
    );
  }
  if (wrongSrc.length > 0) {
    parts.push(
      fail(
        `expected the echo request to leave ${where} from its own MAC ${ownMac}, saw ${wrongSrc[0].srcMac ?? "no MAC"}`,
      ),
    );
  }
  const badReplies = replies.filter((p) => !sameText(p.srcMac, peerMac) || !sameText(p.dstMac, ownMac));
  if (badReplies.length > 0) {
    parts.push(
      fail(
        `expected the echo reply to arrive on ${where} from ${peerMac} to ${ownMac}, saw ${badReplies[0].srcMac ?? "?"} > ${badReplies[0].dstMac ?? "?"}`,
      ),
    );
  }
  if (parts.length === 0) {
    const replyNote = replies.length > 0 ? `, replies come back ${peerMac} > ${ownMac}` : "";
    parts.push(
      pass(
        `echo requests to ${dst.ip} leave ${where} as ${ownMac} > ${peerMac}, the MAC of ${dst.node}'s ${deviceOn(ctx, dst.node)}: the next hop is the peer node itself${replyNote}`,
      ),
    );
  }
  return { parts, requests: requests.length, facts };
}

/** What Cilium's trace and the kernel's counter say about the path of the echo requests. */
interface PathEvidence {
  /** The kernel forwarded them: the reasons (status line, `-> stack`, counter growth). */
  readonly kernel: string[];
  /** Evidence of the BPF FIB redirect: `-> network ifindex <dev>`, a counter that did not grow. */
  readonly bpf: string[];
  /** Evidence that could not be read, or that separates nothing, and why. */
  readonly unknown: string[];
  overlay: boolean;
  readonly facts: Record<string, unknown>;
}

function pathEvidence(
  ctx: LabContext,
  dst: LabPod,
  all: readonly ProbeStep[],
  results: ReadonlyMap<string, ExecResult>,
  sections: ReadonlyMap<string, Section>,
  transmitted: number,
): PathEvidence {
  const dev = deviceOn(ctx, ctx.client.node);
  const ev: PathEvidence = { kernel: [], bpf: [], unknown: [], overlay: false, facts: {} };
  const traceStepDef = stepById(all, "trace");
  const traceSections = traceStepDef === undefined ? undefined : usableSections(traceStepDef, results);
  if (traceStepDef === undefined || traceSections === undefined) {
    ev.unknown.push(`no Cilium agent on ${ctx.client.node} to read the host routing mode and trace the path`);
  } else if (!traceSections.ok) {
    ev.unknown.push(traceSections.judgement.reason);
  } else {
    const routing = traceStepHostRouting(traceStepDef, traceSections.sections);
    ev.facts.hostRouting = routing.mode ?? "unknown";
    if (routing.mode === "Legacy") ev.kernel.push(legacyStatusLine(routing.agent));
    else if (routing.mode === undefined) ev.unknown.push(routing.note ?? "host routing mode unknown");
    const trace = requestTrace(traceStepDef, traceSections.sections, ctx.client.ip, dst.ip);
    if ("judgement" in trace) ev.unknown.push(trace.judgement.reason);
    else {
      ev.facts.trace = trace.points;
      const stack = trace.events.find((e) => e.point === "to-stack");
      const overlay = trace.events.find((e) => e.point === "to-overlay");
      const network = trace.events.find((e) => e.point === "to-network" && e.ifname === dev);
      if (stack) ev.kernel.push(`its trace hands the echo request to the kernel (\`${stack.line}\`)`);
      if (overlay) ev.overlay = true;
      if (network && !stack && !overlay)
        ev.bpf.push(`its trace shows the echo request \`${describeEvent(network)}\` and no \`-> stack\``);
      if (!network && !stack && !overlay)
        ev.unknown.push(
          `the trace shows the echo request only at ${trace.points.join(", ")}, not leaving ${dev}`,
        );
    }
  }
  if (ev.facts.hostRouting === undefined) ev.facts.hostRouting = "unknown";

  const counter = forwardedDelta(stepById(all, "source-node")!, sections, "snmp-before", "snmp-after");
  if ("unknown" in counter) ev.unknown.push(`forwarding counter unknown: ${counter.unknown}`);
  else {
    ev.facts.forwDatagrams = counter;
    const grew = `Ip: ForwDatagrams grew by ${counter.delta} (${counter.before} → ${counter.after}) while ${transmitted} echo requests were sent`;
    if (counter.delta < transmitted) ev.bpf.push(`${grew}: the kernel did not forward them`);
    else if (ev.kernel.length > 0) ev.kernel.push(`${grew}: the kernel forwarded them`);
    else ev.unknown.push(`${grew}: the kernel may have forwarded them (or other traffic)`);
  }
  return ev;
}

function judgeNeigh(ctx: LabContext, results: ReadonlyMap<string, ExecResult>): Judgement {
  const dst = crossNodePeer(ctx);
  if (dst === undefined)
    return inconclusive(`no test pod on a node other than ${ctx.client.node}, the client's node`);
  const all = neighSteps(ctx);
  const pingStep = stepById(all, "ping");
  const srcStep = stepById(all, "source-node");
  const macStep = stepById(all, "peer-mac");
  if (pingStep === undefined || srcStep === undefined || macStep === undefined) {
    const absent = [ctx.client.node, dst.node].filter((n) => probeOn(ctx, n) === undefined);
    return inconclusive(`no node-probe pod on ${absent.join(", ")}`);
  }
  const dev = deviceOn(ctx, ctx.client.node);
  const pingOut = usableStep(pingStep, results, { okExitCodes: PING_OK_EXIT_CODES });
  if (!pingOut.ok) return pingOut.judgement;
  const ping = readPing(pingStep, pingOut.output);
  if ("judgement" in ping) return ping.judgement;

  const sections = usableSections(srcStep, results);
  if (!sections.ok) return sections.judgement;
  const ownMacSection = usableSection(srcStep, sections.sections, "mac");
  if (!ownMacSection.ok) return ownMacSection.judgement;
  const capture = usableSection(srcStep, sections.sections, "capture", {
    okExitCodes: CAPTURE_OK_EXIT_CODES,
    allowEmpty: true,
  });
  if (!capture.ok) return capture.judgement;
  const peerMacOut = usableStep(macStep, results);
  if (!peerMacOut.ok) return peerMacOut.judgement;
  const ownMac = ownMacSection.section.output.trim();
  const peerMac = peerMacOut.output.trim();
  if (!MAC.test(ownMac))
    return inconclusive(`no MAC address for ${dev} of ${ctx.client.node}: ${excerpt(ownMac)}`);
  if (!MAC.test(peerMac))
    return inconclusive(`no MAC address for ${deviceOn(ctx, dst.node)} of ${dst.node}: ${excerpt(peerMac)}`);

  const frames = judgeFrames(ctx, dst, capture.section.output, ownMac, peerMac, ping.ping.received);
  if ("judgement" in frames) return frames.judgement;
  const path = pathEvidence(ctx, dst, all, results, sections.sections, ping.ping.transmitted);
  const facts = { redirectNeigh: { ...frames.facts, ...path.facts } };
  const framesVerdict = combine(frames.parts);
  if (framesVerdict.verdict === "fail") return { ...framesVerdict, facts };
  const where = `on ${ctx.client.node}`;
  if (path.overlay) {
    return differsFrom(
      ctx,
      ["routing-mode"],
      `the trace ${where} shows the echo request \`-> overlay\` (tunnel encapsulation), not the BPF FIB redirect of native routing`,
      facts,
    );
  }
  if (path.kernel.length > 0) {
    // The kernel's forwarding, not Cilium's FIB redirect: never a pass for a check that names it.
    const reason = `the kernel's IP forwarding carried the echo requests ${where}, not Cilium's BPF FIB redirect: ${path.kernel.join("; ")}. The lab asks for BPF host routing; usual causes of Legacy host routing: ${LEGACY_CAUSES}. Frames: ${framesVerdict.reason}`;
    return differsFrom(ctx, LEGACY_KEYS, reason, facts);
  }
  if (path.bpf.length === 0) {
    return inconclusive(
      `${framesVerdict.reason}, but the kernel's forwarding writes the same frame and nothing ${where} separates the two: ${path.unknown.join("; ")}`,
      facts,
    );
  }
  if (framesVerdict.verdict !== "pass") return { ...framesVerdict, facts };
  // The agent's own BPF host routing claim is part of the evidence: without it a quiet counter could
  // be a capture of the wrong node or a reading cut short.
  if (path.facts.hostRouting !== "BPF") {
    return inconclusive(
      `${framesVerdict.reason}; ${path.bpf.join("; ")}; but the agent's host routing mode was not read (${path.unknown.join("; ")})`,
      facts,
    );
  }
  const open = path.unknown.length > 0 ? ` (not read: ${path.unknown.join("; ")})` : "";
  return pass(
    `BPF FIB redirect ${where}: ${framesVerdict.reason}; ${path.bpf.join("; ")}; host routing ${String(path.facts.hostRouting)}${open}. whether bpf_redirect_neigh or bpf_redirect sent it (ENABLE_SKIP_FIB, the kernel's neighbour resolver, the FIB result) this evidence cannot tell`,
    facts,
  );
}

export const redirectNeigh: CheckDefinition = {
  name: "redirect-neigh",
  proves:
    "Cross-node pod traffic leaves the source node through Cilium's BPF FIB redirect (bpf_redirect_neigh or bpf_redirect, as bpf/lib/fib.h chooses), not the kernel's IP forwarding: the agent's trace shows it leaving on the node device with no hand-over to the stack, the kernel's forwarding counter does not grow, and the frame goes from the node's MAC straight to the peer node's MAC.",
  restsOn: ["routing-mode", ...LEGACY_KEYS],
  steps: neighSteps,
  judge: judgeNeigh,
};
