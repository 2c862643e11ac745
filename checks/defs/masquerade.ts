/**
 * `bpf-masquerade`: traffic from a pod keeps the pod's IP towards the native-routing CIDR and leaves
 * with the node's IP towards anything else (seed: `Masquerading: BPF [eth0] 10.0.0.0/8`; the capture on
 * the peer's eth0 shows `10.0.2.40 > 10.0.0.72`).
 *
 * Out-of-CIDR destination: Cilium does not masquerade pod traffic to other cluster nodes in native
 * routing mode (bpf/lib/nat.h, snat_v4_needs_masq: a remote-node destination is left alone unless
 * tunnelling), so a node's internal IP would arrive with the pod's IP on a healthy lab. The probe
 * therefore targets an address outside the native CIDR and outside the cluster: 192.0.2.10
 * (TEST-NET-1, RFC 5737, never routed, so nothing answers and nothing outside is disturbed), TCP 39999.
 *
 * One capture on the client's node device sees both flows as they leave the node (after the to-netdev
 * program's SNAT): the cross-node ping with the pod's source IP, the SYN to 192.0.2.10 with the node's.
 * Afterwards the same exec reads netfilter conntrack for that flow: with BPF masquerade (and BPF host
 * routing) there is no NATed entry; iptables masquerading would leave one whose reply goes to the node IP.
 * Those are absences; the positive evidence is Cilium's own BPF NAT table on the source node, read from
 * its agent once the traffic is done (`cilium bpf nat list`, checks/parse/bpf-nat-list.ts): the flow's
 * `TCP OUT <pod>:<port> -> 192.0.2.10:39999 XLATE_SRC <node IP>:<port>` entry is the SNAT Cilium's
 * to-netdev program recorded (bpf/lib/nat.h, snat_v4_nat: the entry is created on the first packet).
 */
import { shellJoin } from "../../lib/shell";
import * as ipaddr from "ipaddr.js";

import { parseBpfNatList, parseTcpdump } from "../parse";
import {
  CAPTURE_OK_EXIT_CODES,
  CAPTURE_READY,
  conntrackCommand,
  curlCommand,
  withTimeout,
  parallelSectionScript,
  PING_OK_EXIT_CODES,
  pingCommand,
  sectionScript,
  shCommand,
  tcpdumpCommand,
} from "../probes";
import type { CheckDefinition, ExecResult, Judgement, LabContext, ProbeStep } from "../types";
import {
  combine,
  excerpt,
  fail,
  inconclusive,
  pass,
  usableSection,
  usableSections,
  usableStep,
} from "../verdict";
import {
  STEP_MARGIN_SECONDS,
  agentOn,
  agentTarget,
  crossNodePeer,
  deviceOn,
  differsFrom,
  nativeRoutingCidr,
  nodeByName,
  podTarget,
  probeOn,
  stepById,
  tunnelled,
} from "./common";
import { PING_COUNT, readPing } from "./ping";

/** A destination outside any lab network: TEST-NET-1 (RFC 5737). */
export const OUTSIDE_IP = "192.0.2.10";
/** A port nobody listens on. */
export const OUTSIDE_PORT = 39999;

const CAPTURE_SECONDS = 10;
const TRAFFIC_SECONDS = 4;

function inCidr(ip: string, cidr: string): boolean | undefined {
  try {
    return ipaddr.parse(ip).match(ipaddr.parseCIDR(cidr));
  } catch {
    return undefined;
  }
}

/** The client's script: the cross-node ping and the outside connection attempt, at the same time. */
export function trafficScript(podIp: string): string {
  return parallelSectionScript([
    {
      name: "ping",
      command: shellJoin(pingCommand(podIp, { count: PING_COUNT, timeoutSeconds: TRAFFIC_SECONDS + 2 })),
    },
    {
      name: "curl",
      command: shellJoin(
        curlCommand(`http://${OUTSIDE_IP}:${OUTSIDE_PORT}/`, { maxTimeSeconds: TRAFFIC_SECONDS }),
      ),
    },
  ]);
}

/** The capture filter: the ping to the pod, and the SYNs to the outside address. */
export function masqueradeFilter(podIp: string): string {
  return `(icmp and host ${podIp}) or (tcp and dst host ${OUTSIDE_IP} and dst port ${OUTSIDE_PORT})`;
}

/** The source node's script: the capture, then conntrack for the outside flow. */
export function nodeScript(device: string, podIp: string): string {
  return sectionScript([
    {
      name: "capture",
      command: shellJoin(
        tcpdumpCommand(device, masqueradeFilter(podIp), { timeoutSeconds: CAPTURE_SECONDS }),
      ),
    },
    { name: "conntrack", command: shellJoin(conntrackCommand(OUTSIDE_PORT)) },
  ]);
}

