import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ofType, runLab } from "../helpers/pulumiMocks";

const RELEASE = "kubernetes:helm.sh/v3:Release";

describe("CiliumRelease: the chart's source follows ciliumChartRepo / ciliumChart", function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-chart-"));
    fs.writeFileSync(path.join(dir, "cilium-1.13.0-rc5.tgz"), "");
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function release(config: Record<string, string>): Promise<Record<string, unknown>> {
    const r = await runLab({ stackFile: "Pulumi.dev.yaml", config });
    const found = ofType(r.resources, RELEASE);
    assert.strictEqual(found.length, 1);
    return found[0].inputs;
  }

  it("downloads chart cilium at ciliumVersion from the configured repository", async () => {
    const inputs = await release({ ciliumChartRepo: "http://127.0.0.1:8879/" });
    assert.strictEqual(inputs.chart, "cilium");
    assert.strictEqual(inputs.version, "1.13.0-rc5");
    assert.deepStrictEqual(inputs.repositoryOpts, { repo: "http://127.0.0.1:8879" });
  });

  it("installs a local chart by its path, with no repository and the version kept for the policy pack", async () => {
    const tgz = path.join(dir, "cilium-1.13.0-rc5.tgz");
    const inputs = await release({ ciliumChart: tgz });
    assert.strictEqual(inputs.chart, tgz);
    assert.strictEqual(inputs.version, "1.13.0-rc5");
    assert.strictEqual(inputs.repositoryOpts, undefined);
  });
});
