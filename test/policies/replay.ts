/**
 * Replays what the real engine sent the policy pack (issue 23). A recording is the analyzer half of a
 * `PULUMI_DEBUG_GRPC` log of `pulumi preview --policy-pack ...` (pulumi/pulumi v3.248.0
 * sdk/go/pulumi-internal/rpcdebug/logformat.go: one JSON object per call with `method`, `request`,
 * `response`, `errors`; requests and responses in protobuf JSON), filtered as
 * test/fixtures/engine/SOURCES.md says. Each recorded Analyze / AnalyzeStack request is rebuilt as the
 * protobuf message the pack's gRPC server received and handed to @pulumi/policy's own handlers
 * (server.js `makeAnalyzeRpcFun`, `makeAnalyzeStackRpcFun`, the functions the pack's server
 * registers), with each policy's config from the recorded Configure request as server.js
 * `makeGetConfigFun` gives it (`enforcementLevel` removed).
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as analyzerproto from "@pulumi/pulumi/proto/analyzer_pb";
import { Policies, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { policies as packPolicies } from "../../policies/policies";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Struct } = require("google-protobuf/google/protobuf/struct_pb") as {
  Struct: { fromJavaScript(v: Record<string, unknown>): unknown };
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const server = require("@pulumi/policy/server") as {
  makeAnalyzeRpcFun: (...a: unknown[]) => Handler;
  makeAnalyzeStackRpcFun: (...a: unknown[]) => Handler;
};
type Handler = (call: unknown, cb: (err: unknown, resp: unknown) => void) => Promise<void>;

export const FIXTURES = path.join(__dirname, "..", "fixtures", "engine");

/** One recorded call (protobuf JSON). */
export interface RecordedCall {
  readonly method: string;
  readonly request: Record<string, unknown>;
  readonly response?: Record<string, unknown>;
  readonly errors?: string[];
}

/** A diagnostic, compared field by field with the recording. */
export interface Diag {
  readonly policyName: string;
  readonly enforcementLevel: string;
  readonly message: string;
  readonly urn: string;
}

export function loadRecording(file: string): RecordedCall[] {
  return readFileSync(path.join(FIXTURES, file), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as RecordedCall);
}

export function calls(rec: readonly RecordedCall[], method: string): RecordedCall[] {
  return rec.filter((c) => c.method === `/pulumirpc.Analyzer/${method}`);
}

/** The recorded diagnostics of a response, as protobuf JSON names them. */
export function recordedDiags(resp: Record<string, unknown> | undefined): Diag[] {
  const list = (resp?.diagnostics ?? []) as Record<string, unknown>[];
  return list.map((d) => ({
    policyName: String(d.policyName),
    enforcementLevel: String(d.enforcementLevel),
    message: String(d.message),
    urn: String(d.urn ?? ""),
  }));
}

const LEVEL_NAMES: Record<number, string> = {
  [analyzerproto.EnforcementLevel.ADVISORY]: "ADVISORY",
  [analyzerproto.EnforcementLevel.MANDATORY]: "MANDATORY",
  [analyzerproto.EnforcementLevel.REMEDIATE]: "REMEDIATE",
  [analyzerproto.EnforcementLevel.DISABLED]: "DISABLED",
};

function struct(value: unknown): unknown {
  return Struct.fromJavaScript((value ?? {}) as Record<string, unknown>);
}

function options(o: Record<string, unknown> | undefined): analyzerproto.AnalyzerResourceOptions {
  const out = new analyzerproto.AnalyzerResourceOptions();
  const opts = o ?? {};
  out.setCustomtimeouts(new analyzerproto.AnalyzerResourceOptions.CustomTimeouts());
  if (typeof opts.parent === "string") out.setParent(opts.parent);
  if (opts.protect === true) out.setProtect(true);
  return out;
}

function providerOf(
  p: Record<string, unknown> | undefined,
): analyzerproto.AnalyzerProviderResource | undefined {
  if (p === undefined) return undefined;
  const out = new analyzerproto.AnalyzerProviderResource();
  out.setType(String(p.type));
  out.setUrn(String(p.urn));
  out.setName(String(p.name));
  out.setProperties(struct(p.properties) as never);
  return out;
}

/** The setters AnalyzeRequest and AnalyzerResource share. */
interface ResourceMessage {
  setType(v: string): unknown;
  setUrn(v: string): unknown;
  setName(v: string): unknown;
  setProperties(v: never): unknown;
  setOptions(v: analyzerproto.AnalyzerResourceOptions): unknown;
  setProvider(v: analyzerproto.AnalyzerProviderResource): unknown;
}

