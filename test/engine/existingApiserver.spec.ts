/**
 * Replays the real engine's runs of an existing-mode stack against a real kube-apiserver (kwok
 * nodes; test/fixtures/engine/existing-apiserver/SOURCES.md) and compares them with what the mocks
 * (test/helpers/pulumiMocks.ts) make of the same program, config and cluster reads.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { installFakeCluster } from "../helpers/fakeCluster";
import { FAKE_KUBECONFIG, MockedResource, runLab } from "../helpers/pulumiMocks";

const DIR = path.resolve(__dirname, "..", "fixtures", "engine", "existing-apiserver");
const readJson = (...p: string[]): unknown => JSON.parse(fs.readFileSync(path.join(DIR, ...p), "utf8"));

/** One resource step as trimmed from the engine's events (SOURCES.md, trim.py). */
interface Step {
  readonly kind: string;
  readonly op: string;
  readonly urn: string;
  readonly type: string;
  readonly old?: StepState | null;
  readonly new?: StepState | null;
}
interface StepState {
  readonly parent?: string;
  readonly provider?: string;
  readonly retainOnDelete?: boolean;
  readonly inputs?: Record<string, unknown>;
}
const steps = (file: string): Step[] => (readJson(file) as Step[]).filter((e) => e.kind === "pre");

/** `type::name` of a URN, with the parent type chain the engine writes into its type part. */
const tail = (urn: string): string => urn.split("::").slice(2).join("::");
/** The same without a provider reference's trailing `::<id>`. */
const providerTail = (ref: string): string => ref.split("::").slice(2, 4).join("::");

/** The stack config of the recorded runs (Pulumi.apiserver.yaml, SOURCES.md), the kubeconfig aside. */
const CONFIG = {
  clusterMode: "existing",
  clusterName: "lab",
  k8sServiceHost: "127.0.0.1",
  k8sServicePort: "36443",
  ciliumChartRepo: "http://127.0.0.1:38879",
  checkTimeoutSeconds: "10",
};

/**
 * The engine's URN type part of a mocked resource: its parent's, `$`, its own type
 * (pulumi/pulumi sdk/go/common/resource/urn/urn.go lines 80-93 at v3.248.0, with the parent's
 * qualified type). The SDK's mock monitor keeps only the parent's last type
 * (@pulumi/pulumi runtime/mocks.js newUrn), so the chain is rebuilt from the recorded parents.
 */
function engineTypes(resources: readonly MockedResource[]): Map<MockedResource, string> {
  const byTypeName = new Map(resources.map((r) => [`${r.type}::${r.name}`, r]));
  const out = new Map<MockedResource, string>();
  const chain = (r: MockedResource): string => {
    const known = out.get(r);
    if (known !== undefined) return known;
    let qualified = r.type;
    if (r.options.parent !== "" && !r.options.parent.includes("::pulumi:pulumi:Stack::")) {
      const [, , parentType, parentName] = r.options.parent.split("::");
      const parent = byTypeName.get(`${parentType.split("$").pop() as string}::${parentName}`);
      assert.ok(parent, `parent ${r.options.parent} of ${r.name} not among the mocked resources`);
      qualified = `${chain(parent)}$${r.type}`;
    }
    out.set(r, qualified);
    return qualified;
  };
  resources.forEach(chain);
  return out;
}

