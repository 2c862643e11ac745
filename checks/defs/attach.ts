/**
 * `bpf-attach-points`: Cilium's programs sit on the node device (both directions) and on each pod's
 * host-side veth (ingress, where packets leaving the pod enter). Seed: `tc filter show dev eth0
 * ingress|egress` shows `cilium-eth0`, `tc filter show dev lxcbf5cb1e7ceb0 ingress` shows
 * `cilium-lxcbf5cb1e7ceb0`.
 *
 * One exec per node, in the agent (host network namespace; it has `tc`, `bpftool` and the agent CLI):
 * tc filters of the device, the agent's endpoint list as `interface-name ifindex ipv4` (a structured
 * source: the test pod's veth is the endpoint with the pod's IP), tc ingress filters of every lxc
 * device, and `bpftool net show`, which is where programs attached with tcx (Cilium 1.16+ on kernels
 * >= 6.6) show up, since `tc filter show` prints nothing for them.
 */
import { shellJoin } from "../../lib/shell";
import { parseTcFilters, type AttachedProgram, type Direction } from "../parse";
import {
  type Section,
  SECTION_EXIT,
  sectionHeader,
  sectionScript,
  shCommand,
  splitSections,
  withTimeout,
} from "../probes";
import type { CheckDefinition, ExecResult, Judgement, LabContext, ProbeStep } from "../types";
import { combine, excerpt, fail, inconclusive, pass, usableStep } from "../verdict";
import {
  STEP_MARGIN_SECONDS,
  agentTarget,
  deviceOn,
  differsFrom,
  list,
  nodesWithout,
  stepById,
  testPodOn,
} from "./common";

const TOOL_TIMEOUT_SECONDS = 10;

/** `cilium endpoint list` reduced to `interface-name ifindex ipv4` per endpoint (jsonpath, not the large JSON). */
export const ENDPOINTS_JSONPATH =
  'jsonpath={range [*]}{.status.networking.interface-name}{" "}{.status.networking.interface-index}{" "}{.status.networking.addressing[*].ipv4}{"\\n"}{end}';

/** The per-node script run in the agent container. */
export function attachScript(device: string): string {
  const fixed = sectionScript([
    ...(["ingress", "egress"] as const).map((dir) => ({
      name: `tc ${device} ${dir}`,
      command: shellJoin(withTimeout(TOOL_TIMEOUT_SECONDS, ["tc", "filter", "show", "dev", device, dir])),
    })),
    {
      name: "endpoints",
      command: shellJoin(
        withTimeout(TOOL_TIMEOUT_SECONDS, ["cilium", "endpoint", "list", "-o", ENDPOINTS_JSONPATH]),
      ),
    },
  ]);
  const veths = [
    "for path in /sys/class/net/lxc*; do",
    '  [ -e "$path" ] || continue',
    "  dev=${path##*/}",
    '  [ "$dev" = lxc_health ] && continue',
    '  echo "=== tc $dev ingress"',
    `  timeout ${TOOL_TIMEOUT_SECONDS} tc filter show dev "$dev" ingress 2>&1`,
    `  ${SECTION_EXIT}`,
    "done",
  ].join("\n");
  const bpftool = [
    sectionHeader("bpftool net show"),
    `${shellJoin(withTimeout(TOOL_TIMEOUT_SECONDS, ["bpftool", "net", "show"]))} 2>&1`,
    SECTION_EXIT,
  ].join("\n");
  return [fixed, veths, bpftool].join("\n");
}

function stepId(node: string): string {
  return `attach:${node}`;
}

function steps(ctx: LabContext): ProbeStep[] {
  return ctx.ciliumPods.map((pod) => ({
    id: stepId(pod.node),
    target: agentTarget(pod),
    argv: shCommand(attachScript(deviceOn(ctx, pod.node))),
    // a handful of short commands plus one per lxc device; each is bounded by its own timeout
    timeoutSeconds: 40 + STEP_MARGIN_SECONDS,
  }));
}

function names(p: AttachedProgram): string[] {
  return [p.name, p.progName].filter((n): n is string => n !== undefined);
}

/** Program names Cilium puts on the node device, per direction (1.13 `cilium-eth0`, later `cil_*_netdev`). */
export function isDeviceProgram(name: string, device: string, direction: Direction): boolean {
  if (name === `cilium-${device}` || /bpf_host|bpf_netdev/.test(name)) return true;
  return direction === "ingress"
    ? /cil_from_netdev|from-netdev/.test(name)
    : /cil_to_netdev|to-netdev/.test(name);
}

