/**
 * Running the pack's policies without the Pulumi CLI, on resource args built the way the policy
 * engine builds them (type token, props, urn, name, opts, isType/asType, getConfig with the
 * configSchema defaults, stackTags, a throwing notApplicable), and fixtures of the lab's resources
 * as the stack declares them.
 */
import * as assert from "node:assert/strict";
import {
  EnforcementLevel,
  PolicyResource,
  PolicyResourceOptions,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { kindConfigYaml, kindCreateScript } from "../../components/kindConfig";
import { policies } from "../../policies/policies";

/** A resource as a test (or the lead's mock run) describes it. */
export interface FixtureResource {
  readonly type: string;
  readonly name: string;
  readonly props: Record<string, unknown>;
  readonly urn?: string;
}

/** One violation reported by a policy. */
export interface Violation {
  readonly policy: string;
  readonly message: string;
  readonly level: EnforcementLevel;
  readonly urn?: string;
}

/** Per-policy config as in a `--policy-pack-config` file: a level, or `{ enforcementLevel?, ...props }`. */
export type PackConfig = Readonly<
  Record<string, EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)>
>;

const OPTS: PolicyResourceOptions = {
  protect: false,
  ignoreChanges: [],
  aliases: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  additionalSecretOutputs: [],
};

/** Thrown by the hand-built `notApplicable`, as the engine's is; callers treat it as "no violation". */
export class NotApplicable extends Error {}

export function urnOf(type: string, name: string): string {
  return `urn:pulumi:test::cilium-ebpf-lab::${type}::${name}`;
}

/** The engine's isType: the class's `__pulumiType`, else its `isInstance`. */
function isTypeOf(type: string, resourceClass: unknown): boolean {
  const cls = resourceClass as { __pulumiType?: unknown; isInstance?: (o: unknown) => boolean };
  if (typeof cls.__pulumiType === "string" && cls.__pulumiType !== "") return cls.__pulumiType === type;
  return typeof cls.isInstance === "function" && cls.isInstance({ __pulumiType: type }) === true;
}

/** The policy's configSchema defaults, as the CLI passes them when the config file says nothing. */
export function configDefaults(policy: {
  configSchema?: ResourceValidationPolicy["configSchema"];
}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
    if (typeof schema === "object" && schema.default !== undefined)
      out[key] = structuredClone(schema.default);
  }
  return out;
}

function notApplicable(reason?: string): never {
  throw new NotApplicable(reason ?? "not applicable");
}

/** Resource validation args for one resource, built like the engine builds them. */
export function resourceArgs(
  resource: FixtureResource,
  config: Record<string, unknown>,
): ResourceValidationArgs {
  const props = structuredClone(resource.props);
  return {
    type: resource.type,
    props,
    urn: resource.urn ?? urnOf(resource.type, resource.name),
    name: resource.name,
    opts: OPTS,
    stackTags: new Map(),
    isType: (cls) => isTypeOf(resource.type, cls),
    asType: ((cls: unknown) =>
      isTypeOf(resource.type, cls) ? props : undefined) as ResourceValidationArgs["asType"],
    getConfig: <T extends object>() => structuredClone(config) as T,
    notApplicable,
  };
}

/** Stack validation args for a set of resources (their props stand for their outputs). */
export function stackArgs(
  resources: readonly FixtureResource[],
  config: Record<string, unknown>,
): StackValidationArgs {
  const policyResources: PolicyResource[] = resources.map((r) => {
    const props = structuredClone(r.props);
    return {
      type: r.type,
      props,
      urn: r.urn ?? urnOf(r.type, r.name),
      name: r.name,
      opts: OPTS,
      dependencies: [],
      propertyDependencies: {},
      isType: (cls) => isTypeOf(r.type, cls),
      asType: ((cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined)) as PolicyResource["asType"],
    };
  });
  return {
    resources: policyResources,
    stackTags: new Map(),
    getConfig: <T extends object>() => structuredClone(config) as T,
    notApplicable,
  };
}

function isStackPolicy(p: ResourceValidationPolicy | StackValidationPolicy): p is StackValidationPolicy {
  return typeof (p as StackValidationPolicy).validateStack === "function";
}

/**
 * The messages a resource policy reports for one resource (empty when none, or when the policy is
 * not applicable). `config` replaces the configSchema defaults key by key.
 */
