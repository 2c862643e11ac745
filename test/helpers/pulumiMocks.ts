/**
 * Runs the lab program under Pulumi mocks with a given config and records every resource.
 *
 * Command resources get recorded outputs: the kubeconfig command a fake kubeconfig, the node
 * inventory `kubectl get nodes -o json` of the seed's 3 nodes, and any other command the stdout a
 * test supplies through `commandStdout` (the check runner's JSON, for instance).
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";

export const PROJECT = "cilium-ebpf-lab";
export const FIXTURES = path.resolve(__dirname, "..", "fixtures");
export const NODES_JSON = fs.readFileSync(path.join(FIXTURES, "kubectl", "nodes-seed.json"), "utf8");
export const FAKE_KUBECONFIG = [
  "apiVersion: v1",
  "kind: Config",
  "current-context: kind-lab",
  "clusters:",
  "- cluster:",
  "    certificate-authority-data: Q0VSVElGSUNBVEUtTk9ULVJFQUw=",
  "    server: https://127.0.0.1:40001",
  "  name: kind-lab",
  "- cluster:",
  "    server: https://other.example.test",
  "  name: other",
  "contexts:",
  "- context: {cluster: kind-lab, user: kind-lab}",
  "  name: kind-lab",
  "- context: {cluster: kind-lab, user: kind-lab}",
  "  name: prod-admin",
  "- context: {cluster: other, user: other}",
  "  name: other-team",
  "users:",
  "- name: kind-lab",
  "  user:",
  "    client-key-data: UFJJVkFURS1LRVktTk9ULVJFQUwtZm9yLXRlc3Rz",
  "- name: other",
  "  user:",
  "    token: OTHER-TEAM-TOKEN-NOT-REAL",
  "",
].join("\n");

/**
 * FAKE_KUBECONFIG with the seed control plane's address as server (the one a real kind kubeconfig
 * would not have: it points at a port-forward). Only ever given to the fake kubectl
 * (helpers/fakeCluster.ts): the real kubectl must never be pointed at a non-loopback address here.
 */
export const FAKE_KUBECONFIG_REMOTE = FAKE_KUBECONFIG.replace(
  "https://127.0.0.1:40001",
  "https://172.18.0.4:6443",
);

/** A resource as the mocks saw it. */
export interface MockedResource {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
  readonly state: Record<string, unknown>;
  readonly provider?: string;
  readonly custom: boolean;
  readonly urn: string;
  /** Resource options as the engine receives them (recorded from the register request). */
  readonly options: RecordedOptions;
}

/** Options of a resource registration that the engine acts on. */
export interface RecordedOptions {
  /** URN of the resource this one is deleted with ("" when none). */
  readonly deletedWith: string;
  readonly deleteBeforeReplace: boolean;
  /** retainOnDelete as the program set it (undefined when not set). */
  readonly retainOnDelete?: boolean;
  /** URNs of the resources this one depends on (dependsOn, parents' and inputs' dependencies). */
  readonly dependencies: readonly string[];
  /** ignoreChanges as the program set it. */
  readonly ignoreChanges?: readonly string[];
  /** URN of the parent as the program registered it ("" for the stack's children). */
  readonly parent: string;
}

/**
 * The mock monitor passes only type, name, inputs and provider to `newResource`; the options the
 * engine acts on (deletedWith, deleteBeforeReplace, dependencies) are read from the register request
 * itself, keyed by type and name.
 */
const recordedOptions = new Map<string, RecordedOptions>();
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getDeletedwith(): string;
  getDeletebeforereplace(): boolean;
  getDependenciesList(): string[];
  getParent(): string;
  hasRetainondelete(): boolean;
  getRetainondelete(): boolean | undefined;
  getIgnorechangesList(): string[];
}
const proto = MockMonitor.prototype as unknown as {
  registerResource(req: RegisterRequest, cb: unknown): Promise<void>;
  __labPatched?: boolean;
};
if (!proto.__labPatched) {
  const original = proto.registerResource;
  proto.registerResource = function (this: unknown, req: RegisterRequest, cb: unknown) {
    recordedOptions.set(`${req.getType()}::${req.getName()}`, {
      deletedWith: req.getDeletedwith(),
      deleteBeforeReplace: req.getDeletebeforereplace(),
      retainOnDelete: req.hasRetainondelete() ? req.getRetainondelete() : undefined,
      dependencies: req.getDependenciesList(),
      ignoreChanges: req.getIgnorechangesList(),
      parent: req.getParent(),
    });
    return original.call(this, req, cb);
  };
  proto.__labPatched = true;
}

/**
 * The id the engine would hold for a resource, given its inputs: what forces a replacement
 * determines the id, so a replacement (and only a replacement) yields a new one, as in the engine.
 * - @pulumi/command draws a new id on every create (v1.2.1 commandController.go line 42) and is
 *   replaced when `triggers` change (common/inputs.go line 10, replaceOnChanges).
 * - A Docker network has no update: every input forces a new one (the bridged
 *   kreuzwerker/terraform-provider-docker resource_docker_network.go, all arguments ForceNew).
 */
export function engineLikeId(type: string, name: string, inputs: Record<string, unknown>): string {
  const hash = (v: unknown) =>
    createHash("sha256")
      .update(JSON.stringify(v ?? null))
      .digest("hex")
      .slice(0, 12);
  if (type === "command:local:Command") return `${name}-${hash(inputs.triggers)}`;
  if (type === "docker:index/network:Network") return `${name}-${hash(inputs)}`;
  return `${name}-id`;
}

