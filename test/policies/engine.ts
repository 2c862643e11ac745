/**
 * The policy pack called the way the Pulumi engine calls it, on the stack index.ts declares.
 *
 * 1. The program runs under Pulumi mocks in one of three phases, and every registration is
 *    recorded as the engine would hold it:
 *    - `first-preview`: a preview of a new stack. Nothing has run: Command stdout is unknown, so
 *      the kind kubeconfig is unknown, the Kubernetes provider is not configured, and every
 *      resource on it gets EMPTY outputs (pulumi/pulumi pkg/resource/plugin/provider_plugin.go
 *      lines 1424-1440, commit 1b59498: "if the configuration for the provider is not fully known,
 *      hand back an empty property map"). Other custom resources get their inputs as planned state.
 *    - `existing-preview`: a preview of a stack that was brought up before and did not change:
 *      Commands keep their recorded stdout (same steps keep their outputs), so the provider is
 *      configured and inputs that depend on the cluster are known.
 *    - `up`: an update; every step ran, outputs are the provider's state.
 * 2. `analyze` then builds the analyzer requests exactly as the engine does and hands them to the
 *    real analyzer RPC handlers of @pulumi/policy (`makeAnalyzeRpcFun`, `makeAnalyzeStackRpcFun`
 *    from server.js, the functions the pack's gRPC server registers):
 *    - Analyze, once per resource in registration order, with its INPUTS (step_generator.go
 *      `analyzeAll`, lines 3450-3465: `Properties: resource.FromResourcePropertyMap(inputs)`);
 *      a component's inputs are its args (the Node SDK sends them from 3.202; it has no provider,
 *      so nothing checks them);
 *    - AnalyzeStack, once, with every resource's OUTPUTS (step_generator.go `AnalyzeResources`,
 *      lines 3518-3520); a component's outputs are what it passed to registerOutputs
 *      (step_executor.go lines 251-283), read from the mock monitor.
 *    Values travel in the engine's wire form: unknowns as the unknown sentinel, secrets as secret
 *    objects, resource references downgraded to their id (custom) or URN (component), as
 *    MarshalProperties does without KeepResources (analyzer_plugin.go lines 306-307, 350-351).
 * The diagnostics come back as the engine receives them: message = description + "\n" + message
 * (pulumi-policy server.ts `makeReportViolationFun`, lines 837-840), "can't run policy ... during
 * preview" advisories for unknown values, the level from the pack.
 *
 * Compared with the real engine (./realGraph.spec.ts, recordings in test/fixtures/engine): the
 * components and the preflight Command reach the pack with exactly these inputs; the engine also
 * analyzes the stack resource and each default provider, which no policy judges.
 *
 * Not modelled: provider Check (defaults a provider adds to inputs; for a helm.v3.Release it also
 * merges `valueYamlFiles` into `values`, so the pack never sees value files on a Release: recorded
 * in test/fixtures/engine/values-file), policy config (the module-level
 * config of server.js is set only by the Configure RPC, which is not exported: config behaviour is
 * tested with ./helpers.ts), remediations.
 */
import * as pulumi from "@pulumi/pulumi";
import * as analyzerproto from "@pulumi/pulumi/proto/analyzer_pb";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { Policies } from "@pulumi/policy";
import { policies as packPolicies } from "../../policies/policies";
import { FAKE_KUBECONFIG, NODES_JSON, PROJECT, stackConfig } from "../helpers/pulumiMocks";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Struct } = require("google-protobuf/google/protobuf/struct_pb") as {
  Struct: { fromJavaScript(v: Record<string, unknown>): unknown };
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const server = require("@pulumi/policy/server") as {
  makeAnalyzeRpcFun: (
    ...a: unknown[]
  ) => (call: unknown, cb: (err: unknown, resp: unknown) => void) => Promise<void>;
  makeAnalyzeStackRpcFun: (
    ...a: unknown[]
  ) => (call: unknown, cb: (err: unknown, resp: unknown) => void) => Promise<void>;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { unknown: UNKNOWN } = require("@pulumi/pulumi/output") as { unknown: unknown };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const settings = require("@pulumi/pulumi/runtime/settings") as { getMonitor(): unknown };

export type Phase = "first-preview" | "existing-preview" | "up";
export const PHASES: readonly Phase[] = ["first-preview", "existing-preview", "up"];

/** The engine's unknown value on the wire (pulumi-policy proxy.ts `unknownStringValue`). */
export const UNKNOWN_WIRE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";

/** A resource as the engine holds it in one phase (values in wire form). */
export interface EngineResource {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly custom: boolean;
  /** True for resources on the lab's Kubernetes provider. */
  readonly onKubernetes: boolean;
  inputs: Record<string, unknown>;
  /** What the provider added beyond the inputs (stdout, status, ...): part of the outputs. */
  extra: Record<string, unknown>;
  /** A component's registered outputs (custom resources: undefined, derived from inputs + extra). */
  registered?: Record<string, unknown>;
}

/** One diagnostic as the engine receives it. */
export interface Diagnostic {
  readonly policy: string;
  readonly level: "advisory" | "mandatory" | "remediate" | "disabled";
  /** description + "\n" + the policy's message, as the CLI prints it. */
  readonly message: string;
  readonly description: string;
  /** The resource (Analyze) or the URN a stack policy gave (AnalyzeStack; "" for none). */
  readonly urn: string;
  readonly from: "Analyze" | "AnalyzeStack";
}

/** Inputs as the mocks received them, back in wire form. */
export function toWire(value: unknown): unknown {
  if (value === UNKNOWN) return UNKNOWN_WIRE;
  if (value === undefined) return undefined;
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(toWire);
  const rec = value as Record<string, unknown>;
  if (rec[specialSigKey] === specialSecretSig)
    return { [specialSigKey]: specialSecretSig, value: toWire(rec.value) };
  if (rec[specialSigKey] === RESOURCE_SIG) {
    return typeof rec.id === "string" && rec.id !== "" ? rec.id : rec.urn;
  }
  if (pulumi.Resource.isInstance(value)) return UNKNOWN_WIRE; // a live reference: not sent as such
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rec)) {
    const w = toWire(v);
    if (w !== undefined) out[k] = w;
  }
  return out;
}

