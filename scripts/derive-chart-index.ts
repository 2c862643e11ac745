/**
 * Derives `data/cilium-chart-index.json`: which Helm value paths each saved Cilium chart accepts.
 *
 * The saved charts live outside the project (`<repo>/../shared/cilium-chart/<version>/values.yaml`),
 * so the project keeps only this compact index and stands alone. Run it with
 * `npm run derive-chart-index` (writes the file) or `... -- --check` (exit 1 when the committed file
 * is stale). `--shared <dir>` points at another copy of the shared folder.
 *
 * This file is the CLI and reads the shared charts; the index itself is built by
 * derive-chart-index-build.ts (real keys: derive-chart-index-keys.ts, commented-out keys:
 * derive-chart-index-comments.ts).
 */
import * as fs from "fs";
import * as path from "path";
import * as semver from "semver";
import { deriveChartIndex, serializeChartIndex } from "./derive-chart-index-build";

/** Reads every `<shared>/cilium-chart/<version>/values.yaml` (and notes values.schema.json). */
export function readSharedCharts(sharedDir: string): {
  valuesYamlByVersion: Record<string, string>;
  withValuesSchema: string[];
} {
  const chartDir = path.join(sharedDir, "cilium-chart");
  const valuesYamlByVersion: Record<string, string> = {};
  const withValuesSchema: string[] = [];
  for (const entry of fs.readdirSync(chartDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || semver.valid(entry.name) !== entry.name) continue;
    const dir = path.join(chartDir, entry.name);
    valuesYamlByVersion[entry.name] = fs.readFileSync(path.join(dir, "values.yaml"), "utf8");
    if (fs.existsSync(path.join(dir, "values.schema.json"))) withValuesSchema.push(entry.name);
  }
  if (Object.keys(valuesYamlByVersion).length === 0) throw new Error(`no chart versions under ${chartDir}`);
  return { valuesYamlByVersion, withValuesSchema };
}

/** Where the committed index lives. */
export const CHART_INDEX_FILE = path.resolve(__dirname, "..", "data", "cilium-chart-index.json");
/** The shared folder next to the repository root. */
export const DEFAULT_SHARED_DIR = path.resolve(__dirname, "..", "..", "shared");

function main(argv: readonly string[]): number {
  let sharedDir = DEFAULT_SHARED_DIR;
  let check = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--check") check = true;
    else if (argv[i] === "--shared" && i + 1 < argv.length) sharedDir = path.resolve(argv[++i]);
    else {
      console.error(`usage: derive-chart-index [--shared <dir>] [--check] (unexpected ${argv[i]})`);
      return 2;
    }
  }
  const { valuesYamlByVersion, withValuesSchema } = readSharedCharts(sharedDir);
  const text = serializeChartIndex(deriveChartIndex(valuesYamlByVersion, withValuesSchema));
  const rel = path.relative(process.cwd(), CHART_INDEX_FILE);
  if (check) {
    const committed = fs.existsSync(CHART_INDEX_FILE) ? fs.readFileSync(CHART_INDEX_FILE, "utf8") : "";
    if (committed !== text) {
      console.error(`${rel} is stale: run npm run derive-chart-index`);
      return 1;
    }
    console.log(`${rel} is up to date (${Buffer.byteLength(text)} bytes)`);
    return 0;
  }
  fs.mkdirSync(path.dirname(CHART_INDEX_FILE), { recursive: true });
  fs.writeFileSync(CHART_INDEX_FILE, text);
  console.log(
    `wrote ${rel} (${Buffer.byteLength(text)} bytes, ${Object.keys(valuesYamlByVersion).length} versions)`,
  );
  return 0;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
