/**
 * `cilium bpf lb list` / `cilium-dbg bpf lb list`: the agent's BPF service map as it is, one block per
 * frontend key. The only place a Cilium 1.18+ agent shows its per-node-address NodePort frontends
 * (`cilium-dbg service list` serves the control plane's frontends table, where a NodePort is
 * `0.0.0.0:<port>/TCP` only: cilium/cilium pkg/loadbalancer/cell/restapi.go @8304097, and the
 * frontends vs. BPF map tables of pkg/loadbalancer/tests/testdata/nodeport.txtar @035b147).
 *
 * Layout (cilium-dbg/cmd/bpf_lb_list.go @08f0582, `dumpSVC` + `TablePrinter`): a header
 * `SERVICE ADDRESS   BACKEND ADDRESS (REVNAT_ID) (SLOT)`, then per key its entries, the first on the
 * key's line and the others on lines with an empty first column:
 *
 *     172.18.0.2:32646    0.0.0.0:0 (33) (0) [NodePort, l7-load-balancer]
 *     10.96.0.1:443       172.18.0.3:6443 (1) (1)
 *
 * Slot 0 is the service entry (`0.0.0.0:0 (revnat) (0) [flags]`), other slots are backends
 * (`ip:port (revnat) (slot)`; newer trees add the protocol, `ip:port/TCP`). Older agents print no
 * slot and a plain `BACKEND ADDRESS` header (cilium/cilium#10402: `0.0.0.0:0 (14) [ClusterIP]`).
 * Keys are `ip:port`, newer ones `ip:port/TCP`, with `/i` for the internal scope of a split service.
 *
 * Cilium 1.18 prints the slot in the key too: `Service4Key.String` appends ` (<slot>)`
 * (cilium/cilium pkg/loadbalancer/maps/types.go @0bd12c6, `addr = fmt.Sprintf("%s (%d)", addr,
 * kHost.BackendSlot)`), and `dumpSVC` groups entries by that string (`serviceList[svc]`), so every
 * slot is a key of its own, in map order, e.g. (real 1.18 output, CloudNet@ Cilium Study notes):
 *
 *     10.96.48.145:80/TCP (2)        172.20.1.219:80/TCP (20) (2)
 *     10.96.48.145:80/TCP (0)        0.0.0.0:0 (20) (0) [ClusterIP, non-routable]
 *
 * The parser keeps one block per key line, in printed order (so a cut output is a prefix of the full
 * one); {@link frontendsByKey} merges the blocks of one frontend (the key without its slot), wherever
 * its lines are.
 */
import { asText, isBlank, tableLines, unrecognisedIssue } from "./text";

/** One frontend key of the BPF service map with its entries. */
export interface LbFrontend {
  /** As printed: "172.18.0.2:32000", "172.18.0.2:32000/TCP", "10.96.0.1:443/TCP/i". */
  readonly key: string;
  /** `ip:port` of the key without protocol or scope. */
  readonly address: string;
  /** True for a `/i` (internal scope) key. */
  readonly internal: boolean;
  /** Flags of the slot-0 entry: ["NodePort"], ["ClusterIP", "non-routable"]; empty when not printed. */
  readonly flags: readonly string[];
  /** Backend addresses `ip:port` (protocol dropped), in printed order. */
  readonly backends: readonly string[];
  /** True when the slot-0 (service) entry was seen. */
  readonly hasServiceEntry: boolean;
}

export interface LbList {
  readonly raw: string;
  readonly frontends: readonly LbFrontend[];
  readonly issues: readonly string[];
}