export async function runResourcePolicy(
  policy: ResourceValidationPolicy,
  resource: FixtureResource,
  config: Record<string, unknown> = {},
): Promise<string[]> {
  const messages: string[] = [];
  const report: ReportViolation = (message) => messages.push(message);
  const validations = policy.validateResource
    ? Array.isArray(policy.validateResource)
      ? policy.validateResource
      : [policy.validateResource]
    : [];
  for (const validate of validations) {
    try {
      await validate(resourceArgs(resource, { ...configDefaults(policy), ...config }), report);
    } catch (err) {
      if (!(err instanceof NotApplicable)) throw err;
    }
  }
  return messages;
}

/** The violations a stack policy reports for a set of resources. */
export async function runStackPolicy(
  policy: StackValidationPolicy,
  resources: readonly FixtureResource[],
  config: Record<string, unknown> = {},
): Promise<{ message: string; urn?: string }[]> {
  const out: { message: string; urn?: string }[] = [];
  try {
    await policy.validateStack(
      stackArgs(resources, { ...configDefaults(policy), ...config }),
      (message, urn) => out.push({ message, urn }),
    );
  } catch (err) {
    if (!(err instanceof NotApplicable)) throw err;
  }
  return out;
}

/**
 * The violations a policy (resource or stack) reports over a set of resources: a resource policy
 * runs on each resource (its urn is the resource's), a stack policy once over the set.
 */
export async function runPolicyOver(
  policy: ResourceValidationPolicy | StackValidationPolicy,
  resources: readonly FixtureResource[],
  config: Record<string, unknown> = {},
): Promise<{ message: string; urn?: string }[]> {
  if (isStackPolicy(policy)) return runStackPolicy(policy, resources, config);
  const out: { message: string; urn?: string }[] = [];
  for (const r of resources) {
    for (const message of await runResourcePolicy(policy, r, config)) {
      out.push({ message, urn: r.urn ?? urnOf(r.type, r.name) });
    }
  }
  return out;
}

/**
 * Runs the whole pack: every resource policy over each resource and every stack policy over the
 * set, with the levels and config a `--policy-pack-config` file would give (`all` included;
 * `disabled` skips a policy). Used to check the stack `index.ts` declares under Pulumi mocks.
 */
export async function runPoliciesOnResources(
  resources: readonly FixtureResource[],
  packConfig: PackConfig = {},
): Promise<Violation[]> {
  const out: Violation[] = [];
  for (const policy of policies) {
    const { level, config } = configFor(policy.name, policy.enforcementLevel, packConfig);
    if (level === "disabled") continue;
    if (isStackPolicy(policy)) {
      for (const v of await runStackPolicy(policy, resources, config)) {
        out.push({ policy: policy.name, message: v.message, level, urn: v.urn });
      }
    } else {
      for (const resource of resources) {
        for (const message of await runResourcePolicy(policy, resource, config)) {
          out.push({
            policy: policy.name,
            message,
            level,
            urn: resource.urn ?? urnOf(resource.type, resource.name),
          });
        }
      }
    }
  }
  return out;
}

/** The engine's precedence: the policy's entry, then `all`, then the policy's own level. */
function configFor(
  name: string,
  own: EnforcementLevel | undefined,
  packConfig: PackConfig,
): { level: EnforcementLevel; config: Record<string, unknown> } {
  const split = (entry: PackConfig[string] | undefined) =>
    entry === undefined
      ? { level: undefined, config: {} }
      : typeof entry === "string"
        ? { level: entry, config: {} }
        : (({ enforcementLevel, ...rest }) => ({ level: enforcementLevel, config: rest }))(entry);
  const mine = split(packConfig[name]);
  const all = split(packConfig.all);
  const level = mine.level ?? all.level ?? own ?? "advisory";
  return { level: level === "remediate" ? "mandatory" : level, config: mine.config };
}

// ---------------------------------------------------------------------------------------------
// Fixtures: the lab's resources as the stack declares them.

export const V13 = "1.13.0-rc5";
export const V18 = "1.18.12";

export const TYPE = {
  kindCluster: "lab:index:KindCluster",
  ciliumRelease: "lab:index:CiliumRelease",
  helmRelease: "kubernetes:helm.sh/v3:Release",
  dockerNetwork: "docker:index/network:Network",
  command: "command:local:Command",
  daemonSet: "kubernetes:apps/v1:DaemonSet",
  configMap: "kubernetes:core/v1:ConfigMap",
  service: "kubernetes:core/v1:Service",
  pod: "kubernetes:core/v1:Pod",
  labWorkload: "lab:index:LabWorkload",
} as const;

