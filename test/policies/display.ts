/**
 * How the Pulumi CLI prints a policy violation, for comparing the README's sample with what the
 * pack really reports (colours off).
 */
import { Diagnostic } from "./engine";

/**
 * One violation as `pulumi preview`/`up` prints it under "Policies:" (pulumi/pulumi
 * pkg/backend/display/progress.go `printPolicies`, lines 1016-1022: prefix "        - ", line prefix
 * "          "; diff.go `renderDiffPolicyViolationEvent`, lines 227-265: "[level]  name  (type:
 * resource name)", then the message line by line; colours off). The type is shown as
 * tokens.Type.DisplayName() (sdk/go/common/tokens/tokens.go lines 267-295): the module's last path
 * segment is dropped only when it equals the camel-cased type name.
 */
export function printViolation(d: Diagnostic): string {
  const clause = d.urn === "" ? "" : `  (${displayType(urnType(d.urn))}: ${d.urn.split("::").pop()})`;
  const head = `        - [${d.level}]  ${d.policy}${clause}`;
  const lines = d.message
    .replace(/\n$/, "")
    .split("\n")
    .map((l) => `          ${l}`);
  return [head, ...lines].join("\n");
}

function urnType(urn: string): string {
  return (urn.split("::")[2] ?? "").split("$").pop() as string;
}

function displayType(type: string): string {
  const parts = type.split(":");
  if (parts.length !== 3 || parts[2] === "") return type;
  const [pkg, mod, name] = parts;
  const slash = mod.lastIndexOf("/");
  if (slash < 0) return type;
  const file = mod.slice(slash + 1);
  return file === name.charAt(0).toLowerCase() + name.slice(1)
    ? `${pkg}:${mod.slice(0, slash)}:${name}`
    : type;
}
