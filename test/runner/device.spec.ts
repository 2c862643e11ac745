import * as assert from "assert";
import { deviceOfRouteGet } from "../../runner/device";

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
});
