/**
 * Discovery reads only the fields it uses: each `kubectl get` prints a projection of the objects,
 * `-o jsonpath-as-json=TEMPLATE`, instead of whole objects (`-o json`: a node's managed fields, images
 * and annotations are most of a node list's bytes). {@link parseDiscoveryOutput} rebuilds, from what
 * kubectl printed, objects holding just those fields at their usual paths, so `buildLabContext`
 * (runner/contextBuilder.ts) reads them as it reads full objects and stays a pure function of
 * documents. A full `-o json` document (what recordings made before the projection, and test doubles,
 * hold) is still accepted: it starts with `{`, a projection never does.
 *
 * How kubectl renders the template (kubernetes/kubectl v1.32 = k8s.io/cli-runtime and client-go
 * v0.32.4):
 * - `jsonpath-as-json` is one of kubectl's jsonpath formats (cli-runtime
 *   `pkg/genericclioptions/jsonpath_flags.go` lines 33-37) and turns on JSON output (lines 111-113);
 *   missing keys are allowed unless `--allow-missing-template-keys=false` (lines 104-109), so a field
 *   an object lacks gives no result instead of an error (client-go `util/jsonpath/jsonpath.go`
 *   evalField, lines 424-428);
 * - `Execute` prints each template node's results separately (lines 68-78); with JSON output every
 *   node's results become one JSON array printed with `json.MarshalIndent(.., "", "    ")` and a
 *   newline (PrintResults, lines 146-176), `[]` when the field is missing; strings are JSON-escaped;
 * - `{range .items[*]}...{end}` evaluates the nodes inside once per item (FindResults, lines 102-133),
 *   so a list of N items with K fields prints exactly N×K arrays, in item order;
 * - a dot inside a key (`k3s.io/node-args`) is escaped as `\.` (checked with the real kubectl
 *   against test/helpers/fakeApiServer.ts: test/runner/discoveryProjection.spec.ts).
 * The arrays are top-level, so each starts a line with `[`; MarshalIndent indents everything nested
 * and escapes newlines inside strings, so a line starting with `[` always begins the next array.
 */
import type { DocKey } from "./discoveryTypes";

type Json = Record<string, unknown>;

/** A field as a path of keys (a key may hold dots or slashes: label and annotation names). */
export type FieldPath = readonly string[];

const POD: readonly FieldPath[] = [
  ["metadata", "name"],
  ["metadata", "namespace"],
  ["metadata", "deletionTimestamp"],
  ["spec", "nodeName"],
  ["status", "phase"],
  ["status", "podIP"],
];

/**
 * The fields each document needs: those `buildLabContext` and runner/kubeProxyDiscovery.ts read
 * (node roles by label presence, InternalIPs, k3s's node-args; CiliumNode pod CIDRs of cluster-pool
 * and multi-pool IPAM; pods' placement and state; the service's ClusterIP and ports; cilium-config's
 * native-routing CIDR).
 */
export const PROJECTIONS: Readonly<Record<DocKey, readonly FieldPath[]>> = {
  nodes: [
    ["metadata", "name"],
    ["metadata", "labels", "node-role.kubernetes.io/control-plane"],
    ["metadata", "labels", "node-role.kubernetes.io/master"],
    ["metadata", "annotations", "k3s.io/node-args"],
    ["status", "addresses"],
  ],
  ciliumNodes: [
    ["metadata", "name"],
    ["spec", "ipam", "podCIDRs"],
    ["spec", "ipam", "pools", "allocated"],
  ],
  testPods: POD,
  client: POD,
  ciliumPods: POD,
  probePods: POD,
  kubeProxyPods: POD,
  kubeProxyStaticPods: POD,
  service: [
    ["metadata", "name"],
    ["spec", "type"],
    ["spec", "clusterIP"],
    ["spec", "ports"],
  ],
  ciliumConfig: [
    ["metadata", "name"],
    ["data", "ipv4-native-routing-cidr"],
  ],
};

/** Documents read with `get KIND NAME` (one object); the others are lists. */
const SINGLE: ReadonlySet<DocKey> = new Set<DocKey>(["client", "service", "ciliumConfig"]);

function jsonPathOf(field: FieldPath): string {
  return `{.${field.map((k) => k.replace(/\./g, "\\.")).join(".")}}`;
}

/** The jsonpath template of a document: one node per field, in a `{range}` over a list's items. */
export function projectionTemplate(key: DocKey): string {
  const fields = PROJECTIONS[key].map(jsonPathOf).join("");
  return SINGLE.has(key) ? fields : `{range .items[*]}${fields}{end}`;
}

/** The output flags of a document's get. */
export function projectionArgs(key: DocKey): string[] {
  return ["-o", `jsonpath-as-json=${projectionTemplate(key)}`];
}

/** The top-level JSON arrays kubectl printed, in order. Throws when the text is not that. */
export function projectionArrays(text: string): unknown[][] {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  const parsed: unknown = JSON.parse(`[${trimmed.replace(/\n(?=\[)/g, ",")}]`);
  if (!Array.isArray(parsed) || !parsed.every(Array.isArray))
    throw new Error("not a sequence of JSON arrays");
  return parsed as unknown[][];
}

function setPath(target: Json, field: FieldPath, value: unknown): void {
  let cur = target;
  field.slice(0, -1).forEach((k) => {
    if (typeof cur[k] !== "object" || cur[k] === null) cur[k] = {};
    cur = cur[k] as Json;
  });
  cur[field[field.length - 1]] = value;
}

/**
 * Rebuilds the document from a projection: a `List` of items, or one object, holding only the
 * projected fields that were present. Throws when the count of arrays does not fit the fields.
 */
export function parseProjection(key: DocKey, text: string): unknown {
  const fields = PROJECTIONS[key];
  const arrays = projectionArrays(text);
  if (arrays.length % fields.length !== 0 || (SINGLE.has(key) && arrays.length !== fields.length)) {
    throw new Error(`kubectl printed ${arrays.length} values for ${fields.length} fields per object`);
  }
  const objects: Json[] = [];
  for (let i = 0; i < arrays.length; i += fields.length) {
    const o: Json = {};
    fields.forEach((field, j) => {
      const values = arrays[i + j];
      if (values.length > 1) throw new Error(`field ${field.join(".")} printed ${values.length} values`);
      if (values.length === 1) setPath(o, field, values[0]);
    });
    objects.push(o);
  }
  return SINGLE.has(key) ? objects[0] : { kind: "List", items: objects };
}

/** A get's output as a document: a full `-o json` document as is, else the projection rebuilt. */
export function parseDiscoveryOutput(key: DocKey, text: string): unknown {
  return text.trimStart().startsWith("{") ? JSON.parse(text) : parseProjection(key, text);
}
