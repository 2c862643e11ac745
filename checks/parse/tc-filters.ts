import {
  asNonEmptyString,
  asRecord,
  asText,
  isBlank,
  splitLines,
  toInt,
  tryParseJson,
  unrecognisedIssue,
} from "./text";

export type Direction = "ingress" | "egress";

/** One BPF program attached to a network device. */
export interface AttachedProgram {
  /**
   * The program as the tool names it: the tc filter name ("cilium-eth0", "bpf_host.o:[from-netdev]")
   * or bpftool's name ("cil_from_netdev", "prog.o:[tc]"); undefined when none is printed.
   */
  readonly name: string | undefined;
  /** The device; from the context for `tc filter show`, which does not print it. */
  readonly dev: string | undefined;
  /** The hook direction; from the context for `tc filter show`. */
  readonly direction: Direction | undefined;
  /** "tcx" (bpftool tcx/...), "tc" (tc filters, bpftool clsact/... and other qdiscs) or "xdp". */
  readonly attachMode: "tcx" | "tc" | "xdp" | undefined;
  /** The BPF program id ("id 7232", "prog_id 1234"). */
  readonly id: number | undefined;
  /** The kernel's program name printed by newer tc ("name cil_from_netdev"); undefined otherwise. */
  readonly progName: string | undefined;
}

export interface TcFilters {
  readonly raw: string;
  /** "tc" (`tc filter show`), "bpftool" (`bpftool net show`), "bpftool-json" (`bpftool -j net show`). */
  readonly format: "tc" | "bpftool" | "bpftool-json" | undefined;
  readonly programs: readonly AttachedProgram[];
  /** What could not be read or is not known (device/direction not given for tc output...). */
  readonly issues: readonly string[];
}

/** What `tc filter show dev X ingress|egress` does not print: the caller says it. */
export interface TcFilterContext {
  readonly dev?: string;
  readonly direction?: Direction;
}

// --- tc filter show: "filter protocol all pref 1 bpf chain 0 handle 0x1 cilium-eth0 direct-action not_in_hw id 7186 tag d1f9b589b59b2d62 jited"
const TC_FILTER = /^filter\s/;
/** The first line of each filter kind/priority: "filter protocol all pref 1 bpf chain 0". */
const TC_CHAIN = /^filter\s.*\schain\s+\d+$/;
const TC_BPF_PROGRAM = /^filter\s.*?\sbpf\s.*?\bhandle\s+\S+\s+(?<rest>.*)$/;
const TC_ID = /(?:^|\s)id\s+(?<id>\d+)/;
const TC_NAME = /(?:^|\s)name\s+(?<name>\S+)/;
/** Every bpf filter line ends with the program tag ("tag 343a0e7d38824f0e"), jited or not. */
const TC_TAG = /(?:^|\s)tag\s+[0-9a-f]{16}(?:\s|$)/;
/** Words that follow the handle when the filter has no name. */
const TC_KEYWORDS = new Set([
  "direct-action",
  "da",
  "not_in_hw",
  "in_hw",
  "skip_hw",
  "skip_sw",
  "id",
  "tag",
  "jited",
]);

// --- bpftool net show: "eth0(2) tcx/ingress cil_from_netdev prog_id 1234 link_id 5", "eth0(2) clsact/ingress bpf_host.o:[from-netdev] id 221"
const BPFTOOL_SECTION = /^(?<section>[a-z_]+):$/;
/** bpftool prints xdp:, tc:, then flow_dissector: (and netfilter: on newer versions). */
const BPFTOOL_SECTIONS_AFTER_TC = new Set(["flow_dissector", "netfilter"]);
const BPFTOOL_LINE = /^(?<dev>[^\s()]+)\((?<ifindex>\d+)\)\s+(?<kind>\S+)(?:\s+(?<rest>.*))?$/;
const BPFTOOL_PROG_ID = /(?:^|\s)prog[_ ]id\s+(?<id>\d+)/;
const BPFTOOL_ID = /(?:^|\s)id\s+(?<id>\d+)/;
/** Words that follow the kind when the program has no name. */
const BPFTOOL_KEYWORDS = new Set(["id", "prog_id", "prog", "link_id", "link", "act"]);

function directionOf(kind: string): Direction | undefined {
  if (/\/ingress$/.test(kind)) return "ingress";
  if (/\/egress$/.test(kind)) return "egress";
  return undefined;
}

function attachModeOf(section: string | undefined, kind: string): AttachedProgram["attachMode"] {
  if (section === "xdp") return "xdp";
  if (kind.startsWith("tcx/")) return "tcx";
  return section === "tc" || section === undefined ? "tc" : undefined;
}

function readTcFilter(line: string, ctx: TcFilterContext): AttachedProgram | undefined {
  const m = TC_BPF_PROGRAM.exec(line);
  if (!m?.groups) return undefined;
  const rest = m.groups.rest;
  const first = rest.split(/\s+/)[0];
  return {
    name: first && !TC_KEYWORDS.has(first) ? first : undefined,
    dev: ctx.dev,
    direction: ctx.direction,
    attachMode: "tc",
    id: toInt(TC_ID.exec(rest)?.groups?.id),
    progName: TC_NAME.exec(rest)?.groups?.name,
  };
}