const CLUSTER = "cilium-kubeproxy-replacement-ebpf";
const API_SERVER = "172.18.0.2";

/** The Helm values the stack writes for `version` (1.13 spelling before 1.14, the new keys after). */
export function ciliumValuesFixture(version: string): Record<string, unknown> {
  const common = {
    k8sServiceHost: API_SERVER,
    k8sServicePort: 6443,
    autoDirectNodeRoutes: true,
    ipv4NativeRoutingCIDR: "10.0.0.0/8",
    bpf: { masquerade: true, monitorAggregation: "none" },
    debug: { enabled: true, verbose: "datapath" },
    cluster: { name: version.startsWith("1.13.") ? CLUSTER : "cilium-ebpf-lab" },
  };
  if (version.startsWith("1.13.")) {
    return {
      ...common,
      kubeProxyReplacement: "strict",
      tunnel: "disabled",
      ipam: {
        mode: "cluster-pool",
        operator: { clusterPoolIPv4PodCIDR: "10.0.0.0/8", clusterPoolIPv4MaskSize: 24 },
      },
    };
  }
  return {
    ...common,
    kubeProxyReplacement: true,
    routingMode: "native",
    ipam: {
      mode: "cluster-pool",
      operator: { clusterPoolIPv4PodCIDRList: ["10.0.0.0/8"], clusterPoolIPv4MaskSize: 24 },
    },
  };
}

/** The Helm release's props as the provider checked them. */
export function helmRelease(version: string, values = ciliumValuesFixture(version)): FixtureResource {
  return {
    type: TYPE.helmRelease,
    name: "cilium-release",
    props: {
      name: "cilium",
      chart: "cilium",
      version,
      repositoryOpts: { repo: "https://helm.cilium.io" },
      namespace: "kube-system",
      values,
      timeout: 900,
      skipAwait: false,
      cleanupOnFail: true,
      maxHistory: 5,
      atomic: false,
      createNamespace: false,
    },
  };
}

/** The KindCluster component's props (its args with defaults and the kind config it renders). */
export function kindCluster(nodeImage = "kindest/node:v1.23.4"): FixtureResource {
  return {
    type: TYPE.kindCluster,
    name: "kind",
    props: {
      clusterName: CLUSTER,
      nodeImage,
      workers: 2,
      networkName: `kind-${CLUSTER}`,
      nodeSubnet: "172.18.0.0/16",
      registryMirrors: {},
      disableDefaultCNI: true,
      kubeProxyMode: "none",
      kindConfig: kindConfigYaml({
        workers: 2,
        registryMirrors: {},
        disableDefaultCNI: true,
        kubeProxyMode: "none",
      }),
    },
  };
}

/**
 * The Command that creates the cluster, with the props it has as a stack resource (its outputs:
 * the command provider's state holds its inputs and stdout/stderr), built by the lab's own script
 * and config functions.
 */
export function kindCommand(nodeImage = "kindest/node:v1.23.4", workers = 2): FixtureResource {
  return {
    type: TYPE.command,
    name: "kind-cluster",
    props: {
      create: kindCreateScript({
        clusterName: CLUSTER,
        nodeImage,
        networkName: `kind-${CLUSTER}`,
        stackLabel: "cilium-ebpf-lab/dev",
      }),
      stdin: kindConfigYaml({ workers, registryMirrors: {}, disableDefaultCNI: true, kubeProxyMode: "none" }),
      stdout: "",
      stderr: "",
    },
  };
}

export function dockerNetwork(subnet = "172.18.0.0/16"): FixtureResource {
  return {
    type: TYPE.dockerNetwork,
    name: "kind-network",
    props: {
      name: `kind-${CLUSTER}`,
      driver: "bridge",
      ipamConfigs: [{ subnet, gateway: "172.18.0.1" }],
    },
  };
}

const PART_OF = { "app.kubernetes.io/part-of": "cilium-ebpf-lab" };

