/**
 * The Helm values a chart gets from a Helm resource's inputs: `valueYamlFiles` merged in order, then
 * `values` over them ("A map of chart values may also be supplied with the `values` input, with
 * highest precedence": @pulumi/kubernetes 4.34.2 helm/v4/chart.d.ts lines 46-50; helm.v3.Release
 * documents the same pair). Maps merge key by key; any other value replaces (Helm's coalescing).
 *
 * The engine hands a policy an asset as the `@pulumi/pulumi` asset object whose `path`/`text` is a
 * promise (pulumi-policy sdk/nodejs/policy/deserialize.ts, `specialAssetSig`), wrapped in the
 * unknown-checking proxy; so files are read asynchronously from the unwrapped object. A relative
 * FileAsset path is relative to the program's directory, but a Node policy pack runs in its own
 * directory (pulumi/pulumi sdk/nodejs/cmd/pulumi-language-nodejs/main.go lines 1744-1747: "node
 * policy packs used to always run with the working directory set to the policy pack directory"), so
 * relative paths are read from the program's directory, found as ./programDir.ts says (the project of
 * the resource's URN). A file that cannot be read is named, not guessed.
 */
import { readFile } from "node:fs/promises";
import * as path from "node:path";
import { parse } from "yaml";
import { Plain, isRecord, need, snapshot } from "./props";

/** The merged values and the value files the pack could not read. */
export interface HelmValues {
  readonly values: Record<string, unknown>;
  readonly unreadable: readonly string[];
}

/** The proxy's hook that returns the real object (pulumi-policy proxy.ts `getSpecialProxyTarget`, not typed). */
const PROXY_TARGET = "__getSpecialProxyTarget";

/** Reads one asset of `valueYamlFiles` (a proxied asset object): its YAML, or why not. */
async function readAsset(
  entry: unknown,
  base: string | undefined,
): Promise<{ doc?: unknown; problem?: string }> {
  const target = ((entry as Record<string, unknown>)?.[PROXY_TARGET] ?? entry) as Record<string, unknown>;
  try {
    let text: string;
    if (target && target.text !== undefined) {
      text = String(await target.text);
    } else if (target && target.path !== undefined) {
      const file = String(await target.path);
      if (!path.isAbsolute(file) && base === undefined) {
        return { problem: `${file}: relative, and the program's directory was not found` };
      }
      text = await readFile(path.resolve(base ?? "/", file), "utf8");
    } else {
      return { problem: "a values file that is neither a FileAsset nor a StringAsset" };
    }
    return { doc: parse(text) ?? {} };
  } catch (err) {
    return { problem: (err as Error).message.split("\n")[0] };
  }
}

/** Deep merge of Helm values: maps key by key, anything else replaces. */
export function mergeValues(base: Plain, over: Plain): Plain {
  if (!isRecord(base) || !isRecord(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in out ? mergeValues(out[k], v) : v;
  return out;
}

/**
 * The values of a Helm resource's props (the raw, proxied props: assets need the real objects).
 * An unknown `values` or file list throws the engine's error, as reading it directly would.
 */
export async function helmValuesOf(
  rawProps: Record<string, unknown>,
  base: string | undefined,
): Promise<HelmValues> {
  const props = snapshot(rawProps);
  const inline = need(props, "values") ?? {};
  const files = rawProps.valueYamlFiles; // throws UnknownValueError when unknown at preview
  let merged: Plain = {};
  const unreadable: string[] = [];
  if (Array.isArray(files)) {
    for (let i = 0; i < files.length; i++) {
      const { doc, problem } = await readAsset(files[i], base);
      if (problem !== undefined) unreadable.push(`valueYamlFiles[${i}]: ${problem}`);
      else merged = mergeValues(merged, doc);
    }
  }
  merged = mergeValues(merged, inline);
  return { values: isRecord(merged) ? merged : {}, unreadable };
}
