/**
 * Where the Cilium chart comes from: a Helm chart repository (`ciliumChartRepo`, default
 * helm.cilium.io; a mirror or a repository served inside an air-gapped lab) or a chart on this
 * machine (`ciliumChart`: a packaged `cilium-<ciliumVersion>.tgz` or an unpacked `cilium` directory).
 *
 * How pulumi-kubernetes' helm.v3.Release uses them (pulumi/pulumi-kubernetes
 * provider/pkg/provider/helm_release.go, snapshot 94977969, lines 1543-1598 and 1707-1760): with
 * `repositoryOpts.repo` a URL, the chart is downloaded from that repository at `version`; with no
 * repository, a `chart` that names an existing file, or a directory holding Chart.yaml, is loaded
 * from disk as it is (locateChart returns before the version is used), so the chart's own version
 * must be `ciliumVersion`: the values are built for that version and the policy pack judges them by
 * it. The pack recognises a local Cilium chart by its name, `cilium-<version>.tgz` or a `cilium`
 * directory (policies/lib/cilium.ts isCiliumChart), hence the names required here.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { DEFAULT_CILIUM_CHART_REPO } from "./configKeys";
import type { ConfigReader } from "./configReader";

/**
 * An http(s) chart repository URL: host (name, IPv4 or bracketed IPv6), optional port and path; no
 * credentials, query, fragment, spaces or quotes.
 */
const CHART_REPO_URL =
  /^https?:\/\/(?:[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?|\[[0-9a-fA-F:.]+\])(?::[0-9]{1,5})?(?:\/[A-Za-z0-9._~/-]*)?$/;

/** The chart keys, validated. */
export interface ChartKeys {
  /** The repository URL (without a trailing slash), used when `ciliumChart` is unset. */
  readonly ciliumChartRepo: string;
  /** Absolute path of a local chart (.tgz or directory); undefined: download from the repository. */
  readonly ciliumChart: string | undefined;
}

/** Validates ciliumChartRepo and ciliumChart, recording problems in `r`. */
export function validateChartKeys(
  r: ConfigReader,
  { ciliumVersion, ciliumOk }: { readonly ciliumVersion: string; readonly ciliumOk: boolean },
): ChartKeys {
  const { bad, get } = r;
  const repo = get("ciliumChartRepo");
  if (!CHART_REPO_URL.test(repo) || repo.length > 2048) {
    bad(
      "ciliumChartRepo",
      repo,
      "must be the http(s) URL of a Helm chart repository (its index.yaml is at <URL>/index.yaml), without credentials, query, spaces or quotes",
    );
  }
  const chart = get("ciliumChart") || undefined;
  if (chart !== undefined) {
    if (get("ciliumChartRepo") !== DEFAULT_CILIUM_CHART_REPO) {
      bad(
        "ciliumChart",
        chart,
        "must be empty when ciliumChartRepo is set (a local chart uses no repository)",
      );
    }
    const problem = localChartProblem(chart, ciliumVersion, ciliumOk);
    if (problem !== undefined) bad("ciliumChart", chart, problem);
  }
  return { ciliumChartRepo: repo.replace(/\/+$/, ""), ciliumChart: chart };
}

/** Why `chart` is not a local Cilium chart of `version`, or undefined when it is one. */
function localChartProblem(chart: string, version: string, versionOk: boolean): string | undefined {
  const allowed = `must be the absolute path of a packaged chart cilium-${versionOk ? version : "<ciliumVersion>"}.tgz or of an unpacked chart directory named cilium whose Chart.yaml has version ${versionOk ? version : "<ciliumVersion>"}`;
  if (!path.isAbsolute(chart) || /[\s"'`$;\\]/.test(chart)) return allowed;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(chart);
  } catch {
    return `${allowed} (nothing exists there)`;
  }
  const base = path.basename(chart.replace(/\/+$/, ""));
  if (stat.isFile()) {
    // `helm package` names the archive <name>-<version>.tgz (helm pkg/chartutil/save.go, Save).
    return base === `cilium-${version}.tgz` ? undefined : `${allowed} (found a file named ${base})`;
  }
  if (!stat.isDirectory() || base !== "cilium") return `${allowed} (found ${base})`;
  let meta: unknown;
  try {
    meta = parse(fs.readFileSync(path.join(chart, "Chart.yaml"), "utf8"));
  } catch {
    return `${allowed} (no readable Chart.yaml in it)`;
  }
  const found = (meta as { version?: unknown } | null)?.version;
  return found === version ? undefined : `${allowed} (its Chart.yaml has version ${String(found)})`;
}
