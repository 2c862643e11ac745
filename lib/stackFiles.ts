/**
 * Reads a stack's configuration the way the Pulumi CLI assembles it, for tools that run outside
 * `pulumi` (the preflight): the `default`s of Pulumi.yaml's `config:` block, overlaid by the
 * `config:` of Pulumi.<stack>.yaml (keys prefixed `<project>:`). Values become the raw strings
 * lib/config.ts validates; secure (encrypted) values are not decrypted, only marked present. A stack
 * with no Pulumi.<stack>.yaml gets the defaults alone.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { PROJECT } from "./config";

/** The value a secure (encrypted) stack config entry is replaced with: present, not readable. */
export const SECURE_PLACEHOLDER = "[secure]";

function asRaw(value: unknown): string {
  if (typeof value === "string") return value;
  if (value && typeof value === "object" && "secure" in value) return SECURE_PLACEHOLDER;
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** Raw config (key without the project prefix → string) of `stack` in the project directory `dir`. */
export function readStackConfig(dir: string, stack: string): Record<string, string> {
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) {
    throw new Error(`stack name ${JSON.stringify(stack)} must be letters, digits, '_', '.' or '-'`);
  }
  const project = parse(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8")) as {
    config?: Record<string, { default?: unknown } | unknown>;
  };
  const raw: Record<string, string> = {};
  for (const [key, spec] of Object.entries(project.config ?? {})) {
    if (spec && typeof spec === "object" && "default" in spec) {
      raw[key] = asRaw((spec as { default?: unknown }).default);
    }
  }
  const file = path.join(dir, `Pulumi.${stack}.yaml`);
  // A stack without a file has only the project defaults (as `pulumi up` would use).
  if (!fs.existsSync(file)) return raw;
  const doc = (parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  for (const [key, value] of Object.entries(doc.config ?? {})) {
    if (!key.startsWith(`${PROJECT}:`)) continue;
    raw[key.slice(PROJECT.length + 1)] = asRaw(value);
  }
  return raw;
}