/** Program names Cilium puts on a pod's host-side veth ingress (`cilium-lxc...`, `cil_from_container`). */
export function isVethProgram(name: string): boolean {
  return /^cilium-lxc|cil_from_container|from-container|bpf_lxc/.test(name);
}

/** The programs on a device/direction: tc filters of the section, plus bpftool's view (tcx included). */
function programsOn(
  sections: ReadonlyMap<string, Section>,
  bpftool: readonly AttachedProgram[],
  dev: string,
  direction: Direction,
): { programs: AttachedProgram[]; problem?: string } {
  const section = sections.get(`tc ${dev} ${direction}`);
  const fromBpftool = bpftool.filter((p) => p.dev === dev && p.direction === direction);
  let problem: string | undefined;
  let fromTc: AttachedProgram[] = [];
  if (section === undefined || section.exitCode === undefined)
    problem = `tc filter show dev ${dev} ${direction} did not run`;
  else if (section.exitCode !== 0) {
    problem = `tc filter show dev ${dev} ${direction} exited with code ${section.exitCode}: ${excerpt(section.output, 120)}`;
  } else {
    const parsed = parseTcFilters(section.output, { dev, direction });
    // Empty output is tc's "no filter"; anything else must read as tc filter lines, or it says nothing.
    if (section.output.trim() !== "" && parsed.format === undefined)
      problem = `tc filter show dev ${dev} ${direction} printed output that is not tc's: ${excerpt(section.output, 120)}`;
    else fromTc = [...parsed.programs];
  }
  return { programs: [...fromTc, ...fromBpftool], problem };
}

/** `lxcbf5cb1e7ceb0 9 10.0.2.40` lines of the endpoints section: IP → device. */
function vethByIp(section: Section | undefined): Map<string, string> | undefined {
  if (section === undefined || section.exitCode !== 0) return undefined;
  const map = new Map<string, string>();
  for (const line of section.output.split(/\r?\n/)) {
    const [dev, , ...ips] = line.trim().split(/\s+/);
    if (dev === undefined || !/^lxc/.test(dev)) continue;
    for (const ip of ips) if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) map.set(ip, dev);
  }
  return map;
}

function describe(programs: readonly AttachedProgram[]): string {
  const all = programs.flatMap(names);
  return all.length === 0 ? "no BPF program" : list([...new Set(all)]);
}

