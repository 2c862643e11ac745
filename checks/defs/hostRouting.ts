/**
 * The host routing mode an agent reports (`Host Routing: BPF|Legacy` on 1.13, `Routing: Network: ...
 * Host: BPF|Legacy` from 1.16, both read by parseCiliumStatus), and what Legacy means for the checks
 * that name a BPF host routing mechanism (bpf_redirect_peer, the BPF FIB redirect).
 */
import { parseCiliumStatus } from "../parse";
import type { ExecResult, ProbeStep } from "../types";
import { sameText, usableStep } from "../verdict";

export type HostRouting = "BPF" | "Legacy" | undefined;

/** Seconds the `cilium status` read for the host routing mode may take (redirect-peer-*, the traces). */
export const HOST_ROUTING_STATUS_TIMEOUT_SECONDS = 30;

/** The settings under which an agent uses Legacy host routing (cilium-config keys a check may rest on). */
export const LEGACY_KEYS = [
  "enable-host-legacy-routing",
  "enable-bpf-masquerade",
  "kube-proxy-replacement",
] as const;

/** Why an agent falls back to Legacy host routing (../shared/reference.md, "Path traces"). */
export const LEGACY_CAUSES =
  "a kernel older than 5.10, bpf.hostLegacyRouting=true (enable-host-legacy-routing), BPF masquerading or " +
  "kube-proxy replacement off, endpoint routes, IPsec or WireGuard encryption";

/** The mode from an agent's `cilium status` step, or a note saying why it is unknown. */
export function hostRoutingOf(
  step: ProbeStep | undefined,
  results: ReadonlyMap<string, ExecResult>,
  missing: string,
): { mode: HostRouting; note?: string; agent?: string } {
  if (step === undefined) return { mode: undefined, note: missing };
  const out = usableStep(step, results, { okExitCodes: [0, 1] });
  if (!out.ok) return { mode: undefined, note: `host routing mode unknown (${out.judgement.reason})` };
  return hostRoutingIn(out.output, step.target.pod);
}

/** The mode in `cilium status` text printed by an agent. */
export function hostRoutingIn(
  status: string,
  agent: string,
): { mode: HostRouting; note?: string; agent?: string } {
  const mode = parseCiliumStatus(status).hostRouting;
  if (sameText(mode, "BPF")) return { mode: "BPF", agent };
  if (sameText(mode, "Legacy")) return { mode: "Legacy", agent };
  return { mode: undefined, note: `host routing mode not shown by cilium status (${mode ?? "no line"})` };
}

/** `cilium-496vl reports "Host Routing: Legacy" in cilium status`. */
export function legacyStatusLine(agent: string | undefined): string {
  return `${agent ?? "the agent"} reports "Host Routing: Legacy" in cilium status`;
}
