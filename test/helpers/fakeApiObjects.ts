/**
 * The objects a fake Kubernetes API server (test/helpers/fakeApiServer.ts) serves, and the pieces of
 * the API it needs to serve them to the real kubectl: legacy discovery documents, label and field
 * selectors as kubectl sends them, lists with `limit`/`continue`.
 *
 * The objects are recorded documents (the seed lab's `kubectl get -o json` output in
 * test/fixtures/context/kubectl, the synthetic N-node documents of test/helpers/syntheticLab.ts):
 * {@link objectsFromDocs} flattens `List`s and single objects into one store.
 */
type Json = Record<string, unknown>;

/** A resource the fake serves: where it lives in the API and how discovery names it. */
export interface FakeResource {
  /** "" for the core group. */
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly singular: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
}

/**
 * The resources served. Core entries as kubernetes/kubernetes `api/discovery/api__v1.json` lists them
 * (commit 4d817e79: nodes `no`, pods `po` with subresource `pods/exec` kind PodExecOptions, services
 * `svc`, namespaces `ns`; configmaps `cm` as `kubectl api-resources` lists it, not read from that file); CiliumNode as Cilium's CRD names it (cilium/cilium
 * `pkg/k8s/apis/cilium.io/client/crds/v2/ciliumnodes.yaml` @a0a5525f: plural ciliumnodes, singular
 * ciliumnode, shortNames cn/ciliumn, scope Cluster, version v2).
 */
export const RESOURCES: readonly FakeResource[] = [
  {
    group: "",
    version: "v1",
    plural: "nodes",
    singular: "node",
    kind: "Node",
    namespaced: false,
    shortNames: ["no"],
  },
  {
    group: "",
    version: "v1",
    plural: "pods",
    singular: "pod",
    kind: "Pod",
    namespaced: true,
    shortNames: ["po"],
  },
  {
    group: "",
    version: "v1",
    plural: "services",
    singular: "service",
    kind: "Service",
    namespaced: true,
    shortNames: ["svc"],
  },
  {
    group: "",
    version: "v1",
    plural: "configmaps",
    singular: "configmap",
    kind: "ConfigMap",
    namespaced: true,
    shortNames: ["cm"],
  },
  {
    group: "cilium.io",
    version: "v2",
    plural: "ciliumnodes",
    singular: "ciliumnode",
    kind: "CiliumNode",
    namespaced: false,
    shortNames: ["cn", "ciliumn"],
  },
];

const READ_VERBS = ["get", "list"];

/** `GET /api`: the core versions (shape: kubernetes/kubernetes `api/discovery/api.json`). */
export function apiVersions(hostPort: string): Json {
  return {
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: hostPort }],
  };
}

/** `GET /apis`: the named groups (shape: kubernetes/kubernetes `api/discovery/apis.json`). */
export function apiGroupList(): Json {
  const groups = [...new Set(RESOURCES.filter((r) => r.group !== "").map((r) => `${r.group}/${r.version}`))];
  return {
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: groups.map((gv) => {
      const [name, version] = gv.split("/");
      const v = { groupVersion: gv, version };
      return { name, versions: [v], preferredVersion: v };
    }),
  };
}

/** `GET /api/v1` or `/apis/G/V`: the resources of one group version (shape: `api/discovery/api__v1.json`). */
export function apiResourceList(group: string, version: string): Json | undefined {
  const rs = RESOURCES.filter((r) => r.group === group && r.version === version);
  if (rs.length === 0) return undefined;
  const resources: Json[] = rs.map((r) => ({
    name: r.plural,
    singularName: r.singular,
    namespaced: r.namespaced,
    kind: r.kind,
    verbs: READ_VERBS,
    ...(r.shortNames.length > 0 ? { shortNames: r.shortNames } : {}),
  }));
  if (group === "" && rs.some((r) => r.plural === "pods")) {
    resources.push({
      name: "pods/exec",
      singularName: "",
      namespaced: true,
      kind: "PodExecOptions",
      verbs: ["create", "get"],
    });
  }
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: group === "" ? version : `${group}/${version}`,
    resources,
  };
}

