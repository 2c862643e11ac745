/**
 * Reading the lab's `lab:index:KindCluster` component: its args (as props) and the kind config YAML
 * it passes to `kind create cluster`, which is what kind actually reads.
 */
import { parse } from "yaml";
import { Plain, isRecord } from "./props";

/** The parsed kind config, or why it could not be read. */
export type KindConfigReading =
  | { readonly ok: true; readonly config: Record<string, unknown> }
  | { readonly ok: false; readonly problem: string };

/** Parses the `kindConfig` prop (a YAML document). */
export function readKindConfig(kindConfig: Plain): KindConfigReading {
  if (typeof kindConfig !== "string" || kindConfig.trim() === "") {
    return { ok: false, problem: "no kindConfig (the YAML given to kind)" };
  }
  let doc: unknown;
  try {
    doc = parse(kindConfig);
  } catch (err) {
    return {
      ok: false,
      problem: `a kindConfig that is not valid YAML (${(err as Error).message.split("\n")[0]})`,
    };
  }
  if (!isRecord(doc)) return { ok: false, problem: "a kindConfig that is not a YAML mapping" };
  return { ok: true, config: doc };
}
