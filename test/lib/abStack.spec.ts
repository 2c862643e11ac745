import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { legacyClusterName, legacyStackYaml, nextBlock } from "../../lib/abStack";
import { validateConfig } from "../../lib/config";
import { readStackConfig } from "../../lib/stackFiles";

const REPO = path.resolve(__dirname, "..", "..");

describe("lib/abStack: the A/B's second stack", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ab-"));
    for (const f of ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.current.yaml"]) {
      fs.copyFileSync(path.join(REPO, f), path.join(dir, f));
    }
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const [stack, name, network] of [
    ["dev", "cilium-kubeproxy-replacem-legacy", "172.16.11.0/24"],
    ["current", "cilium-native-routing-cur-legacy", "172.16.21.0/24"],
  ] as const) {
    it(`derives ${stack}-legacy: the same config, the declared variant, its own cluster and subnet`, () => {
      const text = legacyStackYaml(dir, stack);
      fs.writeFileSync(path.join(dir, `Pulumi.${stack}-legacy.yaml`), text);
      const a = readStackConfig(dir, stack);
      const b = readStackConfig(dir, `${stack}-legacy`);
      assert.deepStrictEqual(
        { ...b, datapathVariant: undefined, clusterName: undefined, nodeNetwork: undefined },
        { ...a, datapathVariant: undefined, clusterName: undefined, nodeNetwork: undefined },
      );
      assert.strictEqual(b.datapathVariant, "legacy-host-routing");
      assert.strictEqual(b.clusterName, name);
      assert.strictEqual(b.nodeNetwork, network);
      assert.ok(b.clusterName.length <= 32);
      assert.strictEqual(validateConfig(b).datapathVariant, "legacy-host-routing");
      assert.doesNotMatch(text, /encryptionsalt/);
    });
  }

  it("keeps a set nodeNetworkName apart and drops the first stack's encryption salt", () => {
    fs.appendFileSync(
      path.join(dir, "Pulumi.dev.yaml"),
      "  cilium-ebpf-lab:nodeNetworkName: labnet\nencryptionsalt: v1:abc\n",
    );
    const doc = parse(legacyStackYaml(dir, "dev")) as Record<string, Record<string, string>>;
    assert.strictEqual(doc.config["cilium-ebpf-lab:nodeNetworkName"], "labnet-legacy");
    assert.deepStrictEqual(Object.keys(doc), ["config"]);
  });

  it("refuses an existing-cluster stack, a stack with a variant already, and a subnet with no neighbour", () => {
    fs.writeFileSync(
      path.join(dir, "Pulumi.x.yaml"),
      "config:\n  cilium-ebpf-lab:datapathVariant: legacy-host-routing\n",
    );
    assert.throws(() => legacyStackYaml(dir, "x"), /already declares datapathVariant legacy-host-routing/);
    fs.writeFileSync(
      path.join(dir, "Pulumi.e.yaml"),
      "config:\n  cilium-ebpf-lab:clusterMode: existing\n  cilium-ebpf-lab:kubeconfig: 'apiVersion: v1'\n",
    );
    assert.throws(() => legacyStackYaml(dir, "e"), /clusterMode existing: the A\/B builds two kind clusters/);
    assert.throws(() => nextBlock("255.255.255.0/24"), /no next block/);
  });

  it("refuses a derived subnet that the config rejects (it would overlap the pod CIDR)", () => {
    fs.writeFileSync(
      path.join(dir, "Pulumi.p.yaml"),
      "config:\n  cilium-ebpf-lab:nodeNetwork: 172.16.10.0/24\n  cilium-ebpf-lab:podCidr: 172.16.11.0/24\n  cilium-ebpf-lab:nativeRoutingCidr: 172.16.11.0/24\n  cilium-ebpf-lab:podCidrMaskSize: '28'\n",
    );
    assert.doesNotThrow(() => validateConfig(readStackConfig(dir, "p")));
    assert.throws(() => legacyStackYaml(dir, "p"), /nodeNetwork/);
  });

  it("computes the next block and a name of at most 32 characters", () => {
    assert.strictEqual(nextBlock("172.16.10.0/24"), "172.16.11.0/24");
    assert.strictEqual(nextBlock("172.16.255.0/24"), "172.17.0.0/24");
    assert.strictEqual(nextBlock("10.1.0.0/16"), "10.2.0.0/16");
    assert.strictEqual(legacyClusterName("lab"), "lab-legacy");
    assert.strictEqual(legacyClusterName("a".repeat(24) + "-x"), `${"a".repeat(24)}-legacy`);
  });
});
