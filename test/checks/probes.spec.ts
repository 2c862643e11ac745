import { strict as assert } from "assert";
import { spawn, spawnSync } from "child_process";
import * as http from "http";
import * as fs from "fs";
import * as path from "path";
import type { AddressInfo } from "net";

import {
  CURL_WRITE_OUT,
  conntrackCommand,
  curlCommand,
  curlWorstCaseSeconds,
  parallelSectionScript,
  parseCurlOutput,
  pingCommand,
  scriptLine,
  sectionScript,
  shCommand,
  splitSections,
  tcpdumpCommand,
  withTimeout,
} from "../../checks/probes";

function sh(script: string): { stdout: string; status: number | null } {
  const r = spawnSync("sh", ["-c", script], { encoding: "utf8" });
  return { stdout: r.stdout, status: r.status };
}

function run(argv: readonly string[]): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1));
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ stdout, stderr, code }));
  });
}

const hasCurl = spawnSync("curl", ["--version"]).status === 0;

describe("probe builders (checks/probes)", () => {
  describe("pingCommand", () => {
    it("is numeric, counted and bounded by a deadline", () => {
      assert.deepEqual(pingCommand("10.0.2.202"), ["ping", "-n", "-c", "3", "-w", "10", "10.0.2.202"]);
      assert.deepEqual(pingCommand("10.0.0.72", { count: 1, timeoutSeconds: 4 }), [
        "ping",
        "-n",
        "-c",
        "1",
        "-w",
        "4",
        "10.0.0.72",
      ]);
    });

    it("rejects a count or deadline that is not a positive integer", () => {
      assert.throws(() => pingCommand("10.0.0.1", { count: 0 }), RangeError);
      assert.throws(() => pingCommand("10.0.0.1", { timeoutSeconds: 1.5 }), RangeError);
    });
  });

  describe("curlCommand", () => {
    it("bounds each attempt and writes out remote address and status", () => {
      assert.deepEqual(curlCommand("http://10.96.93.201:8080/"), [
        "curl",
        "-sS",
        "--max-time",
        "5",
        "-w",
        CURL_WRITE_OUT,
        "http://10.96.93.201:8080/",
      ]);
      assert.equal(CURL_WRITE_OUT, "\\n%{remote_ip}:%{remote_port} %{http_code}\\n");
    });

    it("retries a bounded number of times, one second apart, within the worst case", () => {
      const argv = curlCommand("http://172.18.0.2:32000/", { maxTimeSeconds: 3, retries: 4 });
      assert.deepEqual(argv.slice(0, 13), [
        "curl",
        "-sS",
        "--max-time",
        "3",
        "--retry",
        "4",
        "--retry-delay",
        "1",
        "--retry-all-errors",
        "--retry-max-time",
        "19",
        "-w",
        CURL_WRITE_OUT,
      ]);
      assert.equal(curlWorstCaseSeconds({ maxTimeSeconds: 3, retries: 4 }), 19);
      assert.equal(curlWorstCaseSeconds(), 5);
    });
  });

  describe("parseCurlOutput", () => {
    it("separates the body from the write-out line", () => {
      const out = parseCurlOutput(
        "PodName: evescn-jzms5 | PodIP: eth0 10.0.2.202/32\n\n172.18.0.2:32000 200\n",
      );
      assert.equal(out.body, "PodName: evescn-jzms5 | PodIP: eth0 10.0.2.202/32");
      assert.equal(out.remote, "172.18.0.2:32000");
      assert.equal(out.httpCode, 200);
      assert.deepEqual(out.errors, []);
    });

    it("reads a failed connection as code 0 with curl's error", () => {
      const out = parseCurlOutput(
        "Warning: Problem : connection refused. Will retry in 1 seconds. 1 retries left.\ncurl: (7) Failed to connect to 172.18.0.3 port 32000 after 0 ms: Couldn't connect to server\n\n:0 000\n",
      );
      assert.equal(out.httpCode, 0);
      assert.equal(out.remote, undefined);
      assert.equal(out.body, "");
      assert.deepEqual(out.errors, [
        "curl: (7) Failed to connect to 172.18.0.3 port 32000 after 0 ms: Couldn't connect to server",
      ]);
    });

    it("reads curl's local end from the local write-out (captured curl 7.88.1), and none when it never connected", () => {
      const dir = path.join(__dirname, "..", "fixtures", "probes", "curl-local");
      const ok = parseCurlOutput(fs.readFileSync(path.join(dir, "answered.txt"), "utf8"));
      assert.equal(ok.httpCode, 200);
      assert.equal(ok.remote, "127.0.0.1:38080");
      assert.equal(ok.local, "127.0.0.1:38680");
      assert.equal(ok.body, "PodName: evescn-zx9kk | PodIP: eth0 10.0.1.63/32");
      const refused = parseCurlOutput(fs.readFileSync(path.join(dir, "refused.txt"), "utf8"));
      assert.equal(refused.httpCode, 0);
      assert.equal(refused.local, undefined);
      assert.match(refused.errors[0], /^curl: \(7\) Failed to connect to 127\.0\.0\.1 port 38081/);
      assert.deepEqual(curlCommand("http://x/", { local: true }).slice(-2), [
        "\\n%{remote_ip}:%{remote_port} %{http_code} %{local_ip}:%{local_port}\\n",
        "http://x/",
      ]);
    });

    it("leaves the code undefined when there is no write-out line", () => {
      assert.equal(parseCurlOutput("sh: curl: not found").httpCode, undefined);
    });

    it("matches what a real curl prints for an answer and for a refused connection", async function () {
      if (!hasCurl) this.skip();
      const server = http.createServer((_req, res) =>
        res.end("PodName: evescn-zx9kk | PodIP: eth0 10.0.1.63/32\n"),
      );
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const port = (server.address() as AddressInfo).port;
      try {
        const okRun = await run(curlCommand(`http://127.0.0.1:${port}/`, { maxTimeSeconds: 5 }));
        const ok = parseCurlOutput(okRun.stdout);
        assert.equal(okRun.code, 0);
        assert.equal(ok.httpCode, 200);
        assert.equal(ok.remote, `127.0.0.1:${port}`);
        assert.equal(ok.body, "PodName: evescn-zx9kk | PodIP: eth0 10.0.1.63/32");
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      const refusedRun = await run(
        curlCommand(`http://127.0.0.1:${port}/`, { maxTimeSeconds: 2, retries: 1 }),
      );
      const refused = parseCurlOutput(refusedRun.stdout + refusedRun.stderr);
      assert.equal(refusedRun.code, 7);
      assert.equal(refused.httpCode, 0);
      assert.match(refused.errors[0] ?? "", /^curl: \(7\)/);
    });
  });

  it("wraps tcpdump in timeout: line-buffered, no promiscuous mode, numeric, with MACs", () => {
    assert.deepEqual(tcpdumpCommand("eth0", "icmp and host 10.0.0.72", { count: 6 }), [
      "timeout",
      "8",
      "tcpdump",
      "-l",
      "-p",
      "-n",
      "-e",
      "-i",
      "eth0",
      "-c",
      "6",
      "icmp and host 10.0.0.72",
    ]);
    assert.deepEqual(tcpdumpCommand("lxc1", "icmp", { timeoutSeconds: 3 }).slice(0, 2), ["timeout", "3"]);
  });

  it("bounds conntrack and any other command with timeout", () => {
    assert.deepEqual(conntrackCommand(32000), [
      "timeout",
      "10",
      "conntrack",
      "-L",
      "-p",
      "tcp",
      "--dport",
      "32000",
    ]);
    assert.deepEqual(withTimeout(5, ["ip", "route"]), ["timeout", "5", "ip", "route"]);
    assert.throws(() => withTimeout(0, ["ip"]), RangeError);
  });

  describe("scripts", () => {
    it("leave plain words bare and quote the rest so sh reads them back literally", () => {
      assert.equal(scriptLine(["curl", "http://10.96.93.201:8080/"]), "curl http://10.96.93.201:8080/");
      for (const word of [
        "icmp and host 10.0.0.1",
        "it's",
        "$(reboot)",
        "`id`",
        "a;b",
        "\\n%{http_code}\\n",
        "x\ny",
      ]) {
        assert.equal(sh(`printf '%s' ${scriptLine([word])}`).stdout, word);
      }
    });

    it("mark each section and its exit code, stderr merged or discarded as asked", () => {
      const script = sectionScript([
        { name: "ok", command: "echo hello" },
        { name: "failing", command: "echo oops >&2; false" },
        { name: "quiet", command: "echo secret >&2; echo '{}'", stderr: "discard" },
      ]);
      const r = sh(script);
      assert.equal(r.status, 0);
      const sections = splitSections(r.stdout);
      assert.deepEqual(sections.get("ok"), { name: "ok", output: "hello", exitCode: 0 });
      assert.deepEqual(sections.get("failing"), { name: "failing", output: "oops", exitCode: 1 });
      assert.deepEqual(sections.get("quiet"), { name: "quiet", output: "{}", exitCode: 0 });
    });

    it("run parallel sections at the same time and print them in order", () => {
      const script = parallelSectionScript([
        { name: "slow", command: "sleep 1; echo one" },
        { name: "fast", command: "echo two; exit 7" },
        { name: "slow too", command: "sleep 1; echo three" },
      ]);
      const started = Date.now();
      const r = sh(script);
      const took = Date.now() - started;
      assert.ok(took < 1900, `took ${took} ms: the sections ran one after another`);
      assert.deepEqual(
        [...splitSections(r.stdout).values()],
        [
          { name: "slow", output: "one", exitCode: 0 },
          { name: "fast", output: "two", exitCode: 7 },
          { name: "slow too", output: "three", exitCode: 0 },
        ],
      );
    });

    it("refuse a section name that would break the markers", () => {
      assert.throws(() => sectionScript([{ name: "a\nb", command: "true" }]), RangeError);
      assert.throws(() => sectionScript([{ name: "exit 0", command: "true" }]), RangeError);
    });

    it("run as sh -c", () => {
      assert.deepEqual(shCommand("true"), ["sh", "-c", "true"]);
    });
  });
});
