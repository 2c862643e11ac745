/**
 * Reading resource properties the way the policy engine hands them over.
 *
 * During `pulumi preview` the engine wraps props in a proxy that throws when a policy touches a value
 * that is not known yet (for example `k8sServiceHost`, computed from the kind node inventory). A
 * policy that reads one value should let that error escape: the engine then reports "can't run
 * policy during preview" as an advisory note and judges the value on `pulumi up`. A policy that walks
 * many values (every key of the Helm values, every resource of the stack) must not stop at the first
 * unknown, so it works on a {@link snapshot}: a plain copy in which unknown values are
 * {@link UnknownAtPreview} markers carrying the engine's error.
 */

import { UnknownValueError } from "@pulumi/policy";

/** A value the engine does not know yet; `cause` is the engine's own error. */
export class UnknownAtPreview {
  constructor(
    readonly path: string,
    readonly cause: unknown,
  ) {}
}

export type Plain = unknown;

/**
 * A plain deep copy of props (or of any value inside them). Values the engine cannot read yet become
 * {@link UnknownAtPreview} markers instead of throwing.
 */
export function snapshot(value: unknown, path = ""): Plain {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) out.push(readChild(value, i, `${path}[${i}]`));
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    out[key] = readChild(value as Record<string, unknown>, key, path === "" ? key : `${path}.${key}`);
  }
  return out;
}

function readChild(container: object, key: string | number, path: string): Plain {
  let child: unknown;
  try {
    child = (container as Record<string | number, unknown>)[key];
  } catch (err) {
    if (err instanceof UnknownValueError) return new UnknownAtPreview(path, err);
    throw err;
  }
  return snapshot(child, path);
}

export function isUnknown(value: unknown): value is UnknownAtPreview {
  return value instanceof UnknownAtPreview;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) && !isUnknown(value);
}

/**
 * The value at a dotted path of a snapshot: undefined when any step is missing, the
 * {@link UnknownAtPreview} marker when a step is unknown. Keys containing dots (label keys such as
 * `app.kubernetes.io/part-of`) are read with {@link field} instead.
 */
export function peek(root: Plain, path: string): Plain {
  let cur: Plain = root;
  for (const step of path.split(".")) {
    if (isUnknown(cur)) return cur;
    if (!isRecord(cur)) return undefined;
    cur = cur[step];
  }
  return cur;
}

/** Like {@link peek}, but an unknown value throws the engine's error ("can't run during preview"). */
export function need(root: Plain, path: string): unknown {
  const value = peek(root, path);
  if (isUnknown(value)) throw value.cause;
  return value;
}

/** One key of a record snapshot (any characters allowed in the key); undefined when not a record. */
export function field(record: Plain, key: string): Plain {
  return isRecord(record) ? record[key] : undefined;
}

/** A string value, or undefined for anything else (missing, unknown, another type). */
export function str(value: Plain): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** A snapshot with unknown values replaced by null: for walks that only need the shape. */
export function withoutUnknowns(value: Plain): Plain {
  if (isUnknown(value)) return null;
  if (Array.isArray(value)) return value.map(withoutUnknowns);
  if (isRecord(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutUnknowns(v)]));
  }
  return value;
}

/**
 * A value for a violation message: `unset` for undefined/null, strings bare unless they would read
 * as another type (`"true"`, `""`, `"8"`), everything else as JSON.
 */
export function show(value: unknown): string {
  if (value === undefined || value === null) return "unset";
  if (isUnknown(value)) return "(unknown until the update)";
  if (typeof value === "string") {
    return value === "" || /^(true|false|null|~|-?\d+(\.\d+)?)$/i.test(value) || /\s/.test(value)
      ? JSON.stringify(value)
      : value;
  }
  return JSON.stringify(value);
}

/** `key=value` (or `key unset`) for a violation message. */
export function found(key: string, value: unknown): string {
  return value === undefined || value === null ? `${key} unset` : `${key}=${show(value)}`;
}
