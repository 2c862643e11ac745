/**
 * Escaping for the report: evidence is arbitrary tool output and must not be able to break out of
 * its code block, a table cell, an HTML summary, an SVG text or a Mermaid label.
 */
import type { Verdict } from "../checks/types";

/** The longest run of a character in a text. */
function longestRun(text: string, char: string): number {
  let longest = 0;
  let current = 0;
  for (const c of text) {
    current = c === char ? current + 1 : 0;
    if (current > longest) longest = current;
  }
  return longest;
}

/**
 * A fenced code block that no content can close: the fence is one backtick longer than the longest
 * run of backticks inside (CommonMark: a closing fence needs at least as many), at least three.
 */
export function fencedBlock(content: string, info = "text"): string {
  const fence = "`".repeat(Math.max(3, longestRun(content, "`") + 1));
  const body = content.endsWith("\n") ? content : `${content}\n`;
  return `${fence}${info}\n${body}${fence}`;
}

/**
 * An inline code span for any text: delimiters longer than any backtick run inside, padded with a
 * space when the text starts or ends with a backtick. Newlines become spaces.
 */
export function inlineCode(text: string): string {
  const flat = text.replace(/\r?\n/g, " ");
  if (flat === "") return "` `";
  const ticks = "`".repeat(longestRun(flat, "`") + 1);
  const pad = flat.startsWith("`") || flat.endsWith("`") ? " " : "";
  return `${ticks}${pad}${flat}${pad}${ticks}`;
}

/** Text in Markdown: Markdown and HTML specials backslash-escaped, `&` as an entity, one line. */
export function mdText(text: string): string {
  return text
    .replace(/\r?\n/g, " ")
    .replace(/&/g, "&amp;")
    .replace(/[\\`*_[\]<>~]/g, "\\$&");
}

/**
 * A table cell: GFM splits cells on `|` even inside code spans, so every pipe is escaped, there too
 * (the table parser turns `\|` back into `|` before reading the cell's inlines).
 */
export function cell(markdown: string): string {
  return markdown.replace(/\r?\n/g, " ").replace(/\|/g, "\\|");
}

/** Text inside HTML (a `<summary>`) and XML (SVG). */
export function htmlText(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** At most `max` characters on one line, with an ellipsis when cut. */
export function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s*\r?\n\s*/g, " ⏎ ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * A Mermaid label of one or more lines (joined with `<br/>`): quoted, so punctuation is safe; `#`,
 * `"`, `<`, `>` and backticks in the text become Mermaid entity codes, so no text can end the label
 * or inject markup.
 */
export function mermaidLabel(lines: string | readonly string[]): string {
  const escape = (text: string): string =>
    text
      .replace(/#/g, "#35;")
      .replace(/"/g, "#quot;")
      .replace(/</g, "#lt;")
      .replace(/>/g, "#gt;")
      .replace(/`/g, "#96;")
      .replace(/\r?\n/g, " ");
  return `"${(typeof lines === "string" ? [lines] : lines).map(escape).join("<br/>")}"`;
}

/** A verdict as a badge. */
export const BADGE: Readonly<Record<Verdict, string>> = {
  pass: "✅ pass",
  fail: "❌ fail",
  inconclusive: "⚠️ inconclusive",
  differs: "🔷 differs from the lab profile",
};

/** An HTML anchor id: `pair-pod-to-pod-same-node`. */
export function anchor(prefix: string, name: string): string {
  return `${prefix}-${name.toLowerCase().replace(/[^a-z0-9-]+/g, "-")}`;
}
