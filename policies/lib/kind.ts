/**
 * Reading a kind cluster before it exists: the lab's `lab:index:KindCluster` component (its args are
 * its inputs: the Node SDK sends a local component's args to the engine from 3.202, pulumi/pulumi
 * CHANGELOG.md 3.202.0 "Send component inputs to be saved in state", sdk/nodejs/resource.ts
 * `ComponentResource` constructor; the engine analyzes them unchecked since a component has no
 * provider, pkg/resource/deploy/step_generator.go lines 1264-1310 and 3450-3465, commit 1b59498), and any
 * stack's `command:local:Command` that runs `kind create cluster` (./kindCommand.ts).
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { ResourceValidationPolicy } from "@pulumi/policy";
import { parse } from "yaml";
import { configOf } from "./config";
import { Plain, found, isRecord, need, peek } from "./props";
import { KindCreate, kindCreateOf } from "./kindCommand";
import { programDir, projectOfUrn } from "./programDir";
import { TYPES, validateResourceOfToken } from "./types";

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

/** What one kind networking setting must be, in the component's args and in the kind config YAML. */
export interface KindSettingRule {
  readonly name: string;
  readonly description: string;
  /** The rule in words, the start of every message. */
  readonly rule: string;
  /** The KindCluster arg, also `networking.<arg>` in the kind config. */
  readonly arg: "disableDefaultCNI" | "kubeProxyMode";
  readonly expected: true | "none";
  /** Extra words when the YAML lacks the key (what kind then does). */
  readonly whenUnset?: string;
}

/**
 * A mandatory policy on `lab:index:KindCluster`: `arg` equals `expected` in the component's args and
 * `networking.<arg>` equals it in the kind config YAML (what kind actually reads). Config:
 * `checkKindConfig` (default true) turns the YAML half off.
 */
export function kindSettingPolicy(spec: KindSettingRule): ResourceValidationPolicy {
  const defaults = { checkKindConfig: true };
  const want = JSON.stringify(spec.expected).replace(/"/g, "");
  const yamlKey = `networking.${spec.arg}`;
  return {
    name: spec.name,
    description: spec.description,
    enforcementLevel: "mandatory",
    configSchema: {
      properties: {
        checkKindConfig: {
          type: "boolean",
          default: defaults.checkKindConfig,
          description: `Also check ${yamlKey} in the kind config YAML.`,
        },
      },
    },
    validateResource: validateResourceOfToken([TYPES.kindCluster, TYPES.command], (props, args, report) => {
      const config = configOf(spec.name, defaults, args);
      if (args.type === TYPES.command) {
        const create = kindCreateOf(props);
        if (create === undefined)
          args.notApplicable("Policy only applies to Commands that run kind create cluster");
        judgeCommand(spec, withFileRead(create as KindCreate, args.urn), want, args, report);
        return;
      }
      const arg = need(props, spec.arg);
      if (arg !== spec.expected) {
        report(
          `${spec.rule}: found ${found(spec.arg, arg)} on the KindCluster; set ${spec.arg}: ${want} (its default)`,
        );
      }
      if (!config.checkKindConfig) return;
      const reading = readKindConfig(need(props, "kindConfig"));
      if (!reading.ok) {
        report(`${spec.rule}: found ${reading.problem}; pass the kind config YAML with ${yamlKey}: ${want}`);
        return;
      }
      const inYaml = peek(reading.config, yamlKey);
      if (inYaml !== spec.expected) {
        const why = (inYaml === undefined || inYaml === null) && spec.whenUnset ? ` (${spec.whenUnset})` : "";
        report(
          `${spec.rule}: found ${found(yamlKey, inYaml)}${why} in the kind config kind reads; set ${yamlKey}: ${want} there (kindConfig() writes it from ${spec.arg})`,
        );
      }
    }),
  };
}

/**
 * A `--config <file>` read where kind reads it: the Command's `dir` (relative to the program's
 * directory), else the program's directory (./programDir.ts). Unchanged when it cannot be read.
 */
function withFileRead(create: KindCreate, urn: string): KindCreate {
  if (create.config.kind !== "file") return create;
  const { path: file, dir } = create.config;
  const base = programDir(projectOfUrn(urn));
  const cwd = dir !== undefined && path.isAbsolute(dir) ? dir : base && path.resolve(base, dir ?? ".");
  const full = path.isAbsolute(file) ? file : cwd && path.resolve(cwd, file);
  if (full === undefined || !existsSync(full)) return create;
  try {
    return {
      ...create,
      config: { kind: "text", text: readFileSync(full, "utf8"), from: `the file ${full}` },
    };
  } catch {
    return create;
  }
}

/** The kind setting in the config a Command gives `kind create cluster` (the only place it can be). */
function judgeCommand(
  spec: KindSettingRule,
  create: KindCreate,
  want: string,
  args: { notApplicable(reason?: string): never },
  report: (message: string) => void,
): void {
  const yamlKey = `networking.${spec.arg}`;
  const where = "kind create cluster in this Command";
  if (create.config.kind === "file") {
    // Not readable here (no program directory found, or no such file, which kind itself then
    // refuses at up): not judged rather than a violation that would block a compliant stack.
    args.notApplicable(
      `kind create cluster --config ${create.config.path}: the file is not readable from the policy pack, so ${yamlKey} was not judged`,
    );
  }
  if (create.config.kind === "unreadable") {
    report(
      `${spec.rule}: found ${create.config.problem}; give kind its config on the Command's stdin (--config -) or write the file from a heredoc in create, with ${yamlKey}: ${want}`,
    );
    return;
  }
  if (create.config.kind === "none") {
    const why = spec.whenUnset ? `, so ${spec.whenUnset}` : "";
    report(
      `${spec.rule}: found ${where} without --config (kind's defaults${why}); pass a kind config with ${yamlKey}: ${want} (--config - and the Command's stdin)`,
    );
    return;
  }
  const reading = readKindConfig(create.config.text);
  if (!reading.ok) {
    report(
      `${spec.rule}: found ${reading.problem} in ${create.config.from}; give kind a config with ${yamlKey}: ${want}`,
    );
    return;
  }
  const inYaml = peek(reading.config, yamlKey);
  if (inYaml !== spec.expected) {
    const why = (inYaml === undefined || inYaml === null) && spec.whenUnset ? ` (${spec.whenUnset})` : "";
    report(
      `${spec.rule}: found ${found(yamlKey, inYaml)}${why} in the kind config of ${where} (${create.config.from}); set ${yamlKey}: ${want} there`,
    );
  }
}
