/**
 * The captures behind the bpf_redirect_peer and bpf_redirect_neigh checks: each pod prints
 * `/sys/class/net/eth0/iflink` (the ifindex of its peer on the node) in the same exec as its traffic or
 * sanity capture, and the node script captures on every lxc device of the node at once, labelling each
 * capture with the device's ifindex; the judges match them. No step waits for another's output.
 */
import { shellJoin } from "../../lib/shell";
import { parseTcpdump, type Packet } from "../parse";
import {
  CAPTURE_OK_EXIT_CODES,
  CAPTURE_READY,
  CAPTURE_SECONDS,
  pingCommand,
  SECTION_EXIT,
  sectionScript,
  splitSections,
  tcpdumpCommand,
  withTimeout,
} from "../probes";
import type { ExecResult, Judgement, ProbeStep } from "../types";
import { excerpt, inconclusive, usableSection, usableSections, usableStep } from "../verdict";
import { PING_COUNT } from "./ping";

export const PING_DEADLINE_SECONDS = 6;
/** `icmp and host A and host B`: the echo requests and replies between two pods, nothing else. */
export function icmpBetween(a: string, b: string): string {
  return `icmp and host ${a} and host ${b}`;
}

/** `=== iflink` then the pod's peer ifindex: `cat /sys/class/net/eth0/iflink`. */
const IFLINK_SECTION = {
  name: "iflink",
  command: shellJoin(withTimeout(5, ["cat", "/sys/class/net/eth0/iflink"])),
};

/** The source pod's script: its veth peer index, then the ping. */
export function sourceScript(dstIp: string): string {
  return sectionScript([
    IFLINK_SECTION,
    {
      name: "ping",
      command: shellJoin(pingCommand(dstIp, { count: PING_COUNT, timeoutSeconds: PING_DEADLINE_SECONDS })),
    },
  ]);
}

/** The destination pod's script: its veth peer index, then the sanity capture on its own eth0. */
export function destinationScript(filter: string): string {
  return sectionScript([
    IFLINK_SECTION,
    { name: "capture", command: shellJoin(tcpdumpCommand("eth0", filter, { count: 2 * PING_COUNT })) },
  ]);
}

/**
 * The node script: one capture per lxc device (the health endpoint's excepted), all at once, each
 * printed under `=== veth <dev> ifindex <n>` and closed with its exit code.
 */
export function vethCaptureScript(filter: string, seconds = CAPTURE_SECONDS): string {
  return [
    "dir=$(mktemp -d) || exit 1",
    "trap 'rm -rf \"$dir\"' EXIT",
    "for path in /sys/class/net/lxc*; do",
    '  [ -e "$path" ] || continue',
    "  dev=${path##*/}",
    '  [ "$dev" = lxc_health ] && continue',
    `  { timeout ${seconds} tcpdump -l -p -n -e -i "$dev" ${shellJoin([filter])} 2>&1; ${SECTION_EXIT}; } >"$dir/$dev" &`,
    "done",
    // Say "listening on" (stderr) once every capture listens or has ended, so the traffic can start
    // (the runner waits for it, bounded). Polls for up to ~5 s; `sleep 0.1` falls back to `sleep 1`
    // where sleep takes whole seconds only.
    "i=0",
    'while [ "$i" -lt 50 ]; do',
    "  waiting=0",
    '  for f in "$dir"/*; do',
    '    [ -e "$f" ] || continue',
    `    grep -q -e ${shellJoin([CAPTURE_READY])} -e '^=== exit' "$f" || waiting=1`,
    "  done",
    `  if [ "$waiting" = 0 ]; then echo ${shellJoin([`${CAPTURE_READY} every lxc device`])} >&2; break; fi`,
    "  i=$((i + 1))",
    "  sleep 0.1 2>/dev/null || sleep 1",
    "done",
    "wait",
    'for path in "$dir"/*; do',
    '  [ -e "$path" ] || continue',
    "  dev=${path##*/}",
    '  echo "=== veth $dev ifindex $(cat "/sys/class/net/$dev/ifindex" 2>/dev/null)"',
    '  cat "$path"',
    "done",
  ].join("\n");
}

/** What crossed one interface between the two pods. */
export interface Seen {
  readonly request: boolean;
  readonly reply: boolean;
}

export function seenBetween(packets: readonly Packet[], src: string, dst: string): Seen {
  return {
    request: packets.some((p) => p.kind === "echo request" && p.srcIp === src && p.dstIp === dst),
    reply: packets.some((p) => p.kind === "echo reply" && p.srcIp === dst && p.dstIp === src),
  };
}

export function describeSeen(seen: Seen): string {
  if (seen.request && seen.reply) return "the echo request and the echo reply";
  if (seen.request) return "only the echo request";
  if (seen.reply) return "only the echo reply";
  return "neither the echo request nor the echo reply";
}

/** A pod's peer ifindex from the `iflink` section. */
export function iflinkOf(
  step: ProbeStep,
  results: ReadonlyMap<string, ExecResult>,
): { ifindex: number } | { judgement: Judgement } {
  const sections = usableSections(step, results);
  if (!sections.ok) return { judgement: sections.judgement };
  const section = usableSection(step, sections.sections, "iflink");
  if (!section.ok) return { judgement: section.judgement };
  const value = section.section.output.trim();
  if (!/^\d+$/.test(value))
    return { judgement: inconclusive(`"${step.id}" printed no interface index: ${excerpt(value)}`) };
  return { ifindex: Number(value) };
}

/** The capture of the lxc device with the given ifindex in a node's veth capture output. */
export function vethCapture(
  step: ProbeStep,
  results: ReadonlyMap<string, ExecResult>,
  ifindex: number,
  node: string,
): { dev: string; packets: readonly Packet[] } | { judgement: Judgement } {
  const out = usableStep(step, results);
  if (!out.ok) return { judgement: out.judgement };
  const sections = splitSections(out.output);
  for (const section of sections.values()) {
    const m = /^veth (\S+) ifindex (\d+)$/.exec(section.name);
    if (!m || Number(m[2]) !== ifindex) continue;
    const dev = m[1];
    if (section.exitCode === undefined || !CAPTURE_OK_EXIT_CODES.includes(section.exitCode)) {
      return {
        judgement: inconclusive(
          `the capture on ${dev} (${node}) ${section.exitCode === undefined ? "did not finish" : `exited with code ${section.exitCode}`}: ${excerpt(section.output) || "no output"}`,
        ),
      };
    }
    return { dev, packets: parseTcpdump(section.output).packets };
  }
  const devices = [...sections.keys()].map((k) => k.replace(/^veth /, "")).join(", ");
  return {
    judgement: inconclusive(
      `no lxc device with ifindex ${ifindex} on ${node} (captured: ${devices || "none"})`,
    ),
  };
}
