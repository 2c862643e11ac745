/**
 * Small readers of parsed JSON of unknown shape (kubectl documents, a recorded context): an object
 * or undefined, a non-empty string or undefined, a value down a path of keys.
 */

export type Json = Record<string, unknown>;

export function obj(v: unknown): Json | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
}

export function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

export function path(v: unknown, ...keys: string[]): unknown {
  let cur: unknown = v;
  for (const k of keys) cur = obj(cur)?.[k];
  return cur;
}
