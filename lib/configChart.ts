/**
 * Where the Cilium chart comes from (`ciliumChart`): the Cilium Helm repository by default, another
 * Helm repository (a mirror), an OCI registry, or a chart archive on disk (air-gapped labs).
 */
import { existsSync, statSync } from "node:fs";
import * as path from "node:path";
import type { ConfigReader } from "./configReader";
import type { ChartSource } from "./configTypes";

export type { ChartSource } from "./configTypes";

/** The Cilium project's Helm repository (the seed's `helm repo add cilium https://helm.cilium.io`). */
export const CILIUM_HELM_REPO = "https://helm.cilium.io";

/**
 * Validates `ciliumChart` against `ciliumVersion`:
 * - "" → {@link CILIUM_HELM_REPO};
 * - `https://...` or `http://...` → that Helm repository (its index.yaml must list cilium);
 * - `oci://host/path` → the chart `oci://host/path/cilium` (Helm's OCI form: `helm install cilium
 *   oci://quay.io/cilium/charts/cilium`);
 * - anything else → a chart archive `cilium-<ciliumVersion>.tgz` (the name `helm package` gives it),
 *   relative to the program's directory, which must exist: the release installs that file, and the
 *   file's version must be the one the values are written for.
 */
export function validateChartKey(r: ConfigReader, ciliumVersion: string, programDir: string): ChartSource {
  const value = r.get("ciliumChart");
  if (value === "") return { kind: "repository", repo: CILIUM_HELM_REPO, chart: "cilium" };
  if (/^(https?|oci):\/\//.test(value)) {
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    if (
      url === undefined ||
      url.hostname === "" ||
      /\s/.test(value) ||
      url.search !== "" ||
      url.hash !== ""
    ) {
      r.bad(
        "ciliumChart",
        value,
        "must be a Helm repository URL (https://host/path, no query), oci://host/path, or a path to cilium-<ciliumVersion>.tgz",
      );
      return { kind: "repository", repo: CILIUM_HELM_REPO, chart: "cilium" };
    }
    const base = value.replace(/\/+$/, "");
    return url.protocol === "oci:"
      ? { kind: "oci", chart: `${base}/cilium` }
      : { kind: "repository", repo: base, chart: "cilium" };
  }
  const expected = `cilium-${ciliumVersion}.tgz`;
  const full = path.resolve(programDir, value);
  if (path.basename(value) !== expected) {
    r.bad(
      "ciliumChart",
      value,
      `must name the chart archive of ciliumVersion, ${expected} (or be a repository URL)`,
    );
  } else if (!existsSync(full) || !statSync(full).isFile()) {
    r.bad(
      "ciliumChart",
      value,
      `must be an existing file (looked for ${full}, relative to the program's directory)`,
    );
  }
  return { kind: "file", chart: full };
}