/** Fills a request's resource fields from its protobuf JSON. */
function fill<M extends ResourceMessage>(msg: M, r: Record<string, unknown>): M {
  msg.setType(String(r.type));
  msg.setUrn(String(r.urn));
  msg.setName(String(r.name));
  msg.setProperties(struct(r.properties) as never);
  msg.setOptions(options(r.options as Record<string, unknown> | undefined));
  const provider = providerOf(r.provider as Record<string, unknown> | undefined);
  if (provider) msg.setProvider(provider);
  return msg;
}

function analyzeRequest(r: Record<string, unknown>): analyzerproto.AnalyzeRequest {
  return fill(new analyzerproto.AnalyzeRequest(), r);
}

function stackRequest(r: Record<string, unknown>): analyzerproto.AnalyzeStackRequest {
  const req = new analyzerproto.AnalyzeStackRequest();
  req.setResourcesList(
    ((r.resources ?? []) as Record<string, unknown>[]).map((x) => {
      const res = fill(new analyzerproto.AnalyzerResource(), x);
      if (typeof x.parent === "string") res.setParent(x.parent);
      return res;
    }),
  );
  return req;
}

/** Each policy's config from the recorded Configure request (server.js `makeGetConfigFun`). */
function configsOf(rec: readonly RecordedCall[]): Record<string, Record<string, unknown>> {
  const configure = calls(rec, "Configure")[0];
  const out: Record<string, Record<string, unknown>> = {};
  const given = (configure?.request.policyConfig ?? {}) as Record<
    string,
    { properties?: Record<string, unknown> }
  >;
  for (const [name, c] of Object.entries(given)) out[name] = c.properties ?? {};
  return out;
}

/** The pack's policies, each reading the config the engine configured. */
function configured(policies: Policies, configs: Record<string, Record<string, unknown>>): Policies {
  return policies.map((p) => {
    const withConfig = <A extends { getConfig: unknown }>(args: A): A => ({
      ...args,
      getConfig: () => configs[p.name] ?? {},
    });
    if ("validateStack" in p) {
      const v = (p as StackValidationPolicy).validateStack;
      return { ...p, validateStack: (args, report) => v(withConfig(args), report) } as StackValidationPolicy;
    }
    const rp = p as ResourceValidationPolicy;
    const wrap = (v: NonNullable<ResourceValidationPolicy["validateResource"]>) =>
      (Array.isArray(v) ? v : [v]).map(
        (f) => (args: Parameters<typeof f>[0], report: Parameters<typeof f>[1]) =>
          f(withConfig(args), report),
      );
    return rp.validateResource === undefined ? rp : { ...rp, validateResource: wrap(rp.validateResource) };
  });
}

/** What the pack answers now to one recorded request: diagnostics, or the error it raised. */
export interface Replayed {
  readonly diags: Diag[];
  readonly error?: string;
}

function toDiags(resp: analyzerproto.AnalyzeResponse): Diag[] {
  return resp.getDiagnosticsList().map((d) => ({
    policyName: d.getPolicyname(),
    enforcementLevel: LEVEL_NAMES[d.getEnforcementlevel()],
    message: d.getMessage(),
    urn: d.getUrn(),
  }));
}

async function run(fn: Handler, request: unknown): Promise<Replayed> {
  return new Promise((resolve) => {
    void fn({ request }, (err, resp) =>
      resolve(
        err
          ? { diags: [], error: (err as Error).message }
          : { diags: toDiags(resp as analyzerproto.AnalyzeResponse) },
      ),
    );
  });
}

/**
 * Replays every recorded Analyze and AnalyzeStack request (the second line of each pair, the one
 * with the response or errors) through the pack's handlers.
 */
export async function replay(
  rec: readonly RecordedCall[],
  policies: Policies = packPolicies,
): Promise<{ call: RecordedCall; now: Replayed }[]> {
  const info = calls(rec, "GetAnalyzerInfo").find((c) => c.response)?.response ?? {};
  const name = String(info.name ?? "cilium-ebpf-lab");
  const version = String(info.version ?? "0.1.0");
  const pack = configured(policies, configsOf(rec));
  const analyzeFn = server.makeAnalyzeRpcFun(name, version, "advisory", pack);
  const stackFn = server.makeAnalyzeStackRpcFun(name, version, "advisory", pack);
  const out: { call: RecordedCall; now: Replayed }[] = [];
  for (const c of rec) {
    if (c.method === "/pulumirpc.Analyzer/Analyze")
      out.push({ call: c, now: await run(analyzeFn, analyzeRequest(c.request)) });
    if (c.method === "/pulumirpc.Analyzer/AnalyzeStack")
      out.push({ call: c, now: await run(stackFn, stackRequest(c.request)) });
  }
  return out;
}