function steps(ctx: LabContext): ProbeStep[] {
  const dst = crossNodePeer(ctx);
  const probe = probeOn(ctx, ctx.client.node);
  if (dst === undefined || probe === undefined) return [];
  return [
    {
      id: "traffic",
      target: podTarget(ctx.client),
      argv: shCommand(trafficScript(dst.ip)),
      timeoutSeconds: TRAFFIC_SECONDS + 2 + STEP_MARGIN_SECONDS,
      startAfter: [{ step: "source-node", when: "ready" }],
    },
    {
      id: "source-node",
      target: podTarget(probe),
      argv: shCommand(nodeScript(deviceOn(ctx, probe.node), dst.ip)),
      timeoutSeconds: CAPTURE_SECONDS + 10 + STEP_MARGIN_SECONDS,
      readyWhen: CAPTURE_READY,
    },
    ...natSteps(ctx),
  ];
}

const NAT_TIMEOUT_SECONDS = 15;

/** The source node's BPF NAT table, read from its agent once the traffic is done. */
function natSteps(ctx: LabContext): ProbeStep[] {
  const agent = agentOn(ctx, ctx.client.node);
  if (agent === undefined) return [];
  return [
    {
      id: "bpf-nat",
      target: agentTarget(agent),
      argv: withTimeout(NAT_TIMEOUT_SECONDS, ["cilium", "bpf", "nat", "list"]),
      timeoutSeconds: NAT_TIMEOUT_SECONDS + STEP_MARGIN_SECONDS,
      startAfter: [{ step: "traffic", when: "done" }],
    },
  ];
}

/** The BPF NAT entry of the outside flow: SNAT of the pod's source to the node IP, or why not. */
function judgeNatEntry(
  ctx: LabContext,
  step: ProbeStep | undefined,
  results: ReadonlyMap<string, ExecResult>,
  nodeIp: string,
  dest: string,
): Judgement {
  if (step === undefined)
    return inconclusive(`no Cilium agent on ${ctx.client.node} to read its BPF NAT table`);
  const out = usableStep(step, results);
  if (!out.ok) return out.judgement;
  const table = parseBpfNatList(out.output);
  if (table.entries.length === 0)
    return inconclusive(
      `"${step.id}" on ${step.target.pod} printed no BPF NAT entry: ${excerpt(out.output)}`,
    );
  const flow = table.entries.filter(
    (e) =>
      e.direction === "OUT" &&
      e.xlate === "SRC" &&
      e.srcIp === ctx.client.ip &&
      e.dstIp === OUTSIDE_IP &&
      e.dstPort === OUTSIDE_PORT,
  );
  if (flow.length === 0) {
    return differsFrom(
      ctx,
      ["enable-bpf-masquerade", "enable-ipv4-masquerade"],
      `expected a BPF NAT entry for ${ctx.client.ip} → ${dest} in ${step.target.pod}'s \`cilium bpf nat list\` (${table.entries.length} entries), found none: the SNAT was not Cilium's BPF NAT`,
    );
  }
  const wrong = flow.filter((e) => e.toIp !== nodeIp);
  if (wrong.length > 0)
    return fail(
      `the BPF NAT entry for ${dest} translates the source to ${wrong[0].toIp}, not the node IP ${nodeIp}: ${wrong[0].line}`,
    );
  return pass(`Cilium's BPF NAT table holds the SNAT of the flow: \`${flow[0].line}\``);
}

/**
 * A conntrack entry NATed on the way out: the reply tuple's destination differs from the original
 * source (`src=10.0.2.40 ... src=192.0.2.10 dst=172.18.0.2`).
 */
export function natedEntries(output: string): string[] {
  return output
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => {
      const src = /\bsrc=(\S+)/.exec(l)?.[1];
      const dsts = [...l.matchAll(/\bdst=(\S+)/g)].map((m) => m[1]);
      return (
        src !== undefined &&
        dsts.length >= 2 &&
        dsts[1] !== src &&
        new RegExp(`\\bdport=${OUTSIDE_PORT}\\b`).test(l)
      );
    });
}

