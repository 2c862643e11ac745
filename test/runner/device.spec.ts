import * as assert from "assert";
import { deviceOfRouteGet, detectNodeDevice } from "../../runner/device";
import type { ExecResult, Executor, LabContext } from "../../checks/types";
import { SEED_CONTEXT } from "../checks/defs/seedContext";

function executor(answer: Partial<ExecResult>, seen: string[][] = []): Executor {
  return {
    exec: async (target, argv) => {
      seen.push([target.pod, ...argv]);
      return {
        stdout: "",
        stderr: "",
        exitCode: 0,
        timedOut: false,
        command: argv.join(" "),
        durationMs: 1,
        ...answer,
      };
    },
  };
}

describe("node device detection", () => {
  it("reads the device from ip route get, with or without a gateway", () => {
    assert.strictEqual(deviceOfRouteGet("172.18.0.3 dev eth0 src 172.18.0.2 uid 0 \\    cache"), "eth0");
    assert.strictEqual(deviceOfRouteGet("10.20.1.7 via 10.20.0.1 dev ens5 src 10.20.0.9 uid 0"), "ens5");
    assert.strictEqual(
      deviceOfRouteGet("default via 192.168.1.1 dev enp1s0 proto dhcp metric 100"),
      "enp1s0",
    );
    assert.strictEqual(deviceOfRouteGet("RTNETLINK answers: Network is unreachable"), undefined);
  });

  it("asks the first node's probe pod for the route to the second node", async () => {
    const seen: string[][] = [];
    const found = await detectNodeDevice(
      SEED_CONTEXT,
      executor({ stdout: "172.18.0.3 dev ens5 src 172.18.0.4 uid 0" }, seen),
    );
    assert.strictEqual(found.device, "ens5");
    const probe = SEED_CONTEXT.probePods.find((p) => p.node === SEED_CONTEXT.nodes[0].name);
    assert.deepStrictEqual(seen, [
      [probe?.name, "ip", "-o", "route", "get", SEED_CONTEXT.nodes[1].internalIp],
    ]);
  });

  it("reports why when the command fails, keeping its output", async () => {
    const found = await detectNodeDevice(
      SEED_CONTEXT,
      executor({ exitCode: 1, stderr: "error: container not found" }),
    );
    assert.strictEqual(found.device, undefined);
    assert.match(String(found.problem), /could not read the node device on .* \(exit 1\)/);
    assert.match(String(found.output), /container not found/);
  });

  it("says so when there is no probe pod", async () => {
    const ctx: LabContext = { ...SEED_CONTEXT, probePods: [] };
    assert.match(String((await detectNodeDevice(ctx, executor({}))).problem), /no node-probe pod/);
  });
});
