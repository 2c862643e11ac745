/**
 * Which Helm value paths each supported Cilium chart accepts, from the committed
 * `data/cilium-chart-index.json` (derived by `scripts/derive-chart-index.ts` from the real charts'
 * values.yaml). The values builder's tests and the policy pack judge generated values with it, so a
 * renamed or removed key (`tunnel`, `clusterPoolIPv4PodCIDR`, a top-level `monitorAggregation`) is
 * caught without the charts at hand.
 */
import * as semver from "./semver";
import indexJson from "../data/cilium-chart-index.json";

/** The shape of data/cilium-chart-index.json. */
export interface ChartIndex {
  /** How the file was made and how to read it. */
  readonly description: string;
  /** Indexed chart versions in ascending semver order; bit i of every mask stands for versions[i]. */
  readonly versions: readonly string[];
  /** Whether the chart of each version ships values.schema.json (from 1.16). */
  readonly valuesSchema: Readonly<Record<string, boolean>>;
  /** Dotted path (maps and leaves, never inside arrays) -> mask of versions where it exists. */
  readonly present: Readonly<Record<string, number>>;
  /**
   * Dotted path -> mask of versions where it appears only as a commented-out `# key: value` line.
   * Such keys are valid to set (the templates read them) but absent from the parsed defaults, so an
   * existence check on the parsed values alone would wrongly reject `kubeProxyReplacement` before
   * 1.18.3 or `devices` before 1.20.
   */
  readonly commented: Readonly<Record<string, number>>;
}

const INDEX: ChartIndex = indexJson;

/** The chart versions the index holds (one per minor, plus 1.13.0-rc5, the seed's version). */
export const INDEXED_VERSIONS: readonly string[] = Object.freeze([...INDEX.versions]);

/**
 * The Cilium versions the lab can judge: from the seed's 1.13.0-rc5 through every 1.20.x.
 * The upper bound is `<1.21.0-0`, not `<1.21.0`: with prereleases included, `1.21.0-pre.0` is below
 * `1.21.0` but its chart is not indexed. Earlier 1.13.0 release candidates are not covered either.
 */
export const SUPPORTED_RANGE = ">=1.13.0-rc5 <1.21.0-0";

/**
 * Whether `v` is a version in SUPPORTED_RANGE (prereleases included), written exactly as the chart
 * repository spells it: garbage, ranges, `v1.18.5` or padded strings are not, since the string goes
 * verbatim into the Helm release's chart version.
 */
export function isSupportedCiliumVersion(v: string): boolean {
  return semver.valid(v) === v && semver.satisfies(v, SUPPORTED_RANGE, { includePrerelease: true });
}

/**
 * The indexed chart by which to judge version `v`: the one of the same minor, since keys change
 * between minors (patch releases of one minor keep the values layout). 1.13 is split: its
 * prereleases are judged by 1.13.0-rc5 (where `debug.verbose` was still commented out), other 1.13.x
 * by 1.13.18. Throws for a version outside SUPPORTED_RANGE.
 */
export function indexedVersionFor(v: string): string {
  if (!isSupportedCiliumVersion(v)) {
    throw new Error(`Cilium ${v} is not supported: the lab knows charts ${SUPPORTED_RANGE}`);
  }
  const parsed = semver.parse(v) as semver.SemVer;
  if (parsed.major === 1 && parsed.minor === 13) {
    return parsed.prerelease.length > 0 ? "1.13.0-rc5" : "1.13.18";
  }
  const match = INDEXED_VERSIONS.find(
    (iv) => semver.major(iv) === parsed.major && semver.minor(iv) === parsed.minor,
  );
  if (match === undefined) throw new Error(`no indexed chart for Cilium ${v}`);
  return match;
}

function bitOf(indexedVersion: string): number {
  const i = INDEXED_VERSIONS.indexOf(indexedVersion);
  if (i < 0) {
    throw new Error(
      `${indexedVersion} is not an indexed chart version (${INDEXED_VERSIONS.join(", ")}); use indexedVersionFor()`,
    );
  }
  return 1 << i;
}

/**
 * Whether a dotted value path exists in an indexed chart: "present" (in the parsed values.yaml),
 * "commented" (only as a commented-out key the templates still read) or undefined (unknown to that
 * chart: a typo, a removed key, or a path inside an array, which the index does not describe).
 */
export function keyStatus(indexedVersion: string, path: string): "present" | "commented" | undefined {
  const bit = bitOf(indexedVersion);
  if (((INDEX.present[path] ?? 0) & bit) !== 0) return "present";
  if (((INDEX.commented[path] ?? 0) & bit) !== 0) return "commented";
  return undefined;
}

const pathsCache = new Map<string, readonly string[]>();

/** Every path (present or commented) of an indexed chart, sorted. */
function pathsOf(indexedVersion: string): readonly string[] {
  const cached = pathsCache.get(indexedVersion);
  if (cached !== undefined) return cached;
  const bit = bitOf(indexedVersion);
  const set = new Set<string>();
  for (const table of [INDEX.present, INDEX.commented]) {
    for (const [p, mask] of Object.entries(table)) if ((mask & bit) !== 0) set.add(p);
  }
  const paths = Object.freeze([...set].sort());
  pathsCache.set(indexedVersion, paths);
  return paths;
}

/**
 * Top-level keys of an indexed chart, present and commented, sorted. Top-level keys of Cilium's
 * chart contain no dots, so they are the paths without one.
 */
export function topLevelKeys(indexedVersion: string): readonly string[] {
  return pathsOf(indexedVersion).filter((p) => !p.includes("."));
}

/**
 * A likely intended path for a top-level key the chart does not know, for violation messages:
 * first a deeper path whose last segment is the key (case-insensitive, shallowest first), so the
 * seed's `monitorAggregation` gives `bpf.monitorAggregation`; otherwise the nearest top-level key
 * within edit distance 2 (case-insensitive), for typos such as `autoDirectNodeRoute`.
 * Undefined when nothing is close, or when the key is already a top-level key.
 */
export function suggestKey(indexedVersion: string, unknownTopLevelKey: string): string | undefined {
  if (topLevelKeys(indexedVersion).includes(unknownTopLevelKey)) return undefined;
  const paths = pathsOf(indexedVersion);
  const wanted = unknownTopLevelKey.toLowerCase();
  const bySegment = paths
    .filter((p) => p !== unknownTopLevelKey && (p.split(".").pop() as string).toLowerCase() === wanted)
    .sort((a, b) => a.split(".").length - b.split(".").length || (a < b ? -1 : a > b ? 1 : 0));
  if (bySegment.length > 0) return bySegment[0];
  let best: { key: string; distance: number } | undefined;
  for (const key of topLevelKeys(indexedVersion)) {
    const distance = editDistance(wanted, key.toLowerCase(), 2);
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { key, distance };
  }
  return best?.key;
}

/** Levenshtein distance, giving up (returning limit + 1) once it must exceed `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      rowMin = Math.min(rowMin, cur[j]);
    }
    if (rowMin > limit) return limit + 1;
    prev = cur;
  }
  return prev[b.length];
}