function judge(ctx: LabContext, results: ReadonlyMap<string, ExecResult>): Judgement {
  const dst = crossNodePeer(ctx);
  if (dst === undefined)
    return inconclusive(`no test pod on a node other than ${ctx.client.node}, the client's node`);
  const all = steps(ctx);
  const trafficStep = stepById(all, "traffic");
  const nodeStep = stepById(all, "source-node");
  if (trafficStep === undefined || nodeStep === undefined)
    return inconclusive(`no node-probe pod on ${ctx.client.node}`);
  const node = nodeByName(ctx, ctx.client.node);
  if (node === undefined) return inconclusive(`the client's node ${ctx.client.node} is not in the node list`);
  const cidr = nativeRoutingCidr(ctx);
  if (inCidr(dst.ip, cidr) !== true)
    return inconclusive(`${dst.name}'s IP ${dst.ip} is not inside the native-routing CIDR ${cidr}`);
  if (inCidr(OUTSIDE_IP, cidr) !== false)
    return inconclusive(`the outside probe address ${OUTSIDE_IP} is inside the native-routing CIDR ${cidr}`);

  const traffic = usableSections(trafficStep, results);
  if (!traffic.ok) return traffic.judgement;
  const pingSection = usableSection(trafficStep, traffic.sections, "ping", {
    okExitCodes: PING_OK_EXIT_CODES,
  });
  if (!pingSection.ok) return pingSection.judgement;
  const ping = readPing(trafficStep, pingSection.section.output);
  if ("judgement" in ping) return ping.judgement;

  const nodeSections = usableSections(nodeStep, results);
  if (!nodeSections.ok) return nodeSections.judgement;
  const capture = usableSection(nodeStep, nodeSections.sections, "capture", {
    okExitCodes: CAPTURE_OK_EXIT_CODES,
    allowEmpty: true,
  });
  if (!capture.ok) return capture.judgement;
  const packets = parseTcpdump(capture.section.output).packets;
  const where = `${deviceOn(ctx, node.name)} of ${node.name}`;

  const parts: Judgement[] = [];
  const requests = packets.filter((p) => p.kind === "echo request" && p.dstIp === dst.ip);
  const inside = [...new Set(requests.map((p) => p.srcIp ?? "?"))];
  if (requests.length === 0) {
    parts.push(
      ping.ping.received === 0
        ? inconclusive(`the ping to ${dst.ip} got no reply and no echo request was seen on ${where}`)
        : tunnelled(ctx) !== undefined
          ? differsFrom(
              ctx,
              ["routing-mode"],
              `the ping to ${dst.ip} was answered but no plain echo request to it left ${where}: between nodes the traffic leaves encapsulated, so the pod's source cannot be seen there`,
            )
          : inconclusive(
              `no plain echo request to ${dst.ip} seen on ${where} although the ping was answered (tunnelled?)`,
            ),
    );
  } else if (inside.some((ip) => ip !== ctx.client.ip)) {
    parts.push(
      fail(
        `expected traffic to ${dst.ip} (inside ${cidr}) to keep the pod's source ${ctx.client.ip} on ${where}, saw ${inside.join(", ")}`,
      ),
    );
  } else {
    parts.push(
      pass(`traffic to ${dst.ip} (inside ${cidr}) leaves ${where} with the pod's IP ${ctx.client.ip}`),
    );
  }

  const syns = packets.filter(
    (p) => p.kind === "tcp" && p.dstIp === OUTSIDE_IP && p.dstPort === OUTSIDE_PORT,
  );
  const outside = [...new Set(syns.map((p) => p.srcIp ?? "?"))];
  const dest = `${OUTSIDE_IP}:${OUTSIDE_PORT} (outside ${cidr})`;
  if (syns.length === 0) {
    const curl = traffic.sections.get("curl");
    parts.push(
      inconclusive(
        `no TCP packet to ${dest} seen on ${where}; the client's curl said: ${excerpt(curl?.output ?? "") || "nothing"}`,
      ),
    );
  } else if (outside.some((ip) => ip !== node.internalIp)) {
    const seen = `expected traffic to ${dest} to leave ${where} masqueraded to the node IP ${node.internalIp}, saw source ${outside.join(", ")}`;
    // enable-ipv4-masquerade false: nothing is masqueraded ("This behavior can be disabled with the
    // option enable-ipv4-masquerade: false", cilium/cilium Documentation/network/concepts/masquerading.rst
    // @121a72db), so the pod's own IP is what that setting implies.
    parts.push(
      outside.every((ip) => ip === ctx.client.ip)
        ? differsFrom(ctx, ["enable-ipv4-masquerade"], seen)
        : fail(seen),
    );
  } else {
    parts.push(pass(`traffic to ${dest} leaves ${where} masqueraded to the node IP ${node.internalIp}`));
  }

  const ct = usableSection(nodeStep, nodeSections.sections, "conntrack");
  if (!ct.ok) parts.push(ct.judgement);
  else {
    const nated = natedEntries(ct.section.output);
    if (nated.length > 0) {
      // BPF masquerading off: the "legacy" iptables-based implementation masquerades instead
      // (masquerading.rst @121a72db, "iptables-based"), which leaves exactly this entry.
      parts.push(
        differsFrom(
          ctx,
          ["enable-bpf-masquerade"],
          `expected the SNAT to happen in BPF, but netfilter conntrack on ${node.name} holds a NATed entry for ${dest} (iptables masquerading): ${excerpt(nated[0], 160)}`,
        ),
      );
    } else parts.push(pass(`no NATed netfilter conntrack entry for ${dest}`));
  }
  parts.push(judgeNatEntry(ctx, stepById(all, "bpf-nat"), results, node.internalIp, dest));
  return combine(parts, {
    masquerade: { insideCidrSource: inside[0], outsideCidrSource: outside[0], nodeIp: node.internalIp },
  });
}

export const bpfMasquerade: CheckDefinition = {
  name: "bpf-masquerade",
  proves:
    "Pod traffic to the native-routing CIDR leaves the node with the pod's own IP, and traffic to an address outside it leaves masqueraded to the node's IP by Cilium's eBPF SNAT: the flow's entry is in Cilium's BPF NAT table, and netfilter conntrack holds no NATed entry.",
  // The native-routing CIDR is the cluster's own already (index.ts passes cilium-config's).
  restsOn: ["enable-bpf-masquerade", "enable-ipv4-masquerade", "routing-mode"],
  steps,
  judge,
};
