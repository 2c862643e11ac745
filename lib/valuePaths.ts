/**
 * Dotted paths of the leaves of a Helm values object (`bpf.masquerade`). Shared by the stack's
 * components (components/ciliumValues.ts) and the policy pack (policies/rules/cilium-unknown-values-
 * reported.ts): the pack must not depend on this stack's components, so what both need lives here.
 */

/**
 * Dotted paths of the leaves of a values object (`bpf.masquerade`), the way the chart index
 * records them: arrays and empty objects are leaves (the index does not describe array items).
 * Tests and the policy pack use it to check every written path against the chart index.
 */
export function flattenValuePaths(values: Readonly<Record<string, unknown>>): string[] {
  const out: string[] = [];
  const walk = (value: unknown, prefix: string): void => {
    if (isPlainObject(value) && Object.keys(value).length > 0) {
      for (const [k, v] of Object.entries(value)) walk(v, prefix === "" ? k : `${prefix}.${k}`);
    } else {
      out.push(prefix);
    }
  };
  for (const [k, v] of Object.entries(values)) walk(v, k);
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