function judgeNode(
  ctx: LabContext,
  node: string,
  output: string,
): { parts: Judgement[]; modes: Set<string> } {
  const sections = splitSections(output);
  const parts: Judgement[] = [];
  const modes = new Set<string>();
  const dev = deviceOn(ctx, node);
  const bpftoolSection = sections.get("bpftool net show");
  const bpftoolRan = bpftoolSection !== undefined && bpftoolSection.exitCode === 0;
  const bpftoolParsed = bpftoolRan ? parseTcFilters(bpftoolSection.output) : undefined;
  // bpftool net show always prints its `xdp:` / `tc:` headers: output without them is not its output.
  const bpftoolOk = bpftoolParsed?.format === "bpftool" || bpftoolParsed?.format === "bpftool-json";
  const bpftool = bpftoolOk ? bpftoolParsed.programs : [];
  const bpftoolProblem = bpftoolOk
    ? ""
    : `, and bpftool net show (where tcx attachments show) ${
        bpftoolSection?.exitCode === undefined
          ? "did not run"
          : bpftoolRan
            ? `printed output that is not bpftool's: ${excerpt(bpftoolSection.output, 120) || "nothing"}`
            : `exited with code ${bpftoolSection.exitCode}: ${excerpt(bpftoolSection.output, 120)}`
      }`;
  /** Without bpftool, an empty tc listing may just mean tcx: that is not evidence of absence. */
  const unsure = (programs: readonly AttachedProgram[], problem: string | undefined): string | undefined =>
    programs.length > 0
      ? undefined
      : problem !== undefined
        ? `${problem}${bpftoolProblem}`
        : bpftoolOk
          ? undefined
          : `tc showed nothing${bpftoolProblem}`;
  const found: string[] = [];

  for (const direction of ["ingress", "egress"] as const) {
    const { programs, problem } = programsOn(sections, bpftool, dev, direction);
    const cilium = programs.filter((p) => names(p).some((n) => isDeviceProgram(n, dev, direction)));
    if (cilium.length > 0) {
      cilium.forEach((p) => p.attachMode && modes.add(p.attachMode));
      found.push(`${dev} ${direction}: ${describe(cilium)}`);
    } else if (unsure(programs, problem) !== undefined) {
      parts.push(
        inconclusive(
          `cannot tell what is attached on ${dev} ${direction} of ${node}: ${unsure(programs, problem)}`,
        ),
      );
    } else {
      const reason = `expected a Cilium program (cilium-${dev}, cil_from/to_netdev) on ${dev} ${direction} of ${node}, found ${describe(programs)}`;
      // The egress program on the node device serves NodePort/kube-proxy replacement and BPF
      // masquerading: without them an agent leaves that hook empty (cilium/cilium#17528, `bpftool net
      // show` of a tunnel-mode agent without NodePort: `ens192(2) clsact/ingress ... [from-netdev]`
      // and no egress entry, "to-netdev is not attached ... because I don't have firewall or node port
      // enabled"). Ingress stays expected.
      parts.push(
        direction === "egress"
          ? differsFrom(ctx, ["kube-proxy-replacement", "enable-bpf-masquerade"], reason)
          : fail(reason),
      );
    }
  }

  const pod = testPodOn(ctx, node);
  if (pod === undefined) {
    parts.push(inconclusive(`no test pod on ${node}: no pod veth to check`));
    return { parts, modes };
  }
  const veth = vethByIp(sections.get("endpoints"))?.get(pod.ip);
  if (veth === undefined) {
    const endpoints = sections.get("endpoints");
    const why =
      endpoints === undefined || endpoints.exitCode !== 0
        ? `cilium endpoint list failed: ${excerpt(endpoints?.output ?? "", 120) || "no output"}`
        : `no endpoint with IP ${pod.ip} in cilium endpoint list`;
    parts.push(inconclusive(`cannot find the host-side veth of ${pod.name} on ${node} (${why})`));
    return { parts, modes };
  }
  const { programs, problem } = programsOn(sections, bpftool, veth, "ingress");
  const cilium = programs.filter((p) => names(p).some(isVethProgram));
  if (cilium.length > 0) {
    cilium.forEach((p) => p.attachMode && modes.add(p.attachMode));
    found.push(`${veth} (${pod.name}) ingress: ${describe(cilium)}`);
  } else if (unsure(programs, problem) !== undefined) {
    parts.push(
      inconclusive(
        `cannot tell what is attached on ${veth} ingress of ${node}: ${unsure(programs, problem)}`,
      ),
    );
  } else {
    parts.push(
      fail(
        `expected a Cilium program (cilium-lxc..., cil_from_container) on ${veth} ingress (${pod.name}'s veth) on ${node}, found ${describe(programs)}`,
      ),
    );
  }
  if (parts.length === 0) parts.push(pass(`${node}: ${found.join("; ")}`));
  return { parts, modes };
}

function judge(ctx: LabContext, results: ReadonlyMap<string, ExecResult>): Judgement {
  if (ctx.ciliumPods.length === 0) return inconclusive("no Cilium agent pods found in kube-system");
  const all = steps(ctx);
  const parts: Judgement[] = [];
  const missing = nodesWithout(ctx, ctx.ciliumPods);
  if (missing.length > 0) parts.push(inconclusive(`no Cilium agent pod on ${list(missing)}`));
  const modes = new Set<string>();
  for (const pod of ctx.ciliumPods) {
    const step = stepById(all, stepId(pod.node));
    if (step === undefined) continue;
    const out = usableStep(step, results);
    if (!out.ok) {
      parts.push(out.judgement);
      continue;
    }
    const node = judgeNode(ctx, pod.node, out.output);
    parts.push(...node.parts);
    node.modes.forEach((m) => modes.add(m));
  }
  return combine(parts, modes.size > 0 ? { bpfAttachMode: [...modes].sort().join("+") } : undefined);
}

export const bpfAttachPoints: CheckDefinition = {
  name: "bpf-attach-points",
  proves:
    "Cilium's eBPF programs are attached on every node's device in both directions and on the ingress of each test pod's host-side veth, where the datapath takes over packets.",
  restsOn: ["kube-proxy-replacement", "enable-bpf-masquerade"],
  steps,
  judge,
};
