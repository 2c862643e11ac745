import * as assert from "node:assert";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";

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

  it("logs an exec before its close frame leaves, so a finished kubectl always finds it logged", async () => {
    // kubectl returns once the server's close frame arrives (client-go v0.32.4 websocket.go lines
    // 270-279) and never waits for the TCP close. A raw client that reads up to the close frame and
    // then neither answers it nor closes the socket sees what a test sees right after kubectl exits:
    // the exec must already be in the log (issue 21: it was logged at the TCP close, racing).
    const before = server.requests().filter((q) => q.path.endsWith("/exec")).length;
    const command = ping.argv.map((a) => `command=${encodeURIComponent(a)}`).join("&");
    const frames = await rawExecUntilClose(
      server.url,
      `/api/v1/namespaces/${ping.namespace}/pods/${ping.pod}/exec?${command}`,
    );
    try {
      assert.deepEqual(
        frames.opcodes.filter((o) => o !== 2),
        [8],
        "binary data frames, then the close frame",
      );
      const execs = server.requests().filter((q) => q.path.endsWith("/exec"));
      assert.equal(execs.length, before + 1);
      assert.equal(execs[execs.length - 1].status, 101);
      assert.equal(server.execsNow(), 0);
    } finally {
      frames.socket.destroy();
    }
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

/**
 * A WebSocket client by hand (RFC 6455 sections 4.1 and 5.2): upgrades to v5.channel.k8s.io, reads
 * server frames (unmasked) until the close frame (opcode 8), and resolves there, with the socket
 * still open and the close not answered.
 */
function rawExecUntilClose(url: string, target: string): Promise<{ opcodes: number[]; socket: net.Socket }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    const opcodes: number[] = [];
    let buf = Buffer.alloc(0);
    let upgraded = false;
    socket.on("error", reject);
    socket.setTimeout(10_000, () => reject(new Error(`no close frame: opcodes ${opcodes.join(",")}`)));
    socket.on("connect", () =>
      socket.write(
        [
          `GET ${target} HTTP/1.1`,
          `Host: ${hostname}:${port}`,
          "Upgrade: websocket",
          "Connection: Upgrade",
          `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString("base64")}`,
          "Sec-WebSocket-Version: 13",
          "Sec-WebSocket-Protocol: v5.channel.k8s.io",
          "",
          "",
        ].join("\r\n"),
      ),
    );
    socket.on("data", (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (!upgraded) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = buf.subarray(0, end).toString();
        if (!head.startsWith("HTTP/1.1 101")) return reject(new Error(head));
        upgraded = true;
        buf = buf.subarray(end + 4);
      }
      for (;;) {
        if (buf.length < 2) return;
        let len = buf[1] & 0x7f;
        let at = 2;
        if (len === 126) {
          if (buf.length < 4) return;
          len = buf.readUInt16BE(2);
          at = 4;
        } else if (len === 127) {
          if (buf.length < 10) return;
          len = Number(buf.readBigUInt64BE(2));
          at = 10;
        }
        if (buf.length < at + len) return;
        const opcode = buf[0] & 0x0f;
        opcodes.push(opcode);
        buf = buf.subarray(at + len);
        if (opcode === 8) {
          socket.setTimeout(0);
          return resolve({ opcodes, socket });
        }
      }
    });
  });
}
