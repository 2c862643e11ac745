/**
 * Policy configuration: the schema's defaults applied in code as well, and unknown keys refused.
 *
 * The CLI fills in `configSchema` defaults before it calls a policy, but `getConfig()` returns `{}`
 * for a policy that has no entry in the config, and tests call policies without the CLI. Each rule
 * keeps its defaults in one constant, uses them as the schema's `default`s, and reads its config
 * through {@link configOf}, so the behaviour is the same with and without the CLI.
 *
 * Unknown keys: a `configSchema` cannot refuse them. The Node SDK sends the engine only the schema's
 * `properties` and `required` (pulumi/pulumi-policy sdk/nodejs/policy/protoutil.ts lines 152-158,
 * commit 805bcbc), and the engine validates each policy's config against
 * `{ type: object, properties, required }` (pulumi/pulumi pkg/resource/analyzer/config.go
 * `convertSchema`, lines 263-273, commit 1b59498): a top-level `additionalProperties: false` never
 * reaches it, so a typo such as `checkKindConfg` passes validation and is silently ignored. The
 * engine then hands the policy its config (defaults merged with the file, `enforcementLevel`
 * removed: pulumi-policy server.ts `makeGetConfigFun`, lines 561-574), so any key the defaults lack
 * is one the user wrote: {@link configOf} throws, and the CLI stops with that error (server.ts
 * wraps it as "Error validating resource with policy ..."). Nested object schemas do reach the
 * engine inside `properties`, so they carry `additionalProperties: false` themselves.
 */

import { Policy, ResourceValidation, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";

/** A config property listing object names (a JSON schema with its default), for policies that match names. */
export function namesProperty(names: readonly string[], description: string): PolicyConfigJSONSchema {
  return { type: "array", items: { type: "string" }, default: [...names], description };
}

/** Anything with the engine's `getConfig` (resource and stack validation args). */
export interface HasConfig {
  getConfig<T extends object>(): T;
}

/** A policy config the pack refuses (unknown key); thrown so the preview or update stops. */
export class PolicyConfigError extends Error {}

/**
 * The policy's config: the given values over the defaults. A key the defaults lack is a typo in the
 * policy pack config: refused with a {@link PolicyConfigError} naming the policy, the key and the
 * keys it accepts.
 */
export function configOf<T extends object>(policy: string, defaults: T, args: HasConfig): T {
  const given = (args.getConfig<Partial<T>>() ?? {}) as Record<string, unknown>;
  const known = Object.keys(defaults);
  const unknown = Object.keys(given).filter((key) => !known.includes(key));
  if (unknown.length > 0) {
    throw new PolicyConfigError(
      `policy ${policy}: unknown config ${unknown.length === 1 ? "property" : "properties"} ${unknown
        .map((k) => JSON.stringify(k))
        .join(", ")} in the policy pack config; this policy accepts ${known
        .map((k) => JSON.stringify(k))
        .join(", ")} (fix the key in the --policy-pack-config file)`,
    );
  }
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const key of known) {
    if (given[key] !== undefined) out[key] = given[key];
  }
  return out as T;
}

/** The defaults of a policy's config: its schema's `default`s. */
function schemaDefaults(policy: Policy): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
    out[key] = typeof schema === "object" ? schema.default : undefined;
  }
  return out;
}

/**
 * The policy with its config checked first, on every call, whatever it is shown. A resource policy is
 * called for every resource (pulumi-policy server.ts `makeAnalyzeRpcFun` runs each policy on each
 * Analyze request; only a `validateResourceOfType` function is skipped for other types, and the
 * pack uses none), so its typo is refused at the first Analyze of every preview (the stack
 * resource's own, as the recordings in test/fixtures/engine show), not only when the policy meets a
 * resource of its type. A stack policy is called once per preview, by AnalyzeStack, which the engine
 * sends after all steps and only when none failed (README "Policy pack").
 */
export function withConfigChecked(
  policy: ResourceValidationPolicy | StackValidationPolicy,
): ResourceValidationPolicy | StackValidationPolicy {
  const defaults = schemaDefaults(policy);
  if ("validateStack" in policy) {
    const validate = policy.validateStack;
    return {
      ...policy,
      validateStack: (args, report) => {
        configOf(policy.name, defaults, args);
        return validate(args, report);
      },
    };
  }
  const validations = policy.validateResource;
  if (validations === undefined) return policy;
  const checked =
    (v: ResourceValidation): ResourceValidation =>
    (args, report) => {
      configOf(policy.name, defaults, args);
      return v(args, report);
    };
  return {
    ...policy,
    validateResource: Array.isArray(validations) ? validations.map(checked) : checked(validations),
  };
}