const ADDR = String.raw`(?:\[[0-9A-Fa-f:.]+\]|\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}`;
const HEADER = /^SERVICE ADDRESS\s+BACKEND/;
/** A key line: `ip:port`, optionally `/PROTO` and `/i`, optionally ` (slot)` (1.18), then the entry. */
const KEY_LINE = new RegExp(
  String.raw`^(?<key>(?<addr>${ADDR})(?:/[A-Za-z]+)?(?<scope>/i)?)(?:\s+\((?<slot>\d+)\))?\s+(?<rest>\S.*)$`,
);
/** An entry: `ip:port[/PROTO] (revnat)[ (slot)][ [flags]]...`, or `backend N not found`. */
const ENTRY = new RegExp(
  String.raw`^(?<addr>${ADDR})(?:/[A-Za-z]+)?\s+\((?<revnat>\d+)\)(?:\s+\((?<slot>\d+)\))?(?:\s+\[(?<flags>[^\]]*)\])?`,
);
const NOT_FOUND = /^backend \d+ not found/;
const STARTS_WITH_ADDR = new RegExp(`^${ADDR}`);

interface Block {
  key: string;
  address: string;
  internal: boolean;
  flags: string[];
  backends: string[];
  hasServiceEntry: boolean;
}

function readEntry(block: Block, text: string): boolean {
  if (NOT_FOUND.test(text)) return true;
  const m = ENTRY.exec(text);
  if (!m?.groups) return false;
  const { addr, slot, flags } = m.groups;
  const isService = slot === "0" || /^(?:0\.0\.0\.0|\[::\]):0$/.test(addr);
  if (isService) {
    block.hasServiceEntry = true;
    if (flags !== undefined)
      block.flags = flags
        .split(",")
        .map((f) => f.trim())
        .filter((f) => f !== "");
  } else {
    block.backends.push(addr);
  }
  return true;
}

/** Parses `cilium bpf lb list` text, aligned, tab-prefixed or flattened. Never throws. */
export function parseBpfLbList(raw: string): LbList {
  const text = asText(raw);
  if (isBlank(text)) return { raw: text, frontends: [], issues: ["empty output"] };
  const blocks: Block[] = [];
  const unrecognised: string[] = [];
  const { lines, sawHeader } = tableLines(text, HEADER);
  let current: Block | undefined;
  for (const { line, original } of lines) {
    const key = KEY_LINE.exec(line);
    // A key's line holds the key and its first entry (an address or "backend N not found"); an
    // entry line starts with an address too, but is followed by "(revnat)" instead.
    const rest = key?.groups?.rest ?? "";
    if (key?.groups && (STARTS_WITH_ADDR.test(rest) || NOT_FOUND.test(rest))) {
      current = {
        key: key.groups.key,
        address: key.groups.addr,
        internal: key.groups.scope !== undefined,
        flags: [],
        backends: [],
        hasServiceEntry: false,
      };
      blocks.push(current);
      if (!readEntry(current, rest)) unrecognised.push(original);
      continue;
    }
    if (current === undefined || !readEntry(current, line)) unrecognised.push(original);
  }
  const issues: string[] = [];
  if (blocks.length === 0)
    issues.push(sawHeader ? "header found but no entries" : "no entries and no header line");
  issues.push(...unrecognisedIssue(unrecognised));
  const frontends = blocks.map((b) => ({ ...b }));
  return { raw: text, frontends, issues };
}

/**
 * One block per frontend key: the blocks of a key printed more than once (Cilium 1.18 prints each slot
 * as a key line of its own) merged, in order of first appearance; backends in printed order.
 */
export function frontendsByKey(frontends: readonly LbFrontend[]): LbFrontend[] {
  const merged = new Map<string, Block>();
  for (const f of frontends) {
    const m = merged.get(f.key);
    if (m === undefined) {
      merged.set(f.key, { ...f, flags: [...f.flags], backends: [...f.backends] });
      continue;
    }
    m.backends.push(...f.backends);
    if (f.hasServiceEntry) {
      m.hasServiceEntry = true;
      if (f.flags.length > 0) m.flags = [...f.flags];
    }
  }
  return [...merged.values()];
}

/** `ip:port` of a backend or frontend without a protocol suffix (`10.0.0.72:80/TCP` → `10.0.0.72:80`). */
export function lbAddress(address: string): string {
  const m = new RegExp(`^(${ADDR})`).exec(address);
  return m ? m[1] : address;
}
