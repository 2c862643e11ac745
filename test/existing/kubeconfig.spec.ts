import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { KubeconfigError, apiServerOf, isLoopbackHost, minifyKubeconfig } from "../../existing/kubeconfig";
import { FAKE_KUBECONFIG } from "../helpers/pulumiMocks";

describe("kubeconfig reduced to one context (existing/kubeconfig, real kubectl config view)", () => {
  let dir: string;
  let file: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-kc-spec-"));
    file = path.join(dir, "config");
    fs.writeFileSync(file, FAKE_KUBECONFIG, { mode: 0o600 });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("keeps only the chosen context's cluster and user", () => {
    const mini = minifyKubeconfig({ path: file, context: "other-team" });
    assert.match(mini, /OTHER-TEAM-TOKEN/);
    assert.doesNotMatch(mini, /client-key-data/);
    assert.match(mini, /current-context: other-team/);
    const lab = minifyKubeconfig({ text: FAKE_KUBECONFIG, context: "prod-admin" });
    assert.match(lab, /client-key-data/);
    assert.doesNotMatch(lab, /OTHER-TEAM-TOKEN|other\.example\.test/);
  });

  it("leaves no temporary copy of a kubeconfig given as a value", () => {
    // A temporary directory of this test's own (os.tmpdir() reads TMPDIR at each call): other spec
    // files running at the same time create lab-kubeconfig-* folders in the shared /tmp.
    const own = fs.mkdtempSync(path.join(os.tmpdir(), "kubeconfig-spec-"));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = own;
    try {
      minifyKubeconfig({ text: FAKE_KUBECONFIG });
      assert.throws(() => minifyKubeconfig({ text: FAKE_KUBECONFIG, context: "nope" }));
      assert.equal(os.tmpdir(), own);
      assert.deepStrictEqual(fs.readdirSync(own), []);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      fs.rmSync(own, { recursive: true, force: true });
    }
  });

  it("names the keys and never echoes the kubeconfig when kubectl refuses", () => {
    assert.throws(
      () => minifyKubeconfig({ text: FAKE_KUBECONFIG, context: "nope" }),
      (e: Error) =>
        e instanceof KubeconfigError &&
        /kubeconfig \(secret\) to context "nope".*cannot locate context nope.*cilium-ebpf-lab:context/.test(
          e.message,
        ) &&
        !e.message.includes("client-key-data"),
    );
  });

  it("reads host and port of the context's server as cilium-cli does, 443 when the URL has none", () => {
    const at = (server: string) =>
      apiServerOf(
        minifyKubeconfig({
          text: FAKE_KUBECONFIG.replace("https://127.0.0.1:40001", server),
          context: "prod-admin",
        }),
      );
    assert.deepStrictEqual(at("https://172.18.0.4:6443"), {
      server: "https://172.18.0.4:6443",
      host: "172.18.0.4",
      port: 6443,
    });
    const eks = at("https://0123456789ABCDEF.gr7.us-east-1.eks.amazonaws.com");
    assert.deepStrictEqual([eks.host, eks.port], ["0123456789abcdef.gr7.us-east-1.eks.amazonaws.com", 443]);
    assert.deepStrictEqual(
      [at("https://[fd00::1]:6443").host, at("https://[fd00::1]:6443").port],
      ["fd00::1", 6443],
    );
    assert.strictEqual(isLoopbackHost(at("https://127.0.0.1:40001").host), true);
    assert.strictEqual(isLoopbackHost("172.18.0.4"), false);
  });
});
