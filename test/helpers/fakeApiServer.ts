/**
 * A fake Kubernetes API server on 127.0.0.1 (a random port, plain HTTP) that the REAL kubectl talks
 * to through a kubeconfig pointing at it. It serves recorded documents (test/helpers/fakeApiObjects.ts)
 * to `kubectl get` (discovery, lists with label/field selectors and `limit`/`continue`, single
 * objects) and answers `kubectl exec` with recorded outputs (test/helpers/fakeApiExec.ts). It only
 * reads: every other verb is refused with a Status, as an API server refuses what it does not allow.
 *
 * How kubectl 1.32 runs exec (what this server speaks):
 * - kubectl GETs the pod first and refuses pods in phase Succeeded/Failed (kubernetes/kubectl
 *   `pkg/cmd/exec/exec.go` v0.32.4 lines 342-344), then builds `.../pods/NAME/exec?command=..&container=..`
 *   from PodExecOptions (lines 374-387);
 * - it tries a WebSocket first, method GET, and falls back to SPDY (POST) only when the upgrade fails
 *   (`createExecutor`, lines 138-158; fallback in client-go `tools/remotecommand/fallback.go` v0.32.4
 *   lines 53-60); the WebSocket executor offers only `v5.channel.k8s.io` (client-go
 *   `tools/remotecommand/websocket.go` v0.32.4 lines 84-89) and an `http://` server is dialled as
 *   `ws://` (`transport/websocket/roundtripper.go` lines 120-126), and a subprotocol it did not offer
 *   is an upgrade failure (lines 162-172);
 * - every data message is binary, its first byte the stream id (websocket.go lines 282-293): 1 stdout,
 *   2 stderr, 3 error (apimachinery `pkg/util/remotecommand/constants.go` v0.32.4 lines 59-64);
 *   the error stream is read to EOF (a normal close, websocket.go line 273) and decoded as a
 *   metav1.Status: `Success`, or `Failure` with reason `NonZeroExitCode` and a cause of type
 *   `ExitCode` whose message is the code (client-go `tools/remotecommand/v4.go` lines 82-118; v5 is
 *   v4 for the streams, `v5.go` lines 19-35); a cause's type is serialized as `reason`
 *   (apimachinery `pkg/apis/meta/v1/types.go` line 1024). kubectl exits with that code.
 * SPDY is not spoken: a POST to exec gets a Status saying so (kubectl only falls back after a failed
 * WebSocket upgrade, which this server does not cause).
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { WebSocketServer, type WebSocket } from "ws";

import { nameOf, namespaceOf, type FakeObjects } from "./fakeApiObjects";
import type { ExecAnswerer, ExecRequest } from "./fakeApiExec";
import { route, status, STATUS_REASONS } from "./fakeApiRoutes";

type Json = Record<string, unknown>;

/** One request the server saw. */
export interface FakeApiRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string[]>;
  readonly accept?: string;
  readonly websocketProtocols?: string;
  readonly status: number;
  /** Bytes of the response body (exec: of the messages sent). */
  readonly bytes: number;
}

export interface FakeApiServerOptions {
  readonly objects: FakeObjects;
  /** Answers execs; without it every exec fails with a message saying the fake has no answers. */
  readonly exec?: ExecAnswerer;
}

export interface FakeApiServer {
  readonly url: string;
  /** A kubeconfig (mode 0600, in a private temp dir) whose only context points at this server. */
  readonly kubeconfig: string;
  /** Environment for kubectl: KUBECACHEDIR in the temp dir (discovery cache off the user's home). */
  readonly env: Record<string, string>;
  requests(): FakeApiRequest[];
  /** Execs running now, and the most that ran at once. */
  execsNow(): number;
  maxExecsAtOnce(): number;
  close(): Promise<void>;
}

const SPDY_REFUSAL =
  "fake API server: exec over SPDY is not served, only the WebSocket protocol v5.channel.k8s.io";

