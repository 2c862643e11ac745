/**
 * The GET side of the fake API server (test/helpers/fakeApiServer.ts): discovery documents, lists
 * (label and field selectors, `limit`/`continue`) and single objects, and the Status documents the
 * server answers errors with (the shape of a metav1.Status, as kubectl prints `Error from server
 * (Reason): message`).
 */
import {
  apiGroupList,
  apiResourceList,
  apiVersions,
  fieldSelector,
  labelSelector,
  nameOf,
  namespaceOf,
  RESOURCES,
  type FakeObjects,
} from "./fakeApiObjects";

type Json = Record<string, unknown>;

export const STATUS_REASONS: Record<number, string> = {
  400: "BadRequest",
  404: "NotFound",
  405: "MethodNotAllowed",
};

export function status(code: number, message: string): Json {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason: STATUS_REASONS[code],
    code,
  };
}

/** Answers a GET: discovery, a list (selectors, limit/continue) or one object. */
export function route(url: URL, objects: FakeObjects, hostPort: string): [number, Json] {
  const p = url.pathname.replace(/\/$/, "");
  if (p === "/api") return [200, apiVersions(hostPort)];
  if (p === "/apis") return [200, apiGroupList()];
  const gv = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(p);
  if (gv !== null) {
    const list = gv[1] !== undefined ? apiResourceList("", "v1") : apiResourceList(gv[2], gv[3]);
    return list === undefined
      ? [404, status(404, "the server could not find the requested resource")]
      : [200, list];
  }
  const m = /^\/(?:api\/v1|apis\/([^/]+)\/([^/]+))(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?$/.exec(p);
  const r = m === null ? undefined : RESOURCES.find((x) => x.plural === m[4] && x.group === (m[1] ?? ""));
  if (m === null || r === undefined)
    return [404, status(404, "the server could not find the requested resource")];
  const [, , , ns, , name] = m;
  const apiVersion = r.group === "" ? r.version : `${r.group}/${r.version}`;
  let items = (objects[r.plural] ?? []).filter(
    (o) => !r.namespaced || ns === undefined || namespaceOf(o) === ns,
  );
  if (name !== undefined) {
    const o = items.find((x) => nameOf(x) === name);
    return o === undefined ? [404, status(404, `${r.plural} "${name}" not found`)] : [200, o];
  }
  try {
    const ls = url.searchParams.get("labelSelector");
    const fs2 = url.searchParams.get("fieldSelector");
    if (ls !== null) items = items.filter(labelSelector(ls));
    if (fs2 !== null) items = items.filter(fieldSelector(fs2));
  } catch (err) {
    return [400, status(400, `fake API server: ${err instanceof Error ? err.message : String(err)}`)];
  }
  const start = Number(url.searchParams.get("continue") ?? "0");
  const limit = Number(url.searchParams.get("limit") ?? "0");
  const page = limit > 0 ? items.slice(start, start + limit) : items.slice(start);
  const more = limit > 0 && start + limit < items.length;
  return [
    200,
    {
      kind: `${r.kind}List`,
      apiVersion,
      metadata: { resourceVersion: "1", ...(more ? { continue: String(start + limit) } : {}) },
      items: page,
    },
  ];
}
