import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { parse as parseYaml } from "yaml";
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

  it("resolves tokenFile and an exec command ./bin/... against the kubeconfig's directory, as kubectl does", () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "lab-kc-rel-"));
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), "lab-kc-copy-"));
    try {
      fs.writeFileSync(path.join(home, "token"), "not-a-real-token\n");
      // Loopback port 9 (discard): nothing listens here, so kubectl stops at connecting, after it
      // has read the token file.
      const config = [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- cluster: {server: 'https://127.0.0.1:9', insecure-skip-tls-verify: true}",
        "  name: c",
        "contexts:",
        "- context: {cluster: c, user: u}",
        "  name: ctx",
        "- context: {cluster: c, user: e}",
        "  name: ectx",
        "current-context: ctx",
        "users:",
        "- name: u",
        "  user: {tokenFile: token}",
        "- name: e",
        "  user:",
        "    exec: {apiVersion: client.authentication.k8s.io/v1, command: ./bin/get-token, interactiveMode: Never}",
        "",
      ].join("\n");
      const file = path.join(home, "config");
      fs.writeFileSync(file, config, { mode: 0o600 });
      const token = minifyKubeconfig({ path: file });
      const exec = minifyKubeconfig({ path: file, context: "ectx" });
      type Users = { users: { user: { tokenFile?: string; exec?: { command: string } } }[] };
      assert.strictEqual((parseYaml(token) as Users).users[0].user.tokenFile, path.join(home, "token"));
      assert.strictEqual(
        (parseYaml(exec) as Users).users[0].user.exec?.command,
        path.join(home, "bin", "get-token"),
      );
      // A bare command is looked up on PATH: left as it is.
      const bare = minifyKubeconfig({ path: file, context: "ectx" }).replace(
        path.join(home, "bin", "get-token"),
        "x",
      );
      assert.match(bare, /command: x/);
      // The real kubectl with the copy in another directory (what the lab's runs use) finds the token.
      const copy = path.join(elsewhere, "kubeconfig");
      fs.writeFileSync(copy, token, { mode: 0o600 });
      const r = spawnSync(
        "kubectl",
        ["--kubeconfig", copy, "get", "--raw", "/version", "--request-timeout=5s"],
        {
          encoding: "utf8",
          cwd: elsewhere,
          timeout: 20_000,
        },
      );
      assert.doesNotMatch(r.stderr, /no such file/, r.stderr);
      assert.match(r.stderr, /refused|connect/, r.stderr);
      // As a value there is no directory to resolve against: refused, naming the reference.
      assert.throws(
        () => minifyKubeconfig({ text: config }),
        (e: unknown) =>
          e instanceof KubeconfigError && /relative path \(user\.tokenFile: token\)/.test(e.message),
      );
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