const TOLERATIONS = [
  { key: "node-role.kubernetes.io/master", operator: "Exists", effect: "NoSchedule" },
  { key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" },
];

export function testServerDaemonSet(): FixtureResource {
  const labels = { app: "evescn", ...PART_OF, "app.kubernetes.io/component": "test-server" };
  return {
    type: TYPE.daemonSet,
    name: "lab-daemonset",
    props: {
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: { name: "evescn", namespace: "default", labels },
      spec: {
        selector: { matchLabels: { app: "evescn" } },
        template: {
          metadata: { labels },
          spec: {
            tolerations: TOLERATIONS,
            containers: [
              { name: "evescn", image: "nicolaka/netshoot:v0.13", ports: [{ containerPort: 80 }] },
            ],
          },
        },
      },
    },
  };
}

export function nodeProbeDaemonSet(): FixtureResource {
  const labels = { "app.kubernetes.io/name": "node-probe", ...PART_OF };
  return {
    type: TYPE.daemonSet,
    name: "lab-node-probe",
    props: {
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: { name: "node-probe", namespace: "default", labels },
      spec: {
        selector: { matchLabels: { "app.kubernetes.io/name": "node-probe" } },
        template: {
          metadata: { labels },
          spec: {
            hostNetwork: true,
            tolerations: TOLERATIONS,
            containers: [
              { name: "probe", image: "nicolaka/netshoot:v0.13", securityContext: { privileged: true } },
            ],
          },
        },
      },
    },
  };
}

export function nodePortService(nodePort = 32000): FixtureResource {
  return {
    type: TYPE.service,
    name: "lab-service",
    props: {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "serversvc", namespace: "default", labels: PART_OF },
      spec: {
        type: "NodePort",
        selector: { app: "evescn" },
        ports: [{ name: "http", port: 8080, targetPort: 80, nodePort, protocol: "TCP" }],
      },
    },
  };
}

export function clientPod(): FixtureResource {
  return {
    type: TYPE.pod,
    name: "lab-client",
    props: {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "net", namespace: "default", labels: PART_OF },
      spec: { containers: [{ name: "net", image: "nicolaka/netshoot:v0.13" }] },
    },
  };
}

/** Every resource the stack declares, for one Cilium version and node image. */
export function labStack(version: string, nodeImage = "kindest/node:v1.23.4"): FixtureResource[] {
  const release = helmRelease(version);
  return [
    kindCluster(nodeImage),
    dockerNetwork(),
    kindCommand(nodeImage),
    {
      type: TYPE.ciliumRelease,
      name: "cilium",
      props: { version, values: (release.props as { values: unknown }).values },
    },
    release,
    {
      type: TYPE.labWorkload,
      name: "lab",
      props: { namespace: "default", nodePort: 32000 },
    },
    testServerDaemonSet(),
    nodeProbeDaemonSet(),
    nodePortService(),
    clientPod(),
  ];
}

/**
 * A copy of `resource` with one field changed: `path` is a dotted path into props (an array of
 * steps when a key contains dots); `undefined` deletes the field.
 */
export function withField(
  resource: FixtureResource,
  path: string | readonly string[],
  value: unknown,
): FixtureResource {
  const props = structuredClone(resource.props);
  const steps = typeof path === "string" ? path.split(".") : [...path];
  let cur: Record<string, unknown> = props;
  for (const step of steps.slice(0, -1)) {
    if (cur[step] === undefined || cur[step] === null || typeof cur[step] !== "object") cur[step] = {};
    cur = cur[step] as Record<string, unknown>;
  }
  const last = steps[steps.length - 1];
  if (value === undefined) delete cur[last];
  else cur[last] = value;
  return { ...resource, props };
}

/** `withField` on a Helm release's `values`. */
export function withValue(
  release: FixtureResource,
  path: string | readonly string[],
  value: unknown,
): FixtureResource {
  const steps = typeof path === "string" ? path.split(".") : [...path];
  return withField(release, ["values", ...steps], value);
}

/**
 * Asserts that exactly one message was reported and that it states the rule, what was found and
 * the fix (each given as a substring of the message).
 */
export function assertOneViolation(
  messages: readonly string[],
  expected: { rule: string; found: string; fix: string },
): void {
  assert.equal(messages.length, 1, `expected one violation, got ${messages.length}:\n${messages.join("\n")}`);
  const [message] = messages;
  for (const part of [expected.rule, expected.found, expected.fix]) {
    assert.ok(message.includes(part), `message lacks ${JSON.stringify(part)}:\n${message}`);
  }
  assert.ok(
    message.indexOf(expected.rule) < message.indexOf(expected.found) &&
      message.indexOf(expected.found) < message.indexOf(expected.fix),
    `message should read rule, found, fix in that order:\n${message}`,
  );
}