/** The store: objects per resource plural. */
export type FakeObjects = Record<string, Json[]>;

/**
 * Flattens recorded `kubectl get -o json` documents (Lists or single objects) into a store keyed by
 * resource plural, by each object's `kind`; an object already present (same namespace and name) is
 * kept once. Objects of kinds the fake does not serve are refused: a test must not believe they are served.
 */
export function objectsFromDocs(docs: readonly unknown[]): FakeObjects {
  const out: FakeObjects = Object.fromEntries(RESOURCES.map((r) => [r.plural, [] as Json[]]));
  const seen = new Set<string>();
  const add = (o: Json, listKind?: unknown): void => {
    // Items of a typed list (`NodeList`, as the API server and `cluster-info dump` print it) carry no kind.
    const kind = o.kind ?? (typeof listKind === "string" ? listKind.replace(/List$/, "") : undefined);
    const r = RESOURCES.find((x) => x.kind === kind);
    if (r === undefined) throw new Error(`fake API server: cannot serve kind ${String(kind)}`);
    const key = `${r.plural}/${namespaceOf(o)}/${nameOf(o)}`;
    if (seen.has(key)) return;
    seen.add(key);
    out[r.plural].push(o);
  };
  for (const doc of docs) {
    const d = doc as Json;
    if (Array.isArray(d.items)) (d.items as Json[]).forEach((o) => add(o, d.kind));
    else add(d);
  }
  return out;
}

export function nameOf(o: Json): string {
  return String((o.metadata as Json | undefined)?.name ?? "");
}

export function namespaceOf(o: Json): string {
  return String((o.metadata as Json | undefined)?.namespace ?? "");
}

type Requirement = (o: Json) => boolean;

/**
 * A label selector as kubectl sends it (`labelSelector=` query, the `-l` text unchanged): the
 * equality-based forms `k=v`, `k==v`, `k!=v`, existence `k` and `!k`, joined by commas (the grammar
 * of kubernetes/apimachinery `pkg/labels/selector.go` Parse). Set-based forms (`in`, `notin`) throw:
 * the fake does not pretend to support what it does not.
 */
export function labelSelector(text: string): Requirement {
  const reqs = text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((part): Requirement => {
      if (/\s(in|notin)\s*\(/.test(part))
        throw new Error(`unsupported label selector ${JSON.stringify(part)}`);
      const labels = (o: Json): Json => ((o.metadata as Json | undefined)?.labels as Json | undefined) ?? {};
      const ne = /^([^!=]+)!=(.*)$/.exec(part);
      if (ne !== null) return (o) => labels(o)[ne[1].trim()] !== ne[2].trim();
      const eq = /^([^!=]+)==?(.*)$/.exec(part);
      if (eq !== null) return (o) => labels(o)[eq[1].trim()] === eq[2].trim();
      if (part.startsWith("!")) return (o) => !(part.slice(1) in labels(o));
      return (o) => part in labels(o);
    });
  return (o) => reqs.every((r) => r(o));
}

/** A field selector: `metadata.name` and `metadata.namespace` with `=`, `==` or `!=`; others throw. */
export function fieldSelector(text: string): Requirement {
  const reqs = text
    .split(",")
    .filter((s) => s !== "")
    .map((part): Requirement => {
      const m = /^(metadata\.name|metadata\.namespace)(!=|==|=)(.*)$/.exec(part);
      if (m === null) throw new Error(`unsupported field selector ${JSON.stringify(part)}`);
      const get = m[1] === "metadata.name" ? nameOf : namespaceOf;
      return m[2] === "!=" ? (o) => get(o) !== m[3] : (o) => get(o) === m[3];
    });
  return (o) => reqs.every((r) => r(o));
}
