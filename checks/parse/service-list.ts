import { asText, isBlank, tableLines, toInt, unrecognisedIssue } from "./text";

/** One backend of a service: "1 => 10.0.0.72:80 (active)". */
export interface ServiceBackend {
  /** As printed: "10.0.0.72:80", "10.244.1.69:53/TCP", "[fd00::1]:80". */
  readonly address: string;
  /** "active", "terminating", "quarantined", "maintenance"...; undefined when not printed. */
  readonly state: string | undefined;
}

/** One service (one frontend) of `cilium service list`. */
export interface ServiceEntry {
  /** The ID column; undefined for agents that print no ID column. */
  readonly id: number | undefined;
  /** As printed: "10.96.0.1:443" (older agents), "10.96.0.10:53/TCP" (newer), "[fd00::1]:80". */
  readonly frontend: string;
  /** "ClusterIP", "NodePort", "LoadBalancer", "HostPort", "ExternalIPs", "LocalRedirect"... as printed. */
  readonly type: string;
  readonly backends: readonly ServiceBackend[];
}

export interface ServiceList {
  readonly raw: string;
  readonly services: readonly ServiceEntry[];
  /** What could not be read (empty output, no service rows, lines not recognised). */
  readonly issues: readonly string[];
}

/** Header: "ID   Frontend   Service Type   Backend" (ID optional, extra columns allowed). */
const HEADER = /^(?:ID\s+)?Frontend\s+Service Type\b/;
/** Continuation line of a service (column 0 in flattened copies): "2 => 10.0.0.103:53 (active)". */
const BACKEND_LINE = /^(?<index>\d+)\s*=>\s*(?<rest>.*)$/;
/** A backend inside a row: "1 => 172.18.0.4:6443 (active)"; state and "(preferred)" optional. */
const BACKEND = /^(?<index>\d+)\s*=>\s*(?<address>\S+)(?:\s+\((?<state>[A-Za-z-]+)\))?/;
/** A service row: optional ID, frontend, type (maybe "(Remote)"), then the first backend or nothing. */
const SERVICE_ROW =
  /^(?:(?<id>\d+)\s+)?(?<frontend>\S+)\s+(?<type>[A-Za-z][A-Za-z0-9-]*(?: \(Remote\))?)(?:\s+(?<rest>.*))?$/;
/** An address with a port, optionally a protocol: "10.96.0.10:53", "10.96.0.10:53/TCP", "[::1]:80", "10.0.0.2:80:TCP". */
const FRONTEND = /^(?:\[[0-9A-Fa-f:.]+\]|\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}(?:[/:][A-Za-z]+)*$/;

/** A state bracket that opens but does not close ("(acti"): the line was cut. */
const CUT_STATE = /^\d+\s*=>\s*\S+\s+\([A-Za-z-]*$/;

function readBackend(text: string): ServiceBackend | undefined {
  const m = BACKEND.exec(text.trim());
  if (!m?.groups) return undefined;
  return { address: m.groups.address, state: m.groups.state };
}

function isCutBackend(text: string): boolean {
  return CUT_STATE.test(text.trim());
}

interface Row {
  readonly cut: boolean;
  readonly id: number | undefined;
  readonly frontend: string;
  readonly type: string;
  readonly backends: ServiceBackend[];
}

function readServiceRow(line: string): Row | undefined {
  const m = SERVICE_ROW.exec(line);
  if (!m?.groups || !FRONTEND.test(m.groups.frontend)) return undefined;
  const rest = m.groups.rest?.trim() ?? "";
  const first = rest === "" ? undefined : readBackend(rest);
  // Text after the type that is not a backend (an unknown extra column) is ignored.
  return {
    cut: isCutBackend(rest),
    id: toInt(m.groups.id),
    frontend: m.groups.frontend,
    type: m.groups.type,
    backends: first ? [first] : [],
  };
}

/** Parses `cilium service list` / `cilium-dbg service list`, aligned or flattened. Never throws. */
export function parseServiceList(raw: string): ServiceList {
  const text = asText(raw);
  if (isBlank(text)) return { raw: text, services: [], issues: ["empty output"] };

  const rows: Row[] = [];
  const unrecognised: string[] = [];
  const cut: string[] = [];
  const { lines, sawHeader } = tableLines(text, HEADER);
  for (const { line, original } of lines) {
    if (BACKEND_LINE.test(line)) {
      const backend = readBackend(line);
      const current = rows[rows.length - 1];
      if (backend && current) current.backends.push(backend);
      else unrecognised.push(original);
      if (isCutBackend(line)) cut.push(line);
      continue;
    }
    const row = readServiceRow(line);
    if (row) rows.push(row);
    else unrecognised.push(original);
    if (row?.cut) cut.push(line);
  }

  const issues: string[] = [];
  if (rows.length === 0) {
    issues.push(sawHeader ? "header found but no service rows" : "no service rows and no header line");
  }
  for (const line of cut) issues.push(`backend state cut short: "${line}"`);
  issues.push(...unrecognisedIssue(unrecognised));
  const services = rows.map(({ id, frontend, type, backends }) => ({ id, frontend, type, backends }));
  return { raw: text, services, issues };
}