function readBpftoolLine(line: string, section: string | undefined): AttachedProgram | undefined {
  const m = BPFTOOL_LINE.exec(line);
  if (!m?.groups) return undefined;
  const rest = m.groups.rest ?? "";
  const first = rest.split(/\s+/)[0];
  const id = BPFTOOL_PROG_ID.exec(rest)?.groups?.id ?? BPFTOOL_ID.exec(rest)?.groups?.id;
  return {
    name: first && !BPFTOOL_KEYWORDS.has(first) ? first : undefined,
    dev: m.groups.dev,
    direction: directionOf(m.groups.kind),
    attachMode: attachModeOf(section, m.groups.kind),
    id: toInt(id),
    progName: undefined,
  };
}

/** One entry of bpftool's JSON ("tc": [{ devname, ifindex, kind, name, id | prog_id, link_id }]). */
function readBpftoolJsonEntry(entry: unknown, section: string): AttachedProgram | undefined {
  const e = asRecord(entry);
  if (e === undefined) return undefined;
  const kind = asNonEmptyString(e["kind"]) ?? asNonEmptyString(e["mode"]) ?? "";
  const id = typeof e["prog_id"] === "number" ? e["prog_id"] : e["id"];
  return {
    name: asNonEmptyString(e["name"]),
    dev: asNonEmptyString(e["devname"]),
    direction: directionOf(kind),
    attachMode: attachModeOf(section, kind),
    id: typeof id === "number" && Number.isSafeInteger(id) ? id : undefined,
    progName: undefined,
  };
}

function parseBpftoolJson(value: unknown): AttachedProgram[] | undefined {
  const roots = Array.isArray(value) ? value : [value];
  const programs: AttachedProgram[] = [];
  let recognised = false;
  for (const root of roots) {
    const r = asRecord(root);
    if (r === undefined) continue;
    for (const section of ["xdp", "tc"]) {
      const entries = r[section];
      if (!Array.isArray(entries)) continue;
      recognised = true;
      for (const entry of entries) {
        const program = readBpftoolJsonEntry(entry, section);
        if (program) programs.push(program);
      }
    }
  }
  return recognised ? programs : undefined;
}

interface LineResult {
  readonly programs: AttachedProgram[];
  readonly format: TcFilters["format"];
  readonly unrecognised: string[];
  readonly issues: string[];
}

function parseLines(lines: readonly string[], ctx: TcFilterContext): LineResult {
  const programs: AttachedProgram[] = [];
  const unrecognised: string[] = [];
  const issues: string[] = [];
  let format: TcFilters["format"];
  let section: string | undefined;
  let reachedEnd = false;
  for (const original of lines) {
    const line = original.trim();
    if (line === "") continue;
    const header = BPFTOOL_SECTION.exec(line);
    if (header?.groups) {
      section = header.groups.section;
      format = "bpftool";
      if (BPFTOOL_SECTIONS_AFTER_TC.has(section)) reachedEnd = true;
      continue;
    }
    if (TC_FILTER.test(line)) {
      format ??= "tc";
      const program = readTcFilter(line, ctx);
      if (program) programs.push(program);
      else if (!TC_CHAIN.test(line)) unrecognised.push(original);
      if (program && !TC_TAG.test(line)) issues.push(`tc filter line shows no program tag (cut?): "${line}"`);
      continue;
    }
    if (section !== undefined && section !== "xdp" && section !== "tc") continue; // flow_dissector, netfilter...
    const program = readBpftoolLine(line, section);
    if (program) {
      format ??= "bpftool";
      programs.push(program);
    } else unrecognised.push(original);
  }
  if (format === "bpftool" && !reachedEnd) {
    issues.push("bpftool output stops before its flow_dissector: section (cut?)");
  }
  return { programs, format, unrecognised, issues };
}

/**
 * Parses `tc filter show dev X ingress|egress`, `bpftool net show` or `bpftool -j net show`.
 * `tc filter show` does not print the device or the direction: pass them in `ctx`; they are not used
 * for bpftool output, which prints both (all devices are returned; filter them yourself). An empty
 * output yields no programs and the issue "empty output" (with tcx, `tc filter show` is empty).
 * Never throws.
 */
export function parseTcFilters(raw: string, ctx: TcFilterContext = {}): TcFilters {
  const text = asText(raw);
  const context = asRecord(ctx) ?? {};
  const safeCtx: TcFilterContext = {
    dev: asNonEmptyString(context["dev"]),
    direction:
      context["direction"] === "ingress" || context["direction"] === "egress"
        ? context["direction"]
        : undefined,
  };
  if (isBlank(text)) return { raw: text, format: undefined, programs: [], issues: ["empty output"] };

  if (/^\s*[[{]/.test(text)) {
    const programs = parseBpftoolJson(tryParseJson(text.trim()));
    if (programs) return { raw: text, format: "bpftool-json", programs, issues: [] };
    return {
      raw: text,
      format: undefined,
      programs: [],
      issues: ["output looks like JSON but is not bpftool's"],
    };
  }

  const { programs, format, unrecognised, issues } = parseLines(splitLines(text), safeCtx);
  if (format === undefined) issues.push("not recognised as tc filter or bpftool net output");
  if (format === "tc") {
    if (safeCtx.dev === undefined)
      issues.push("device unknown: tc filter show does not print it (pass ctx.dev)");
    if (safeCtx.direction === undefined) {
      issues.push("direction unknown: tc filter show does not print it (pass ctx.direction)");
    }
  }
  issues.push(...unrecognisedIssue(unrecognised));
  return { raw: text, format, programs, issues };
}
