import * as assert from "node:assert";
import * as fs from "node:fs";

import { ALL_CHECKS } from "../../checks/defs";
import { planChecks } from "../../runner/plan";
import { readRecording, type RecordedStep } from "../../runner/recording";
import { recordingAnswerer } from "./fakeApiExec";
import { objectsFromDocs } from "./fakeApiObjects";
import { REAL_KUBECTL, runRealKubectl, startFakeApiServer, type FakeApiServer } from "./fakeApiServer";
import { seedDocs } from "./fakes";
import * as path from "node:path";

const RECORDING = path.join(__dirname, "..", "fixtures", "recordings", "seed-lab");

describe("the fake Kubernetes API server, with the real kubectl", function () {
  let server: FakeApiServer;
  const recording = readRecording(RECORDING);
  const plan = planChecks(ALL_CHECKS, recording.context);
  const ping = plan.steps.find((s) => s.check === "ping-cross-node" && s.step === "ping")!;
  const pingRecorded = recording.steps.find((s) => s.check === "ping-cross-node")!;
  // A second run of the same step, answered with another exit code: the transport must carry it.
  const failing: RecordedStep = { ...pingRecorded, stdout: "", stderr: pingRecorded.stdout, exitCode: 3 };

  before(async function () {
    if (!fs.existsSync(REAL_KUBECTL)) {
      console.warn(`    skipped: ${REAL_KUBECTL} is absent (these tests drive the real kubectl)`);
      this.skip();
    }
    server = await startFakeApiServer({
      objects: objectsFromDocs(Object.values(seedDocs())),
      exec: recordingAnswerer(plan.steps, [...recording.steps, failing]),
    });
  });
  after(async () => server?.close());

  it("listens on 127.0.0.1 only, and its kubeconfig points there", () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(fs.readFileSync(server.kubeconfig, "utf8"), new RegExp(`server: ${server.url}\\n`));
    assert.equal((fs.statSync(server.kubeconfig).mode & 0o777).toString(8), "600");
  });

  it("serves kubectl get: lists, label selectors as kubectl sends them, single objects, NotFound", async () => {
    const names = (out: string): string[] =>
      (JSON.parse(out) as { items: { metadata: { name: string } }[] }).items.map((i) => i.metadata.name);
    const seed = seedDocs();
    const [nodes, evescn, cilium, net, svc, missing] = await Promise.all([
      runRealKubectl(server, ["get", "nodes", "-o", "json"]),
      runRealKubectl(server, ["get", "pods", "-n", "default", "-l", "app=evescn", "-o", "json"]),
      runRealKubectl(server, ["get", "pods", "-n", "kube-system", "-l", "k8s-app=cilium", "-o", "json"]),
      runRealKubectl(server, ["get", "pod", "net", "-n", "default", "-o", "json"]),
      runRealKubectl(server, ["get", "service", "serversvc", "-n", "default", "-o", "json"]),
      runRealKubectl(server, ["get", "pod", "nope", "-n", "default", "-o", "json"]),
    ]);
    assert.deepEqual(names(nodes.stdout), names(JSON.stringify(seed.nodes)));
    assert.deepEqual(names(evescn.stdout), names(JSON.stringify(seed.testPods)));
    assert.deepEqual(names(cilium.stdout), names(JSON.stringify(seed.ciliumPods)));
    assert.equal(JSON.parse(net.stdout).metadata.name, "net");
    assert.equal(JSON.parse(svc.stdout).spec.clusterIP, seed.service.spec.clusterIP);
    assert.equal(missing.exitCode, 1);
    assert.match(missing.stderr, /NotFound.*pods "nope" not found/);
    const selectors = server.requests().flatMap((r) => r.query.labelSelector ?? []);
    assert.ok(selectors.includes("app=evescn") && selectors.includes("k8s-app=cilium"), selectors.join(","));
  });

  it("pages a list the way kubectl asks (limit, continue)", async () => {
    const r = await runRealKubectl(server, ["get", "nodes", "--chunk-size=2", "-o", "json"]);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).items.length, 3);
    const pages = server.requests().filter((q) => q.path === "/api/v1/nodes" && q.query.limit?.[0] === "2");
    assert.deepEqual(
      pages.map((q) => q.query.continue?.[0] ?? ""),
      ["", "2"],
    );
  });

  it("answers kubectl exec over WebSocket v5.channel.k8s.io with the recorded output and exit code", async () => {
    const argv = ["exec", "-n", ping.namespace, ping.pod, "--", ...ping.argv];
    const first = await runRealKubectl(server, argv);
    assert.equal(first.exitCode, 0, first.stderr);
    assert.equal(first.stdout, pingRecorded.stdout);
    const second = await runRealKubectl(server, argv);
    assert.equal(second.exitCode, 3);
    assert.ok(second.stderr.startsWith(pingRecorded.stdout), second.stderr);
    assert.match(second.stderr, /command terminated with exit code 3/);
    const unrecorded = await runRealKubectl(server, ["exec", "-n", "default", "net", "--", "true"]);
    assert.equal(unrecorded.exitCode, 1);
    assert.match(unrecorded.stderr, /no recorded output for default\/net \(net\): true/);
    const execs = server.requests().filter((q) => q.path.endsWith("/exec"));
    assert.equal(execs.length, 3);
    for (const e of execs) {
      assert.equal(e.method, "GET");
      assert.equal(e.status, 101);
      assert.match(e.websocketProtocols ?? "", /v5\.channel\.k8s\.io/);
    }
    assert.deepEqual(execs[0].query.command, [...ping.argv]);
    assert.equal(server.maxExecsAtOnce(), 1);
  });

  it("says it does not speak SPDY when kubectl is told not to use WebSockets", async () => {
    // kubectl's switch: KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false (kubernetes/kubectl pkg/cmd/util/helpers.go
    // v0.32.4 line 431; exec.go lines 143-156 then use SPDY alone, POST).
    const r = await runRealKubectl(server, ["exec", "-n", "default", "net", "--", "true"], 20_000, {
      KUBECTL_REMOTE_COMMAND_WEBSOCKETS: "false",
    });
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /exec over SPDY is not served/);
    assert.ok(
      server.requests().some((q) => q.method === "POST" && q.path.endsWith("/exec") && q.status === 400),
    );
  });

  it("refuses an unknown container as the API server does", async () => {
    const r = await runRealKubectl(server, ["exec", "-n", "default", "net", "-c", "nope", "--", "true"]);
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /container nope is not valid for pod net/);
  });
});
