/**
 * The stack as stack policies see it: every resource's outputs (props), read into snapshots so that
 * one value unknown at preview does not stop a policy from judging the rest of the stack.
 */
import { StackValidationArgs } from "@pulumi/policy";
import { Plain, field, isRecord, peek, snapshot, str } from "./props";

export interface StackResource {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly props: Plain;
}

export function stackResources(args: StackValidationArgs): StackResource[] {
  return args.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: snapshot(r.props) }));
}

/** Name, namespace and labels of a Kubernetes object's metadata (undefined when unknown). */
export interface ObjectMeta {
  readonly name?: string;
  readonly namespace?: string;
  readonly labels: Readonly<Record<string, string>>;
}

export function metadataOf(object: Plain, path = "metadata"): ObjectMeta {
  const meta = peek(object, path);
  const labels: Record<string, string> = {};
  const rawLabels = field(meta, "labels");
  if (isRecord(rawLabels)) {
    for (const [k, v] of Object.entries(rawLabels)) if (typeof v === "string") labels[k] = v;
  }
  return { name: str(field(meta, "name")), namespace: str(field(meta, "namespace")), labels };
}

/** `namespace/name` (or the Pulumi name when the object's name is not known) for messages. */
export function describeObject(kind: string, resource: StackResource): string {
  const meta = metadataOf(resource.props);
  const name = meta.name ?? `(Pulumi resource ${resource.name})`;
  return `${kind} ${meta.namespace ? `${meta.namespace}/` : ""}${name}`;
}