function isKubernetes(type: string, provider: string | undefined): boolean {
  return (
    (type.startsWith("kubernetes:") && type !== "pulumi:providers:kubernetes") ||
    (provider ?? "").includes("pulumi:providers:kubernetes")
  );
}

export interface DeclareOptions {
  readonly stackFile?: string;
  readonly config?: Record<string, string>;
}

/** Runs index.ts under mocks in `phase` and returns every resource as the engine holds it. */
export async function declare(phase: Phase, opts: DeclareOptions = {}): Promise<EngineResource[]> {
  const seen: {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
    extra: Record<string, unknown>;
    k8s: boolean;
  }[] = [];
  const preview = phase !== "up";
  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        const inputs = args.inputs as Record<string, unknown>;
        const k8s = isKubernetes(args.type, args.provider);
        let extra: Record<string, unknown> = {};
        if (args.type === "command:local:Command" && phase !== "first-preview") {
          const stdout = args.name.endsWith("-kubeconfig")
            ? FAKE_KUBECONFIG
            : args.name.endsWith("-nodes")
              ? NODES_JSON
              : "";
          extra = { stdout, stderr: "" };
        } else if (args.type === "kubernetes:helm.sh/v3:Release" && phase !== "first-preview") {
          extra = { status: { status: "deployed", version: inputs.version } };
        }
        seen.push({ type: args.type, name: args.name, inputs, extra, k8s });
        // First preview: the unconfigured provider hands back nothing; the SDK then treats every
        // output as unknown (provider_plugin.go lines 1424-1440).
        const state = phase === "first-preview" && k8s ? {} : { ...inputs, ...extra };
        return { id: preview && phase === "first-preview" && k8s ? "" : `${args.name}-id`, state };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        return args.inputs;
      },
    },
    PROJECT,
    "test",
    preview,
  );
  const config = { ...(opts.stackFile ? stackConfig(opts.stackFile) : {}), ...(opts.config ?? {}) };
  const all: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) all[`${PROJECT}:${k}`] = v;
  pulumi.runtime.setAllConfig(all);

  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const main = require("../../index") as () => Record<string, unknown>;
  main();
  // Let every registration and registerOutputs land (nothing waits on unknown applies).
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  await new Promise((r) => setTimeout(r, 100));

  const monitor = settings.getMonitor() as { resources: Map<string, { urn: string; state: unknown }> };
  const out: EngineResource[] = [];
  for (const [urn, entry] of monitor.resources) {
    const parts = urn.split("::");
    const type = parts[2].split("$").pop() as string;
    const name = parts[3];
    const rec = seen.find((s) => s.type === type && s.name === name);
    if (rec === undefined) continue;
    const state = entry.state as { toJavaScript?: () => Record<string, unknown> };
    const custom = !type.startsWith("lab:") && !type.startsWith("pulumi:pulumi:") && !isComponentType(type);
    out.push({
      type,
      name,
      urn,
      custom,
      onKubernetes: rec.k8s,
      inputs: toWire(rec.inputs) as Record<string, unknown>,
      extra: toWire(rec.extra) as Record<string, unknown>,
      registered: custom
        ? undefined
        : typeof state.toJavaScript === "function"
          ? (toWire(state.toJavaScript()) as Record<string, unknown>)
          : {},
    });
  }
  return out;
}

