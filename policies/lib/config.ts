/**
 * Policy configuration with the schema's defaults applied in code as well.
 *
 * The CLI fills in `configSchema` defaults before it calls a policy, but `getConfig()` returns `{}`
 * for a policy that has no entry in the config, and tests call policies without the CLI. Each rule
 * keeps its defaults in one constant, uses them as the schema's `default`s, and reads its config
 * through {@link configOf}, so the behaviour is the same with and without the CLI.
 */

/** Anything with the engine's `getConfig` (resource and stack validation args). */
export interface HasConfig {
  getConfig<T extends object>(): T;
}

/** The policy's config: the given values over the defaults; keys the defaults lack are ignored. */
export function configOf<T extends object>(defaults: T, args: HasConfig): T {
  const given = (args.getConfig<Partial<T>>() ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const key of Object.keys(defaults)) {
    if (given[key] !== undefined) out[key] = given[key];
  }
  return out as T;
}
