/**
 * Cilium's own path traces as check evidence: `cilium monitor --type trace` in a node's agent, started
 * before the traffic the way captures are, bounded like every probe, and the kernel's forwarding
 * counter read around the traffic.
 *
 * The monitor prints `Listening for events on ...` and `Press Ctrl-C to quit` to stderr before it opens
 * the monitor socket, then one line per event until interrupted (cilium-dbg/cmd/monitor.go
 * `runMonitor` @577aeab; `cilium` is a symlink to `cilium-dbg` from 1.15). It stops on SIGINT (1.13's
 * exits 0 only then: ../shared/reference.md "Path traces"), but it checks for the interrupt only
 * between events, so on a quiet node `timeout -k` kills it: exit 124 (interrupted) or 137 (killed)
 * still carry the events printed until then.
 */
import { shellJoin } from "../../lib/shell";
import { parseCiliumTrace, parseProcSnmp, type TraceEvent } from "../parse";
import { type Section, sectionScript, shCommand, withTimeout } from "../probes";
import type { Judgement, LabPod, ProbeStep } from "../types";
import { excerpt, inconclusive, usableSection } from "../verdict";
import { STEP_MARGIN_SECONDS, agentTarget } from "./common";
import { type HostRouting, HOST_ROUTING_STATUS_TIMEOUT_SECONDS, hostRoutingIn } from "./hostRouting";

/** What the monitor prints once it is about to connect: the gate of the traffic. */
export const TRACE_READY = "Press Ctrl-C to quit";
/** Interrupted by timeout's SIGINT (124), killed after it (137), or ended by itself (0). */
export const TRACE_OK_EXIT_CODES: readonly number[] = [0, 124, 137];
/** Seconds the trace stream listens: it starts before the ping, which lasts up to ~6 s. */
export const TRACE_SECONDS = 10;
/** Seconds between SIGINT and SIGKILL. */
const TRACE_KILL_AFTER_SECONDS = 2;

/**
 * One exec in a node's agent: `cilium status` (section `status`, for the host routing mode), then
 * `timeout -s INT -k 2 10 cilium monitor --type trace` (section `trace`). The traffic waits for the
 * monitor's header, so the status is read first and the trace covers the traffic.
 */
export function agentTraceStep(id: string, agent: LabPod): ProbeStep {
  return {
    id,
    target: agentTarget(agent),
    argv: shCommand(
      sectionScript([
        {
          name: "status",
          command: shellJoin(withTimeout(HOST_ROUTING_STATUS_TIMEOUT_SECONDS, ["cilium", "status"])),
        },
        {
          name: "trace",
          command: shellJoin([
            "timeout",
            "-s",
            "INT",
            "-k",
            String(TRACE_KILL_AFTER_SECONDS),
            String(TRACE_SECONDS),
            "cilium",
            "monitor",
            "--type",
            "trace",
          ]),
        },
      ]),
    ),
    timeoutSeconds:
      HOST_ROUTING_STATUS_TIMEOUT_SECONDS + TRACE_SECONDS + TRACE_KILL_AFTER_SECONDS + STEP_MARGIN_SECONDS,
    readyWhen: TRACE_READY,
  };
}

/** The host routing mode from the `status` section of an {@link agentTraceStep}. */
export function traceStepHostRouting(
  step: ProbeStep,
  sections: ReadonlyMap<string, Section>,
): { mode: HostRouting; note?: string; agent?: string } {
  const status = usableSection(step, sections, "status", { okExitCodes: [0, 1] });
  if (!status.ok) return { mode: undefined, note: `host routing mode unknown (${status.judgement.reason})` };
  return hostRoutingIn(status.section.output, step.target.pod);
}

/** The events of one direction of a ping (echo requests src → dst, or replies). */
export interface FlowTrace {
  readonly events: readonly TraceEvent[];
  /** Observation points seen for the flow, in order of first appearance. */
  readonly points: readonly string[];
}

/**
 * The trace events of the echo requests from `src` to `dst`, or the inconclusive judgement that says
 * why the stream proves nothing: it did not run, lost events, or holds no event of the flow.
 */
export function requestTrace(
  step: ProbeStep,
  sections: ReadonlyMap<string, Section>,
  src: string,
  dst: string,
): FlowTrace | { judgement: Judgement } {
  const out = usableSection(step, sections, "trace", { okExitCodes: TRACE_OK_EXIT_CODES, allowEmpty: true });
  if (!out.ok) return { judgement: out.judgement };
  const stream = parseCiliumTrace(out.section.output);
  const where = `the trace stream of ${step.target.pod}`;
  if (stream.lost !== undefined)
    return {
      judgement: inconclusive(`${where} lost ${stream.lost} events, so a missing event proves nothing`),
    };
  const events = stream.events.filter((e) => e.src === src && e.dst === dst && e.icmp === "echo request");
  if (events.length === 0) {
    const why =
      stream.events.length === 0
        ? excerpt(out.section.output) || "no trace event"
        : `${stream.events.length} events of other flows`;
    return {
      judgement: inconclusive(`${where} shows no event of the echo requests ${src} → ${dst} (${why})`),
    };
  }
  return { events, points: [...new Set(events.map((e) => e.point))] };
}

/** `to-network ifindex eth0` for the reason and the facts. */
export function describeEvent(e: TraceEvent): string {
  return e.ifname === undefined ? e.point : `${e.point} ifindex ${e.ifname}`;
}

/** `Ip: ForwDatagrams` of a `/proc/net/snmp` section, or why it cannot be read. */
function forwDatagrams(
  step: ProbeStep,
  sections: ReadonlyMap<string, Section>,
  name: string,
): number | string {
  const section = usableSection(step, sections, name);
  if (!section.ok) return section.judgement.reason;
  const value = parseProcSnmp(section.section.output).counters.Ip?.ForwDatagrams;
  return (
    value ?? `no Ip: ForwDatagrams in section "${name}" of "${step.id}": ${excerpt(section.section.output)}`
  );
}

/** How much the kernel's forwarding counter grew between two sections, or why it cannot be told. */
export function forwardedDelta(
  step: ProbeStep,
  sections: ReadonlyMap<string, Section>,
  before: string,
  after: string,
): { delta: number; before: number; after: number } | { unknown: string } {
  const a = forwDatagrams(step, sections, before);
  const b = forwDatagrams(step, sections, after);
  if (typeof a === "string") return { unknown: a };
  if (typeof b === "string") return { unknown: b };
  if (b < a) return { unknown: `Ip: ForwDatagrams went down (${a} → ${b}): not one counter` };
  return { delta: b - a, before: a, after: b };
}
