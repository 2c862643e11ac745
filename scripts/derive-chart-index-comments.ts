/**
 * The commented-out keys of a chart's values.yaml (`# key: value` lines placed as siblings of real
 * keys): which full-line comments count as a key, under which parent, and which are ambiguous.
 */
import { Parser, parse } from "yaml";
import { lineStarts, position, type RealKey } from "./derive-chart-index-keys";

/**
 * `#` (at most one space) `key:` optional value. Keys are camelCase, as Cilium's are; capitalised
 * words (`# Example:`, `# WARNING:`, `# Ref:`) are prose.
 */
const COMMENTED_KEY = /^#(?<gap> ?)(?<key>[a-z][A-Za-z0-9]*):(?:[ \t]+(?<value>.*?))?[ \t]*$/;
/** Lowercase words that introduce prose or links rather than a value. */
const PROSE_WORDS = new Set([
  "ref",
  "note",
  "example",
  "eg",
  "see",
  "default",
  "warning",
  "todo",
  "deprecated",
]);
/**
 * Marks the start and the end of a helm-schema annotation block (`# type: [null, string]` inside).
 * 1.18+ charts also carry a stray `# @schema@` around a few blocks (kubeProxyReplacement's among them).
 */
const SCHEMA_MARKER = /^# @schema@?$/;

interface CommentLine {
  readonly line: number;
  readonly column: number;
  readonly text: string;
}

/** Full-line YAML comments, taken from the CST, so text inside block scalars is never read as one. */
function fullLineComments(src: string): CommentLine[] {
  const starts = lineStarts(src);
  const out: CommentLine[] = [];
  const walk = (t: unknown): void => {
    if (Array.isArray(t)) {
      for (const x of t) walk(x);
    } else if (t !== null && typeof t === "object") {
      const tok = t as { type?: unknown; offset?: unknown; source?: unknown };
      if (tok.type === "comment" && typeof tok.offset === "number" && typeof tok.source === "string") {
        const { line, column } = position(starts, tok.offset);
        if (src.slice(starts[line], tok.offset).trim() === "") {
          out.push({ line, column, text: tok.source.trimEnd() });
        }
      }
      for (const v of Object.values(t)) if (v !== null && typeof v === "object") walk(v);
    }
  };
  for (const token of new Parser().parse(src)) walk(token);
  return out.sort((a, b) => a.line - b.line);
}

/**
 * Paths that exist only as commented-out `# key: value` lines (e.g. `#kubeProxyReplacement: "false"`).
 *
 * Conservative on purpose: a wrongly recorded path would let a typo through. A line counts only when
 * - it is a full-line comment outside `# @schema` blocks, shaped `#key: value` or `# key: value`
 *   (more spaces mean it is nested inside a commented-out block), with a camelCase key that is no
 *   prose word, and a value that is empty or one YAML token (quoted string, flow collection, or a
 *   word without spaces), the whole parsing as a one-key YAML map;
 * - its `#` sits where a sibling key would: at column 0 (top level), or at the column of a real child
 *   of the nearest preceding real key with a smaller column (the parent), which must be a map outside
 *   any array;
 * - it does not open a commented-out block (an empty or block-scalar value followed by deeper
 *   comment lines: `# emptyDir:` then `#   sizeLimit: ...`), where the value belongs to whoever the
 *   author meant and the indentation cannot tell; and it is not inside such a block.
 * A candidate that may instead be misindented content of the key before it is marked ambiguous
 * (see followsOtherContent); deriveChartIndex keeps it only when another version confirms the path.
 */
