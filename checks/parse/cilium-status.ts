/**
 * Parses `cilium status` (text, aligned or flattened) or `cilium status -o json` into a
 * {@link CiliumStatus}: picks the form, then hands over to cilium-status-text.ts or
 * cilium-status-json.ts. The result type lives in cilium-status-model.ts.
 */
import { parseJson } from "./cilium-status-json";
import { emptyFacts, type CiliumStatus } from "./cilium-status-model";
import { parseText } from "./cilium-status-text";
import { asText, isBlank, splitLines } from "./text";

/**
 * Text with a line that opens a JSON object is taken as `-o json` (the text form never starts a line
 * with "{"; kubectl may print "Defaulted container ..." before the document).
 */
function looksLikeJson(text: string): boolean {
  return /^[ \t]*\{/m.test(text);
}

/** Parses `cilium status` (text, aligned or flattened) or `cilium status -o json`. Never throws. */
export function parseCiliumStatus(raw: string): CiliumStatus {
  const text = asText(raw);
  if (isBlank(text)) {
    return { raw: text, format: undefined, ...emptyFacts(), issues: ["empty output"] };
  }
  if (looksLikeJson(text)) {
    const { facts, issues } = parseJson(text);
    return { raw: text, format: "json", ...facts, issues };
  }
  const { facts, issues, recognised } = parseText(splitLines(text));
  if (!recognised) {
    return {
      raw: text,
      format: undefined,
      ...emptyFacts(),
      issues: ["not recognised as cilium status output"],
    };
  }
  return { raw: text, format: "text", ...facts, issues };
}
