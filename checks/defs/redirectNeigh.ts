/**
 * `redirect-neigh` (bpf_redirect_neigh), as the seed observes it with tcpdump: on worker2's eth0 the
 * request to 10.0.0.72 goes `02:42:ac:12:00:02 > 02:42:ac:12:00:03`, from worker2's MAC straight to
 * the worker's MAC.
 */
import { shellJoin } from "../../lib/shell";
import { parseTcpdump } from "../parse";
import {
  CAPTURE_OK_EXIT_CODES,
  CAPTURE_SECONDS,
  PING_OK_EXIT_CODES,
  pingCommand,
  sectionScript,
  shCommand,
  tcpdumpCommand,
  CAPTURE_READY,
  withTimeout,
} from "../probes";
import type { CheckDefinition, ExecResult, Judgement, LabContext, ProbeStep } from "../types";
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
  crossNodePeer,
  deviceOn,
  differsFrom,
  probeOn,
  podTarget,
  stepById,
  tunnelled,
} from "./common";
import { PING_COUNT, readPing } from "./ping";
import { PING_DEADLINE_SECONDS } from "./vethCapture";

const MAC_SECTION = (device: string) => ({
  name: "mac",
  command: shellJoin(withTimeout(5, ["cat", `/sys/class/net/${device}/address`])),
});

/** The source node's script: its device MAC, then the capture of the cross-node ping on the device. */
export function neighCaptureScript(device: string, dstIp: string): string {
  return sectionScript([
    MAC_SECTION(device),
    {
      name: "capture",
      command: shellJoin(tcpdumpCommand(device, `icmp and host ${dstIp}`, { count: 2 * PING_COUNT })),
    },
  ]);
}

function neighSteps(ctx: LabContext): ProbeStep[] {
  const dst = crossNodePeer(ctx);
  const srcProbe = probeOn(ctx, ctx.client.node);
  const dstProbe = dst === undefined ? undefined : probeOn(ctx, dst.node);
  if (dst === undefined || srcProbe === undefined || dstProbe === undefined) return [];
  return [
    {
      id: "ping",
      target: podTarget(ctx.client),
      argv: pingCommand(dst.ip, { count: PING_COUNT, timeoutSeconds: PING_DEADLINE_SECONDS }),
      timeoutSeconds: PING_DEADLINE_SECONDS + STEP_MARGIN_SECONDS,
      startAfter: [{ step: "source-node", when: "ready" }],
    },
    {
      id: "source-node",
      target: podTarget(srcProbe),
      argv: shCommand(neighCaptureScript(deviceOn(ctx, srcProbe.node), dst.ip)),
      timeoutSeconds: CAPTURE_SECONDS + 5 + STEP_MARGIN_SECONDS,
      readyWhen: CAPTURE_READY,
    },
    {
      id: "peer-mac",
      target: podTarget(dstProbe),
      argv: withTimeout(5, ["cat", `/sys/class/net/${deviceOn(ctx, dstProbe.node)}/address`]),
      timeoutSeconds: 5 + STEP_MARGIN_SECONDS,
    },
  ];
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

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
  const peerDev = deviceOn(ctx, dst.node);
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
    return inconclusive(`no MAC address for ${peerDev} of ${dst.node}: ${excerpt(peerMac)}`);

  const packets = parseTcpdump(capture.section.output).packets;
  const requests = packets.filter(
    (p) => p.kind === "echo request" && p.srcIp === ctx.client.ip && p.dstIp === dst.ip,
  );
  const replies = packets.filter(
    (p) => p.kind === "echo reply" && p.srcIp === dst.ip && p.dstIp === ctx.client.ip,
  );
  const facts = { redirectNeigh: { sourceMac: ownMac, peerMac, nextHopMac: requests[0]?.dstMac } };
  const where = `${dev} of ${ctx.client.node}`;
  if (requests.length === 0) {
    if (ping.ping.received === 0) {
      return inconclusive(
        `the ping to ${dst.ip} got no reply and no echo request was seen on ${where}: nothing to judge`,
        facts,
      );
    }
    // In tunnel mode (the cluster's routing-mode) the frame leaves inside a VXLAN/Geneve packet
    // ("All traffic between Cilium nodes is encapsulated", cilium/cilium
    // Documentation/network/concepts/routing.rst @01362dfe), which the ICMP filter does not match:
    // what that setting implies. Otherwise a capture that saw nothing while the traffic got answers
    // proves nothing (it may have missed the traffic): inconclusive, never fail.
    if (tunnelled(ctx) !== undefined) {
      return differsFrom(
        ctx,
        ["routing-mode"],
        `the ping to ${dst.ip} was answered but no plain echo request to it left ${where}: it leaves encapsulated, so no plain routed frame to the peer's MAC (bpf_redirect_neigh in native routing) can be seen`,
        facts,
      );
    }
    return inconclusive(
      `the ping to ${dst.ip} was answered but the capture on ${where} saw no echo request to it (a capture that missed the traffic, tunnel encapsulation, or another path): nothing to judge`,
      facts,
    );
  }
  const parts: Judgement[] = [];
  const wrongDst = requests.filter((p) => !sameText(p.dstMac, peerMac));
  const wrongSrc = requests.filter((p) => !sameText(p.srcMac, ownMac));
  if (wrongDst.length > 0) {
    parts.push(
      fail(
        `expected the echo request to ${dst.ip} to leave ${where} addressed to ${peerMac} (${dev} of ${dst.node}), saw ${wrongDst[0].dstMac ?? "no MAC (capture without -e?)"}`,
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
  if (parts.length > 0) return combine(parts, facts);
  const replyNote = replies.length > 0 ? `, replies come back ${peerMac} > ${ownMac}` : "";
  return pass(
    `echo requests to ${dst.ip} leave ${where} as ${ownMac} > ${peerMac}, the MAC of ${dst.node}'s ${dev}: the next hop is the peer node itself${replyNote}`,
    facts,
  );
}

export const redirectNeigh: CheckDefinition = {
  name: "redirect-neigh",
  proves:
    "Cross-node pod traffic leaves the source node's device as a plain routed frame from that node's MAC straight to the peer node's MAC, the next hop bpf_redirect_neigh resolves: no tunnel and no gateway in between.",
  restsOn: ["routing-mode"],
  steps: neighSteps,
  judge: judgeNeigh,
};
