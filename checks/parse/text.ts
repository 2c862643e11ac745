/**
 * Shared plumbing for the parsers: turn whatever arrived into text and lines, never throwing.
 * Parsers receive raw tool output; callers written in JavaScript (or a bad cast) may pass anything.
 */

/** The input as a string: strings as they are, null/undefined as "", anything else through String(). */
export function asText(raw: unknown): string {
  if (typeof raw === "string") return raw;
  if (raw === null || raw === undefined) return "";
  try {
    return String(raw);
  } catch {
    return "";
  }
}

/**
 * No real line of the parsed tools comes near this length; longer lines (binary garbage) are cut so
 * that no regex ever runs over megabytes.
 */
const MAX_LINE = 8192;

/** Lines without their line terminators (\n, \r\n or a lone \r), each cut to MAX_LINE characters. */
export function splitLines(text: string): string[] {
  return text.split(/\r\n|\n|\r/).map((line) => (line.length > MAX_LINE ? line.slice(0, MAX_LINE) : line));
}

/** One data line of a table-shaped output: trimmed, and as it arrived (for `issues`). */
export interface TableLine {
  readonly line: string;
  readonly original: string;
}

/**
 * The non-empty lines of a table-shaped output other than its header lines (matched on the trimmed
 * line, wherever they stand), and whether a header was seen at all.
 */
export function tableLines(text: string, header: RegExp): { lines: TableLine[]; sawHeader: boolean } {
  const lines: TableLine[] = [];
  let sawHeader = false;
  for (const original of splitLines(text)) {
    const line = original.trim();
    if (line === "") continue;
    if (header.test(line)) sawHeader = true;
    else lines.push({ line, original });
  }
  return { lines, sawHeader };
}

/** True when the text holds nothing but whitespace. */
export function isBlank(text: string): boolean {
  return text.trim() === "";
}

/** A base-10 integer from a regex group, or undefined when absent or not a safe integer. */
export function toInt(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** A finite decimal number from a regex group, or undefined. */
export function toFloat(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+(?:\.\d+)?$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** JSON.parse that returns undefined instead of throwing. */
export function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A plain object (not an array, not null) or undefined. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** A non-empty string or undefined. */
export function asNonEmptyString(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

/** "N lines not recognised (first: ...)" for the issues list, or nothing when every line was understood. */
export function unrecognisedIssue(lines: readonly string[]): string[] {
  if (lines.length === 0) return [];
  const first = lines[0].trim();
  const shown = first.length > 80 ? `${first.slice(0, 77)}...` : first;
  return [`${lines.length} line(s) not recognised (first: "${shown}")`];
}