/** Starts the server on 127.0.0.1 (never another address) and writes its kubeconfig. */
export async function startFakeApiServer(opts: FakeApiServerOptions): Promise<FakeApiServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-apiserver-"));
  const log: FakeApiRequest[] = [];
  let running = 0;
  let maxRunning = 0;
  const sockets = new Set<WebSocket>();
  let hostPort = "";

  const note = (req: http.IncomingMessage, url: URL, code: number, bytes: number): void => {
    const query: Record<string, string[]> = {};
    for (const [k, v] of url.searchParams) (query[k] ??= []).push(v);
    log.push({
      method: req.method ?? "",
      path: url.pathname,
      query,
      accept: req.headers.accept,
      websocketProtocols: req.headers["sec-websocket-protocol"],
      status: code,
      bytes,
    });
  };
  const send = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    code: number,
    body: Json,
  ): void => {
    const text = JSON.stringify(body);
    res.writeHead(code, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
    res.end(text);
    note(req, url, code, Buffer.byteLength(text));
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (req.method !== "GET") {
      const spdy = req.method === "POST" && url.pathname.endsWith("/exec");
      const message = spdy ? SPDY_REFUSAL : `fake API server: ${req.method} is not allowed (read-only)`;
      send(req, res, url, spdy ? 400 : 405, status(spdy ? 400 : 405, message));
      return;
    }
    const [code, body] = route(url, opts.objects, hostPort);
    send(req, res, url, code, body);
  });

  const wss = new WebSocketServer({
    noServer: true,
    // Choose the v5 protocol when offered (the only one kubectl 1.32 offers: websocket.go lines 84-89).
    handleProtocols: (offered) => (offered.has("v5.channel.k8s.io") ? "v5.channel.k8s.io" : false),
  });
  server.on("upgrade", (req, socket, head) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/.exec(url.pathname);
    const pod =
      m === null ? undefined : opts.objects.pods.find((p) => namespaceOf(p) === m[1] && nameOf(p) === m[2]);
    const refuse = (code: number, message: string): void => {
      const text = JSON.stringify(status(code, message));
      socket.end(
        `HTTP/1.1 ${code} ${STATUS_REASONS[code]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
      );
      note(req, url, code, Buffer.byteLength(text));
    };
    if (m === null || pod === undefined) return refuse(404, `pods "${m?.[2] ?? ""}" not found`);
    const containers = ((pod.spec as Json | undefined)?.containers as Json[] | undefined) ?? [];
    const container = url.searchParams.get("container") ?? String(containers[0]?.name ?? "");
    // The API server validates the container: `errors.NewBadRequest(fmt.Sprintf("container %s is not
    // valid for pod %s", ...))` when the pod has no such container (kubernetes/kubernetes pod registry
    // streamLocation, found by text search; the path pkg/registry/core/pod/strategy.go is unverified).
    if (!containers.some((c) => c.name === container)) {
      return refuse(400, `container ${container} is not valid for pod ${m[2]}`);
    }
    // Node hands every request with an `Upgrade` header here, SPDY's POST (`Upgrade: SPDY/3.1`) too:
    // validated like a WebSocket request (kubectl falls back to SPDY after a refused upgrade, and
    // prints what the SPDY request got), then refused.
    if (req.method !== "GET" || (req.headers.upgrade ?? "").toLowerCase() !== "websocket") {
      return refuse(400, SPDY_REFUSAL);
    }
    const request: ExecRequest = {
      namespace: m[1],
      pod: m[2],
      container,
      command: url.searchParams.getAll("command"),
    };
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      running++;
      maxRunning = Math.max(maxRunning, running);
      let bytes = 0;
      const frame = (id: number, data: string): void => {
        if (ws.readyState !== ws.OPEN) return;
        const buf = Buffer.concat([Buffer.from([id]), Buffer.from(data)]);
        bytes += buf.length;
        ws.send(buf, { binary: true });
      };
      // The exec is logged (and stops counting as running) once, when the server has sent the exit
      // status, before its close frame: kubectl returns as soon as that close frame reaches it and
      // never waits for the TCP close. client-go v0.32.4 `tools/remotecommand/websocket.go` lines
      // 270-279: a CloseNormalClosure ends `readDemuxLoop` and closes every stream reader with EOF;
      // `v4.go` lines 61-75 then return what the error stream decoded (lines 82-118), and kubectl
      // exits. Logged at the 'close' event instead (the TCP close), the log raced kubectl's exit and
      // a test reading it after kubectl exited missed the last exec now and then (issue 21). A client
      // that goes away before the exit (kubectl killed at its timeout) is logged at its close.
      let finished = false;
      const done = (): void => {
        if (finished) return;
        finished = true;
        running--;
        note(req, url, 101, bytes);
      };
      ws.on("close", () => {
        sockets.delete(ws);
        done();
      });
      void (opts.exec ?? noAnswers)(request, {
        stdout: (t) => frame(1, t),
        stderr: (t) => frame(2, t),
        exit: (exitCode, message) => {
          frame(3, JSON.stringify(exitStatus(exitCode, message, request.command)));
          done();
          ws.close(1000);
        },
        closed: () => ws.readyState !== ws.OPEN,
      });
    });
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  hostPort = `127.0.0.1:${port}`;
  const url = `http://${hostPort}`;
  const kubeconfig = path.join(dir, "kubeconfig");
  fs.writeFileSync(
    kubeconfig,
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "- name: fake",
      "  cluster:",
      `    server: ${url}`,
      "contexts:",
      "- name: fake",
      "  context:",
      "    cluster: fake",
      "    user: fake",
      "current-context: fake",
      "users:",
      "- name: fake",
      "  user: {}",
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  return {
    url,
    kubeconfig,
    env: { KUBECACHEDIR: path.join(dir, "cache") },
    requests: () => [...log],
    execsNow: () => running,
    maxExecsAtOnce: () => maxRunning,
    close: async () => {
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The error stream's Status for an exit code (client-go tools/remotecommand/v4.go lines 82-118). */
function exitStatus(exitCode: number | null, message: string | undefined, command: readonly string[]): Json {
  if (exitCode === 0) return { metadata: {}, status: "Success" };
  if (exitCode === null)
    return {
      metadata: {},
      status: "Failure",
      message: message ?? "fake API server: the command did not end",
    };
  return {
    metadata: {},
    status: "Failure",
    message: `command terminated with non-zero exit code: error executing command ${JSON.stringify(command)}, exit code ${exitCode}`,
    reason: "NonZeroExitCode",
    details: { causes: [{ reason: "ExitCode", message: String(exitCode) }] },
  };
}

const noAnswers: ExecAnswerer = (req, io) => {
  io.stderr(`fake API server: no exec answers were given (${req.pod}: ${req.command.join(" ")})\n`);
  io.exit(1);
};

/** The real kubectl this machine has (tests skip, saying so, where it is absent). */
export const REAL_KUBECTL = "/usr/bin/kubectl";

export interface KubectlRun {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the real kubectl against the server, asynchronously (the server answers from this process's
 * event loop: a synchronous spawn would deadlock). Only the server's own kubeconfig is passed, so
 * kubectl reaches 127.0.0.1 and nothing else.
 */
export function runRealKubectl(
  server: FakeApiServer,
  args: readonly string[],
  timeoutMs = 20_000,
  extraEnv: Record<string, string> = {},
): Promise<KubectlRun> {
  return new Promise((resolve) => {
    const child = execFile(
      REAL_KUBECTL,
      ["--kubeconfig", server.kubeconfig, ...args],
      {
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          HOME: path.dirname(server.kubeconfig),
          ...server.env,
          ...extraEnv,
        },
        timeout: timeoutMs,
        maxBuffer: 256 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code =
          err === null
            ? 0
            : typeof (err as { code?: unknown }).code === "number"
              ? (err as { code: number }).code
              : null;
        resolve({ exitCode: code, stdout, stderr });
      },
    );
    child.stdin?.end();
  });
}