export function commentedCandidates(
  src: string,
  keys: readonly RealKey[],
): { path: string; ambiguous: boolean }[] {
  const comments = fullLineComments(src);
  const textLines = src.split("\n");
  const byLine = new Map(comments.map((c) => [c.line, c]));
  const out: { path: string; ambiguous: boolean }[] = [];
  let inSchema = false;
  let blockDepth: number | undefined;
  let previousLine = -2;
  for (const c of comments) {
    if (c.line !== previousLine + 1) {
      // Schema blocks and commented-out blocks are runs of adjacent comment lines.
      blockDepth = undefined;
      inSchema = false;
    }
    previousLine = c.line;
    if (SCHEMA_MARKER.test(c.text)) {
      inSchema = !inSchema;
      continue;
    }
    const depth = contentColumn(c);
    if (blockDepth !== undefined && depth > blockDepth) continue;
    blockDepth = undefined;
    if (inSchema) continue;
    const m = COMMENTED_KEY.exec(c.text);
    if (m === null || m.groups === undefined) continue;
    const key = m.groups.key;
    const value = m.groups.value ?? "";
    const next = byLine.get(c.line + 1);
    if ((value === "" || /^[|>]/.test(value)) && next !== undefined && contentColumn(next) > depth) {
      blockDepth = depth;
      continue;
    }
    if (PROSE_WORDS.has(key.toLowerCase()) || !looksLikeOneValue(key, value)) continue;
    const parent = parentOf(keys, c);
    if (parent === undefined) continue;
    out.push({
      path: parent === "" ? key : `${parent}.${key}`,
      ambiguous: followsOtherContent(keys, c, textLines),
    });
  }
  return out;
}

/** Column of the first character after `#` and its spaces. */
function contentColumn(c: CommentLine): number {
  const rest = c.text.slice(1);
  return c.column + 1 + (rest.length - rest.trimStart().length);
}

function looksLikeOneValue(key: string, value: string): boolean {
  const oneToken =
    value === "" ||
    /^"(?:[^"\\]|\\.)*"$/.test(value) ||
    /^'(?:[^']|'')*'$/.test(value) ||
    /^[[{].*[\]}]$/.test(value) ||
    /^[^\s#"'[{|>][^\s#]*$/.test(value);
  if (!oneToken) return false;
  try {
    const parsed: unknown = parse(`${key}: ${value}`);
    return parsed !== null && typeof parsed === "object" && Object.keys(parsed).length === 1;
  } catch {
    return false;
  }
}

/**
 * Whether the comment may be the misindented content of a real key before it rather than a key of
 * its own. The chart authors are not consistent, and these shapes also hold genuine sibling keys
 * (`# policyAuditMode: false` right after `nodePort`'s block in 1.17+, `# devices: ""` after
 * `tmpVolume: {}` in 1.19):
 * - the nearest real key before it is an empty `{}`/`[]` at the same level, even with a doc comment
 *   between (`maglev: {}`, `# -- tableSize is ...`, `# tableSize:` in 1.16+);
 * - it is attached (no blank line and no `# --` description between) to a deeper key
 *   (`operator.securityContext: {...}` then `  # runAsUser: 0`) or to a null key at the same level
 *   (`format_json: null` then `# date: "%Y..."`, `# level: "%l"` under `envoy.log`).
 */
function followsOtherContent(
  keys: readonly RealKey[],
  c: CommentLine,
  textLines: readonly string[],
): boolean {
  let previous: RealKey | undefined;
  for (const k of keys) {
    if (k.line >= c.line) break;
    previous = k;
  }
  if (previous === undefined) return false;
  if (previous.column === c.column && previous.isEmptyCollection) return true;
  // Attached: nothing between that key and the comment starts something new (a blank line or a
  // helm-docs `# --` description of the next key).
  const between = textLines.slice(previous.line + 1, c.line).map((l) => l.trim());
  const attached = between.every((l) => l !== "" && !l.startsWith("# --"));
  return attached && (previous.column > c.column || (previous.column === c.column && previous.isNull));
}

/** The dotted path of the map the comment would be a key of, or undefined when it is no sibling. */
function parentOf(keys: readonly RealKey[], c: CommentLine): string | undefined {
  if (c.column === 0) return keys.some((k) => k.column === 0 && k.path !== undefined) ? "" : undefined;
  let parent: RealKey | undefined;
  for (const k of keys) {
    if (k.line >= c.line) break;
    if (k.column < c.column) parent = k;
  }
  if (parent === undefined || parent.path === undefined || !parent.isMap) return undefined;
  const prefix = `${parent.path}.`;
  const hasSiblingAtColumn = keys.some(
    (k) =>
      k.column === c.column &&
      k.path !== undefined &&
      k.path.startsWith(prefix) &&
      !k.path.slice(prefix.length).includes(".") &&
      k.line > parent.line,
  );
  return hasSiblingAtColumn ? parent.path : undefined;
}