describe("existing mode: the real engine's runs against a kube-apiserver, replayed", function () {
  this.timeout(90_000);
  let dir: string;
  let kubeconfigPath: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-engine-"));
    kubeconfigPath = path.join(dir, "config");
    fs.writeFileSync(kubeconfigPath, FAKE_KUBECONFIG, { mode: 0o600 });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** The mocks' run with the recorded cluster's answers to the program's reads. */
  async function mocked(extra: Record<string, string> = {}): Promise<MockedResource[]> {
    const fake = installFakeCluster({
      daemonSets: readJson("cluster", "daemonsets.json"),
      pods: readJson("cluster", "pods-kube-proxy.json"),
      nodes: readJson("cluster", "nodes.json"),
    });
    try {
      return (await runLab({ config: { ...CONFIG, kubeconfigPath, ...extra } })).resources;
    } finally {
      fake.restore();
    }
  }

  it("declares the resources the real first up created: types, names and parents", async () => {
    const resources = await mocked();
    const types = engineTypes(resources);
    const parentOf = (r: MockedResource): string => {
      if (r.options.parent === "") return "";
      const [, , t, n] = r.options.parent.split("::");
      const parent = resources.find((x) => x.type === t.split("$").pop() && x.name === n);
      return parent ? `${types.get(parent)}::${parent.name}` : `${t}::${n}`;
    };
    const fromMocks = resources.map((r) => `${types.get(r)}::${r.name} <- ${parentOf(r)}`).sort();
    const created = steps("up-1.events.json").filter((s) => s.op === "create");
    // The engine also creates the root Stack resource, which the program never registers itself
    // (the SDK does, outside the mocks' newResource); its children name it as their parent.
    const fromEngine = created
      .filter((s) => s.type !== "pulumi:pulumi:Stack")
      .map((s) => {
        const parent = s.new?.parent ?? "";
        return `${tail(s.urn)} <- ${parent.includes("::pulumi:pulumi:Stack::") ? `pulumi:pulumi:Stack::cilium-ebpf-lab-apiserver` : tail(parent)}`;
      })
      .sort();
    const mockStackParent = (line: string) =>
      line.endsWith(" <- ") || line.includes("<- pulumi:pulumi:Stack::")
        ? line.replace(/ <- .*$/, " <- pulumi:pulumi:Stack::cilium-ebpf-lab-apiserver")
        : line;
    assert.deepStrictEqual(fromMocks.map(mockStackParent).sort(), fromEngine);
  });

  it("gives the Helm release the provider, retainOnDelete and chart source the real engine saw", async () => {
    const resources = await mocked();
    const release = resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release");
    assert.ok(release);
    const real = steps("up-1.events.json").find(
      (s) => s.op === "create" && s.type === "kubernetes:helm.sh/v3:Release",
    );
    assert.ok(real?.new);
    assert.strictEqual(providerTail(String(release.provider)), providerTail(String(real.new.provider)));
    assert.strictEqual(release.options.retainOnDelete, real.new.retainOnDelete);
    const inputs = real.new.inputs as Record<string, unknown>;
    assert.strictEqual(release.inputs.chart, inputs.chart);
    assert.strictEqual(release.inputs.version, inputs.version);
    assert.strictEqual(
      (release.inputs.repositoryOpts as { repo: string }).repo,
      (inputs.repositoryOpts as { repo: string }).repo,
    );
  });

  it("declares the same inputs twice, as the real second up (up-4) found nothing to change", async () => {
    const ops = new Set(steps("up-4.events.json").map((s) => s.op));
    assert.deepStrictEqual([...ops], ["same"]);
    const inputsOf = (rs: MockedResource[]) =>
      Object.fromEntries(rs.map((r) => [`${r.type}::${r.name}`, JSON.stringify(r.inputs)]));
    assert.deepStrictEqual(inputsOf(await mocked()), inputsOf(await mocked()));
  });

  it("changes what the real up changed when ciliumVersion went from 1.13.0-rc5 to 1.18.12", async () => {
    const key = (r: MockedResource) => `${r.type}::${r.name}`;
    const before = new Map((await mocked()).map((r) => [key(r), JSON.stringify(r.inputs)]));
    const after = await mocked({ ciliumVersion: "1.18.12" });
    const changed = after.filter((r) => before.get(key(r)) !== JSON.stringify(r.inputs)).map(key);
    const real = steps("up-version.events.json").filter((s) => s.op !== "same" && s.op !== "delete-replaced");
    const realChanged = [...new Set(real.map((s) => `${s.type}::${s.urn.split("::").pop() as string}`))];
    assert.deepStrictEqual(changed.sort(), realChanged.sort());
    // The Commands (triggers are replaceOnChanges) were replaced; the Helm release upgraded in place.
    const opsOf = (name: string) => [
      ...new Set(real.filter((s) => s.urn.endsWith(`::${name}`)).map((s) => s.op)),
    ];
    assert.deepStrictEqual(opsOf("checks-run").sort(), ["create-replacement", "replace"]);
    assert.deepStrictEqual(opsOf("cilium-release"), ["update"]);
  });

  const destroys: { file: string; extra: Record<string, string>; releaseDeleted: boolean; left: RegExp }[] = [
    { file: "destroy-1", extra: {}, releaseDeleted: false, left: /^daemonset\.apps\/cilium$/m },
    {
      file: "destroy-uninstall",
      extra: { ciliumVersion: "1.18.12", uninstallCiliumOnDestroy: "true" },
      releaseDeleted: true,
      left: /^\$ helm list -n kube-system -o json\n\[\]$/m,
    },
  ];
  for (const d of destroys) {
    it(`deletes through the providers exactly what the real ${d.file} deleted (release deleted: ${d.releaseDeleted})`, async () => {
      const resources = await mocked(d.extra);
      // Components and the provider resource have no provider Delete; a retained resource is only
      // dropped from the state (the engine skips Delete for retainOnDelete).
      const expected = resources
        .filter(
          (r) => r.custom && !r.type.startsWith("pulumi:providers:") && r.options.retainOnDelete !== true,
        )
        .map((r) => r.name)
        .sort();
      const grpc = readJson(`${d.file}.grpc.json`) as { method: string; urn?: string }[];
      const deleted = [
        ...new Set(grpc.filter((g) => g.method === "Delete").map((g) => (g.urn as string).split("::").pop())),
      ].sort();
      assert.deepStrictEqual(deleted, expected);
      assert.strictEqual(deleted.includes("cilium-release"), d.releaseDeleted);
      const release = steps(`${d.file}.events.json`).find((s) => s.type === "kubernetes:helm.sh/v3:Release");
      assert.strictEqual(release?.op, "delete");
      assert.strictEqual(release.old?.retainOnDelete ?? false, !d.releaseDeleted);
      const after = d.file === "destroy-1" ? "after-destroy-1.txt" : "after-destroy-uninstall.txt";
      assert.match(fs.readFileSync(path.join(DIR, after), "utf8"), d.left);
    });
  }

  it("shows the recovery that worked: the release's real URN, --target-dependents on its state delete", () => {
    const readme = fs.readFileSync(path.resolve(__dirname, "..", "..", "README.md"), "utf8");
    const release = steps("up-1.events.json").find((s) => s.type === "kubernetes:helm.sh/v3:Release");
    assert.ok(release);
    const urn = release.urn.replace("urn:pulumi:apiserver::", "urn:pulumi:<stack>::");
    const lines = readme.split("\n").filter((l) => /pulumi state delete .*CiliumRelease/.test(l));
    assert.ok(lines.length > 0, "the README shows no state delete of the release");
    for (const line of lines) {
      assert.ok(line.includes(`'${urn}'`), `not the release's real URN: ${line}`);
      assert.match(
        line,
        /--target-dependents/,
        `refused by the real CLI without --target-dependents: ${line}`,
      );
    }
    const refused = fs.readFileSync(path.join(DIR, "state-delete.txt"), "utf8");
    assert.match(refused, /can't be safely deleted because the following resources depend on it/);
    assert.match(fs.readFileSync(path.join(DIR, "state-delete-2.txt"), "utf8"), /^Resource deleted$/m);
    // Why the state delete at all (uninstallCiliumOnDestroy true): the provider refused the release's
    // Delete on the stopped API server though PULUMI_K8S_DELETE_UNREACHABLE was true.
    const stopped = readJson("destroy-6-stopped.grpc.json") as {
      method: string;
      urn?: string;
      errors?: string[];
    }[];
    const refusal = stopped.find((g) => g.method === "Delete" && g.urn?.endsWith("::cilium-release"));
    assert.match(String(refusal?.errors), /can't delete Helm Release with unreachable cluster/);
  });

  it("installs a local chart (ciliumChart) with the inputs the real up sent: the path, the version, no repository", async () => {
    const chart = path.join(dir, "cilium-1.18.12.tgz");
    fs.writeFileSync(chart, "");
    const resources = await mocked({
      ciliumVersion: "1.18.12",
      ciliumChart: chart,
      ciliumChartRepo: "https://helm.cilium.io",
    });
    const release = resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release");
    const real = steps("up-local-chart.events.json").find((s) => s.type === "kubernetes:helm.sh/v3:Release");
    const inputs = real?.new?.inputs as Record<string, unknown>;
    assert.strictEqual(path.basename(String(release?.inputs.chart)), path.basename(String(inputs.chart)));
    assert.strictEqual(release?.inputs.version, inputs.version);
    assert.strictEqual(release?.inputs.repositoryOpts, undefined);
    assert.strictEqual(inputs.repositoryOpts, undefined);
  });
});