export interface RunOptions {
  /** Raw config values by key (without the project prefix). */
  readonly config?: Record<string, string>;
  /** Stack config file to load first (e.g. Pulumi.dev.yaml), relative to the repo root. */
  readonly stackFile?: string;
  /** stdout for command resources, by resource name. */
  readonly commandStdout?: (name: string, inputs: Record<string, unknown>) => string | undefined;
  readonly preview?: boolean;
  /** Options of Docker's `bridge` network, as `docker.getNetwork({ name: "bridge" })` returns them. */
  readonly bridgeOptions?: Record<string, string>;
}

export interface RunResult {
  readonly resources: MockedResource[];
  readonly outputs: Record<string, unknown>;
  /** The outputs before unwrapping, to inspect secrecy. */
  readonly rawOutputs: Record<string, unknown>;
}

const REPO = path.resolve(__dirname, "..", "..");

/** Reads `config:` of a stack file as raw strings without the project prefix. */
export function stackConfig(file: string): Record<string, string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parse } = require("yaml") as typeof import("yaml");
  const doc = parse(fs.readFileSync(path.join(REPO, file), "utf8")) as { config?: Record<string, unknown> };
  const raw: Record<string, string> = {};
  for (const [k, v] of Object.entries(doc.config ?? {})) {
    const key = k.startsWith(`${PROJECT}:`) ? k.slice(PROJECT.length + 1) : k;
    raw[key] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return raw;
}

/** Unwraps an Output (or a plain value holding Outputs) into its value, for assertions. */
export function unwrap<T>(value: pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(value).apply((v) => resolve(v as T)));
}

/** True when the Output is secret. */
export async function isSecret(value: unknown): Promise<boolean> {
  return pulumi.Output.isInstance(value) ? await pulumi.isSecret(value) : false;
}

/** Runs `index.ts` under mocks and waits until every resource is registered and every output known. */
export async function runLab(opts: RunOptions = {}): Promise<RunResult> {
  const resources: MockedResource[] = [];
  recordedOptions.clear();
  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        const inputs = args.inputs as Record<string, unknown>;
        let state: Record<string, unknown> = { ...inputs };
        if (args.type === "command:local:Command") {
          let stdout = opts.commandStdout?.(args.name, inputs);
          if (stdout === undefined) {
            if (args.name.endsWith("-kubeconfig")) stdout = FAKE_KUBECONFIG;
            else if (args.name.endsWith("-nodes")) stdout = NODES_JSON;
            else stdout = "";
          }
          state = { ...inputs, stdout, stderr: "" };
        } else if (args.type === "kubernetes:helm.sh/v3:Release") {
          state = { ...inputs, status: { status: "deployed", version: inputs.version } };
        }
        const key = `${args.type}::${args.name}`;
        resources.push({
          type: args.type,
          name: args.name,
          inputs,
          state,
          provider: args.provider,
          custom: args.custom ?? true,
          urn: `urn:pulumi:test::${PROJECT}::${args.type}::${args.name}`,
          // The register request reached the patched monitor just before this call.
          options: recordedOptions.get(key) ?? {
            deletedWith: "",
            deleteBeforeReplace: false,
            dependencies: [],
            parent: "",
          },
        });
        return { id: engineLikeId(args.type, args.name, inputs), state };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        if (args.token === "docker:index/getNetwork:getNetwork") {
          return { ...args.inputs, id: `${String(args.inputs.name)}-id`, options: opts.bridgeOptions ?? {} };
        }
        return args.inputs;
      },
    },
    PROJECT,
    "test",
    opts.preview ?? false,
  );
  const config = { ...(opts.stackFile ? stackConfig(opts.stackFile) : {}), ...(opts.config ?? {}) };
  const all: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) all[`${PROJECT}:${k}`] = v;
  pulumi.runtime.setAllConfig(all);

  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const main = require("../../index") as () => Record<string, unknown>;
  let rawOutputs: Record<string, unknown>;
  try {
    rawOutputs = main();
  } catch (e) {
    // Let the caller see what was declared before the failure (nothing, for config errors).
    throw Object.assign(e as Error, { resources });
  }
  const outputs = (await unwrap(rawOutputs as pulumi.Input<Record<string, unknown>>)) as Record<
    string,
    unknown
  >;
  // Let the last registrations (children created inside applies) land: wait, as the language host does
  // before the program ends, until the SDK's RPC queue has drained (@pulumi/pulumi 3.248.0
  // runtime/settings.js `waitForRPCs`, called by `disconnect`), not for a guessed 50 ms (issue 21).
  // (@internal there, so absent from its .d.ts.)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
  await settings.waitForRPCs();
  return { resources, outputs, rawOutputs };
}

/**
 * The resources whose inputs hold `needle` in plaintext. Values the mocks received wrapped as
 * secrets (`{ [specialSigKey]: specialSecretSig, value }`) are hidden, as the engine hides them.
 */
export function plaintextHolders(resources: readonly MockedResource[], needle: string): string[] {
  return resources
    .filter((res) => {
      const text = JSON.stringify(res.inputs, (_k, v: unknown) =>
        v && typeof v === "object" && (v as Record<string, unknown>)[specialSigKey] === specialSecretSig
          ? "[secret]"
          : v,
      );
      return text.includes(needle);
    })
    .map((res) => `${res.type} ${res.name}`);
}

/** The resources of one type. */
export function ofType(resources: MockedResource[], type: string): MockedResource[] {
  return resources.filter((r) => r.type === type);
}
