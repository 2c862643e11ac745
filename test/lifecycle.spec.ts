/**
 * The lab's lifecycle on a real machine, under mocks that behave like the engine (issue 13):
 * ids change exactly when a resource is replaced (engineLikeId), resource options are read from the
 * register request as the engine receives them.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { CONFIG_KEYS, validateConfig } from "../lib/config";
import { DOCKER_DEFAULT_POOLS } from "../preflight/subnets";
import { overlaps } from "../preflight/subnets";
import { clusterShape, installFakeCluster } from "./helpers/fakeCluster";
import {
  FAKE_KUBECONFIG_REMOTE,
  MockedResource,
  RunResult,
  ofType,
  runLab,
  stackConfig,
} from "./helpers/pulumiMocks";

const REPO = path.resolve(__dirname, "..");
type Obj = Record<string, unknown>;

function one(r: RunResult, type: string, suffix: string): MockedResource {
  const found = ofType(r.resources, type).filter((x) => x.name.endsWith(suffix));
  assert.strictEqual(found.length, 1, `one ${type} *${suffix}: ${found.map((f) => f.name).join(", ")}`);
  return found[0];
}
const identifier = (r: RunResult) => one(r, "pulumi:providers:kubernetes", "lab").inputs.clusterIdentifier;
const checkTriggers = (r: RunResult) =>
  one(r, "command:local:Command", "checks-run").inputs.triggers as string[];

describe("lifecycle (under engine-like mocks)", function () {
  this.timeout(120000);
  let base: RunResult;
  before(async () => {
    base = await runLab({ stackFile: "Pulumi.dev.yaml" });
  });

  describe("defect 1: node subnet defaults", () => {
    const stackFiles = ["Pulumi.dev.yaml", "Pulumi.current.yaml"];
    it("keeps the default and every stack's nodeNetwork out of Docker's default address pools", () => {
      const subnets = [
        CONFIG_KEYS.nodeNetwork.default as string,
        ...stackFiles.map((f) => stackConfig(f).nodeNetwork),
      ];
      for (const subnet of subnets) {
        for (const pool of DOCKER_DEFAULT_POOLS) {
          assert.ok(!overlaps(subnet, pool), `${subnet} overlaps Docker's default pool ${pool}`);
        }
      }
    });
    it("gives the two stacks different node subnets (they run side by side) and both pass validation", () => {
      const [dev, current] = stackFiles.map((f) => validateConfig(stackConfig(f)));
      assert.ok(!overlaps(dev.nodeNetwork, current.nodeNetwork));
    });
    it("keeps the write-up's 172.18 addresses out of the defaults", () => {
      const project = parse(fs.readFileSync(path.join(REPO, "Pulumi.yaml"), "utf8")) as {
        config: Record<string, { default?: unknown }>;
      };
      const values = [
        ...Object.values(CONFIG_KEYS).map((k) => k.default ?? ""),
        ...Object.values(project.config).map((c) => String(c.default ?? "")),
        ...stackFiles.flatMap((f) => Object.values(stackConfig(f))),
      ];
      for (const v of values) assert.doesNotMatch(v, /172\.1[89]\./, v);
    });
  });

  describe("defect 2: a recreated cluster replaces everything on it", () => {
    it("ties the provider's clusterIdentifier to the cluster instance: new on recreate, stable otherwise", async () => {
      const same = await runLab({ stackFile: "Pulumi.dev.yaml" });
      assert.strictEqual(identifier(same), identifier(base), "an unchanged cluster keeps its identity");
      for (const change of <Record<string, string>[]>[
        { workers: "3" },
        {
          nodeImage:
            "kindest/node:v1.23.4@sha256:0e34f0d0fd448aa2f2819cfd74e99fe5793a6e4938b328f657c8e3f81ee0dfb9",
        },
        { registryMirrors: '{"harbor.evescn.com":["https://harbor.evescn.com"]}' },
        { nodeNetwork: "172.16.30.0/24" },
      ]) {
        const r = await runLab({ stackFile: "Pulumi.dev.yaml", config: change });
        assert.notStrictEqual(
          identifier(r),
          identifier(base),
          `${JSON.stringify(change)} must change the identity`,
        );
        assert.notStrictEqual(one(r, "command:local:Command", "lab-cluster").inputs.triggers, undefined);
      }
    });
  });

  describe("defect 3: checks re-run with what they describe", () => {
    it("triggers every check and the measurement on the cluster identity and the Cilium release", async () => {
      const perf = await runLab({ stackFile: "Pulumi.dev.yaml", config: { runPerformance: "true" } });
      const perfTriggers = one(perf, "command:local:Command", "perf-run").inputs.triggers as string[];
      for (const triggers of [checkTriggers(base), perfTriggers]) {
        assert.strictEqual(triggers[0], "1");
        assert.ok(triggers.includes(identifier(base) as string), "the cluster identity");
        assert.ok(triggers.includes("cilium 1.13.0-rc5"), "the Cilium version");
        assert.ok(
          triggers.some((t) => /^values [0-9a-f]{16}$/.test(t)),
          "a hash of the Cilium values",
        );
      }
    });
    it("changes the checks' triggers when the Cilium version, its values or the cluster change", async () => {
      for (const change of <Record<string, string>[]>[
        { ciliumVersion: "1.14.0" },
        { podCidrMaskSize: "25" },
        { workers: "3" },
      ]) {
        const r = await runLab({ stackFile: "Pulumi.dev.yaml", config: change });
        assert.notDeepStrictEqual(checkTriggers(r), checkTriggers(base), JSON.stringify(change));
      }
      const same = await runLab({ stackFile: "Pulumi.dev.yaml" });
      assert.deepStrictEqual(checkTriggers(same), checkTriggers(base));
    });
  });

  describe("defect 4: destroy after the cluster was deleted by hand", () => {
    it("deletes the Helm release and the workload with the kind cluster (their own delete is skipped)", () => {
      const clusterUrn = /command:local:Command::lab-cluster$/;
      const onCluster = [
        one(base, "kubernetes:helm.sh/v3:Release", "cilium-release"),
        ...ofType(base.resources, "kubernetes:apps/v1:DaemonSet"),
        ...ofType(base.resources, "kubernetes:core/v1:Service"),
        ...ofType(base.resources, "kubernetes:core/v1:Pod"),
      ];
      assert.ok(onCluster.length >= 5);
      for (const res of onCluster) assert.match(res.options.deletedWith, clusterUrn, res.name);
    });
    it("sets no deletedWith in existing mode (the cluster is not the stack's to delete)", async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-kc-"));
      const kubeconfigPath = path.join(dir, "config");
      fs.writeFileSync(kubeconfigPath, FAKE_KUBECONFIG_REMOTE, { mode: 0o600 });
      const fake = installFakeCluster(clusterShape("seed"));
      try {
        const r = await runLab({
          config: { clusterMode: "existing", kubeconfigPath, context: "prod-admin", clusterName: "prod" },
        });
        const onCluster = r.resources.filter((x) => x.type.startsWith("kubernetes:"));
        assert.ok(onCluster.length >= 5);
        for (const res of onCluster) assert.strictEqual(res.options.deletedWith, "", res.name);
      } finally {
        fake.restore();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe("defect 6: changes to the cluster Command and to the node network", () => {
    it("gives the cluster Command an update, so a script change never re-runs create on a live cluster", () => {
      const cluster = one(base, "command:local:Command", "lab-cluster");
      assert.match(String(cluster.inputs.update), /kind get clusters/);
      assert.doesNotMatch(String(cluster.inputs.update), /kind create/);
      assert.strictEqual(cluster.options.deleteBeforeReplace, true);
    });
    it("replaces the network delete-first and makes the cluster follow it", async () => {
      const net = one(base, "docker:index/network:Network", "lab-network");
      assert.strictEqual(net.options.deleteBeforeReplace, true, "same name: the old network must go first");
      const r = await runLab({ stackFile: "Pulumi.dev.yaml", config: { nodeNetwork: "172.16.30.0/24" } });
      const cluster = (x: RunResult) => one(x, "command:local:Command", "lab-cluster");
      // The network's id is in the cluster's triggers: a new network replaces the cluster, and the
      // engine deletes the cluster before the network it depends on.
      const oldNetId = (cluster(base).inputs.triggers as string[]).find((t) => t.startsWith("lab-network-"));
      const newNetId = (cluster(r).inputs.triggers as string[]).find((t) => t.startsWith("lab-network-"));
      assert.ok(oldNetId && newNetId && oldNetId !== newNetId, `${oldNetId} vs ${newNetId}`);
      assert.ok(
        cluster(base).options.dependencies.some((d) =>
          d.endsWith("docker:index/network:Network::lab-network"),
        ),
      );
    });
  });

  describe("defect 7: MTU as kind sets it", () => {
    it("copies the MTU of Docker's bridge network", async () => {
      // 1450: the bridge MTU printed by `docker network inspect bridge -f '{{ index .Options
      // "com.docker.network.driver.mtu" }}'` in kubernetes-sigs/kind#2153 (see test/fixtures/preflight/SOURCES.md).
      const r = await runLab({
        stackFile: "Pulumi.dev.yaml",
        bridgeOptions: { "com.docker.network.driver.mtu": "1450" },
      });
      const options = one(r, "docker:index/network:Network", "lab-network").inputs.options as Obj;
      assert.strictEqual(options["com.docker.network.driver.mtu"], "1450");
      assert.strictEqual(options["com.docker.network.bridge.enable_ip_masquerade"], "true");
    });
    it("sets no MTU when the bridge network has none (Docker's default applies, as with kind)", () => {
      const options = one(base, "docker:index/network:Network", "lab-network").inputs.options as Obj;
      assert.strictEqual(options["com.docker.network.driver.mtu"], undefined);
    });
  });

  describe("defect 8: registryMirrors as the README sets it", () => {
    it("declares registryMirrors as a string (pulumi config set stores a string) and parses the README's value", () => {
      const project = parse(fs.readFileSync(path.join(REPO, "Pulumi.yaml"), "utf8")) as {
        config: Record<string, { type: string }>;
      };
      assert.strictEqual(project.config.registryMirrors.type, "string");
      for (const spec of Object.values(project.config)) assert.notStrictEqual(spec.type, "object");
      const readme = fs.readFileSync(path.join(REPO, "README.md"), "utf8");
      const m = /pulumi config set registryMirrors '([^']+)'/.exec(readme);
      assert.ok(m, "the README shows how to set registryMirrors");
      assert.deepStrictEqual(validateConfig({ registryMirrors: m[1] }).registryMirrors, JSON.parse(m[1]));
    });
  });

  describe("defect 9: node images pinned by digest", () => {
    it("pins the default and every stack's node image by digest", () => {
      const images = [
        CONFIG_KEYS.nodeImage.default as string,
        ...["Pulumi.dev.yaml", "Pulumi.current.yaml"].map((f) => stackConfig(f).nodeImage),
      ];
      for (const image of images) assert.match(image, /^kindest\/node:v\d+\.\d+\.\d+@sha256:[a-f0-9]{64}$/);
    });
  });

  describe("issue 24: the install path against Docker, kind and the Pulumi engine", () => {
    /** Runs the lab with a fake `docker` first on PATH answering `docker context inspect`. */
    async function withDockerContext(fixture: string): Promise<RunResult> {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-docker-"));
      const file = path.join(REPO, "test", "fixtures", "preflight", fixture);
      fs.writeFileSync(
        path.join(dir, "docker"),
        `#!/bin/sh\n[ "$1 $2" = "context inspect" ] && exec /bin/cat '${file}'\nexit 1\n`,
        { mode: 0o755 },
      );
      const oldPath = process.env.PATH;
      process.env.PATH = `${dir}:${oldPath ?? ""}`;
      try {
        return await runLab({ stackFile: "Pulumi.dev.yaml" });
      } finally {
        process.env.PATH = oldPath;
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }

    it("item 1: gives the Docker provider the endpoint of the docker CLI's context, and the preflight the same", async () => {
      const r = await withDockerContext("docker-context-inspect-orbstack.json");
      const provider = one(r, "pulumi:providers:docker", "lab-docker");
      const socket = "unix:///Users/.../.orbstack/run/docker.sock";
      assert.strictEqual(provider.inputs.host, socket);
      const net = one(r, "docker:index/network:Network", "lab-network");
      assert.ok(String(net.provider).includes("pulumi:providers:docker::lab-docker"), String(net.provider));
      const pre = one(r, "command:local:Command", "preflight-run");
      assert.strictEqual((JSON.parse((pre.inputs.triggers as string[])[0]) as Obj).dockerHost, socket);
    });

    it("item 6: runs every long Command in a process group of its own that a cancel ends whole", async () => {
      const r = await runLab({ stackFile: "Pulumi.dev.yaml", config: { runPerformance: "true" } });
      const guarded = (x: unknown) => /^setsid \/bin\/sh -c "\$work" sh <&3 3<&- &$/m.test(String(x));
      const cluster = one(r, "command:local:Command", "lab-cluster");
      assert.ok(guarded(cluster.inputs.create), "kind create");
      assert.ok(guarded(cluster.inputs.delete), "kind delete");
      for (const name of ["preflight-run", "checks-run", "perf-run"]) {
        assert.ok(guarded(one(r, "command:local:Command", name).inputs.create), name);
      }
    });

    it("item 5: sets no deleteUnreachable in kind mode (a refresh with Docker stopped must not drop the release)", () => {
      const provider = one(base, "pulumi:providers:kubernetes", "lab");
      assert.strictEqual(provider.inputs.deleteUnreachable, undefined);
    });

    it("item 8: ignores the daemon's additions to the network options, and replaces on the stack's own through a label", async () => {
      const net = one(base, "docker:index/network:Network", "lab-network");
      assert.deepStrictEqual(net.options.ignoreChanges, ["options"]);
      const label = (x: MockedResource) =>
        (x.inputs.labels as { label: string; value: string }[]).find(
          (l) => l.label === "cilium-ebpf-lab.network-options",
        )?.value;
      assert.strictEqual(label(net), '{"com.docker.network.bridge.enable_ip_masquerade":"true"}');
      const r = await runLab({
        stackFile: "Pulumi.dev.yaml",
        bridgeOptions: { "com.docker.network.driver.mtu": "1450" },
      });
      const other = one(r, "docker:index/network:Network", "lab-network");
      assert.notStrictEqual(label(other), label(net));
    });

    it("item 8: a change of Cilium minor version recreates the cluster; a patch change upgrades in place", async () => {
      const triggers = (x: RunResult) =>
        one(x, "command:local:Command", "lab-cluster").inputs.triggers as string[];
      assert.ok(triggers(base).includes("cilium 1.13"), triggers(base).join(" | "));
      const minor = await runLab({ stackFile: "Pulumi.dev.yaml", config: { ciliumVersion: "1.14.5" } });
      assert.ok(triggers(minor).includes("cilium 1.14"));
      assert.notDeepStrictEqual(triggers(minor), triggers(base));
      const current = await runLab({ stackFile: "Pulumi.current.yaml" });
      const patch = await runLab({ stackFile: "Pulumi.current.yaml", config: { ciliumVersion: "1.18.11" } });
      assert.deepStrictEqual(triggers(patch), triggers(current));
    });
  });

  describe("preflight: the stack's first Command", () => {
    it("makes the cluster's network, the bridge lookup's consumers and the provider wait for the preflight", () => {
      const pre = one(base, "command:local:Command", "preflight-run");
      assert.match(String(pre.inputs.create), /node cli\/run\.js preflight --input-json /);
      const input = JSON.parse((pre.inputs.triggers as string[])[0]) as Obj;
      assert.strictEqual(input.nodeNetwork, "172.16.10.0/24");
      const waits = (res: MockedResource) =>
        res.options.dependencies.some((d) => d.endsWith("command:local:Command::preflight-run"));
      assert.ok(waits(one(base, "docker:index/network:Network", "lab-network")));
      assert.ok(waits(one(base, "pulumi:providers:kubernetes", "lab")));
    });
  });
});
