/**
 * The real keys of a chart's values.yaml: every key of the parsed YAML with its dotted path and its
 * line and column in the text, plus the offset → line/column helpers the comment reader shares.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, parseDocument } from "yaml";
import type { Node as YamlNode } from "yaml";

/** A real key of the parsed YAML with where it sits in the text. */
export interface RealKey {
  /** Dotted path; undefined for keys inside arrays, which the index does not describe. */
  readonly path: string | undefined;
  /** 0-based line and column of the key's first character. */
  readonly line: number;
  readonly column: number;
  /** Whether its value is a block or flow mapping (so it can have children). */
  readonly isMap: boolean;
  /** Whether its value is an empty map or array (`{}`, `[]`). */
  readonly isEmptyCollection: boolean;
  /** Whether its value is null (`~`, `null` or nothing). */
  readonly isNull: boolean;
}

export function realKeys(src: string, version: string): RealKey[] {
  const doc = parseDocument(src);
  if (doc.errors.length > 0) {
    throw new Error(`values.yaml of ${version} does not parse: ${doc.errors[0].message}`);
  }
  const lines = lineStarts(src);
  const out: RealKey[] = [];
  const visit = (node: unknown, prefix: string | undefined): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair) || !isScalar(pair.key) || pair.key.range === undefined || pair.key.range === null) {
          continue;
        }
        const key = String(pair.key.value);
        const { line, column } = position(lines, pair.key.range[0]);
        const path = prefix === undefined ? undefined : prefix === "" ? key : `${prefix}.${key}`;
        const value = pair.value as YamlNode | null;
        const isEmptyCollection = (isMap(value) || isSeq(value)) && value.items.length === 0;
        const isNull = value === null || (isScalar(value) && value.value === null);
        out.push({ path, line, column, isMap: isMap(value), isEmptyCollection, isNull });
        // An alias is a reference, not structure of this chart: record it as a leaf.
        if (!isAlias(value)) visit(value, path);
      }
    } else if (isSeq(node)) {
      // Keys inside arrays are kept (path undefined) so that a comment inside an array item
      // does not get attributed to an outer map.
      for (const item of node.items) visit(item, undefined);
    }
  };
  visit(doc.contents, "");
  return out.sort((a, b) => a.line - b.line || a.column - b.column);
}

export function lineStarts(src: string): number[] {
  const starts = [0];
  for (let i = 0; i < src.length; i++) if (src[i] === "\n") starts.push(i + 1);
  return starts;
}

export function position(starts: readonly number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo, column: offset - starts[lo] };
}