/** Component types of the SDKs the lab uses (helm charts are components). */
function isComponentType(type: string): boolean {
  return type === "kubernetes:helm.sh/v3:Chart" || type === "kubernetes:helm.sh/v4:Chart";
}

/** A resource's outputs in `phase` (for AnalyzeStack). */
export function outputsOf(r: EngineResource, phase: Phase): Record<string, unknown> {
  if (!r.custom) return r.registered ?? {};
  if (phase === "first-preview" && r.onKubernetes) return {};
  return { ...r.inputs, ...r.extra };
}

/** A resource a test adds to the declared stack (as if the program declared it too). */
export function extraResource(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  opts: { onKubernetes?: boolean; custom?: boolean } = {},
): EngineResource {
  return {
    type,
    name,
    urn: `urn:pulumi:test::${PROJECT}::${type}::${name}`,
    custom: opts.custom ?? true,
    onKubernetes: opts.onKubernetes ?? type.startsWith("kubernetes:"),
    inputs,
    extra: {},
    registered: opts.custom === false ? {} : undefined,
  };
}

function struct(value: Record<string, unknown>): unknown {
  return Struct.fromJavaScript(JSON.parse(JSON.stringify(value)) as Record<string, unknown>);
}

function options(): analyzerproto.AnalyzerResourceOptions {
  const o = new analyzerproto.AnalyzerResourceOptions();
  o.setCustomtimeouts(new analyzerproto.AnalyzerResourceOptions.CustomTimeouts());
  return o;
}

const LEVELS: Record<number, Diagnostic["level"]> = {
  [analyzerproto.EnforcementLevel.ADVISORY]: "advisory",
  [analyzerproto.EnforcementLevel.MANDATORY]: "mandatory",
  [analyzerproto.EnforcementLevel.REMEDIATE]: "remediate",
  [analyzerproto.EnforcementLevel.DISABLED]: "disabled",
};

function call(
  fn: (call: unknown, cb: (err: unknown, resp: unknown) => void) => Promise<void>,
  request: unknown,
): Promise<analyzerproto.AnalyzeResponse> {
  return new Promise((resolve, reject) => {
    void fn({ request }, (err, resp) => (err ? reject(err) : resolve(resp as analyzerproto.AnalyzeResponse)));
  });
}

export const PACK = { name: "cilium-ebpf-lab", version: "0.1.0" };

/** Analyze (per resource, inputs) then AnalyzeStack (outputs), through @pulumi/policy's handlers. */
export async function analyze(
  resources: readonly EngineResource[],
  phase: Phase,
  policies: Policies = packPolicies,
): Promise<Diagnostic[]> {
  const analyzeFn = server.makeAnalyzeRpcFun(PACK.name, PACK.version, "advisory", policies);
  const stackFn = server.makeAnalyzeStackRpcFun(PACK.name, PACK.version, "advisory", policies);
  const out: Diagnostic[] = [];
  const collect = (resp: analyzerproto.AnalyzeResponse, from: Diagnostic["from"], urn?: string) => {
    for (const d of resp.getDiagnosticsList()) {
      out.push({
        policy: d.getPolicyname(),
        level: LEVELS[d.getEnforcementlevel()],
        message: d.getMessage(),
        description: d.getDescription(),
        urn: urn ?? d.getUrn(),
        from,
      });
    }
  };
  for (const r of resources) {
    const req = new analyzerproto.AnalyzeRequest();
    req.setType(r.type);
    req.setUrn(r.urn);
    req.setName(r.name);
    req.setProperties(struct(r.inputs) as never);
    req.setOptions(options());
    collect(await call(analyzeFn, req), "Analyze", r.urn);
  }
  const stackReq = new analyzerproto.AnalyzeStackRequest();
  stackReq.setResourcesList(
    resources.map((r) => {
      const res = new analyzerproto.AnalyzerResource();
      res.setType(r.type);
      res.setUrn(r.urn);
      res.setName(r.name);
      res.setProperties(struct(outputsOf(r, phase)) as never);
      res.setOptions(options());
      return res;
    }),
  );
  collect(await call(stackFn, stackReq), "AnalyzeStack");
  return out;
}

/** The diagnostics that are violations (not the engine's "can't run ... during preview" notes). */
export function violations(diags: readonly Diagnostic[]): Diagnostic[] {
  return diags.filter((d) => !/^can't run policy '/.test(d.message));
}

/** A kube-proxy DaemonSet, as a manifest or chart would declare it. */
export function kubeProxyDaemonSet(): EngineResource {
  return extraResource("kubernetes:apps/v1:DaemonSet", "kube-proxy", {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name: "kube-proxy", namespace: "kube-system", labels: { "k8s-app": "kube-proxy" } },
    spec: {
      selector: { matchLabels: { "k8s-app": "kube-proxy" } },
      template: { metadata: { labels: { "k8s-app": "kube-proxy" } }, spec: { containers: [] } },
    },
  });
}
