import { strict as assert } from "assert";
import { parseIpRoute } from "../../../checks/parse";

describe("parseIpRoute", () => {
  it("keeps default as default and leaves absent fields undefined", () => {
    const [route] = parseIpRoute("default via 10.0.2.34 dev eth0 mtu 1500\n").routes;
    assert.deepEqual(route, {
      dst: "default",
      via: "10.0.2.34",
      dev: "eth0",
      src: undefined,
      type: undefined,
    });
  });

  it("reads a route type printed before the destination", () => {
    const [route] = parseIpRoute("blackhole 10.0.9.0/24 proto bird\n").routes;
    assert.equal(route.type, "blackhole");
    assert.equal(route.dst, "10.0.9.0/24");
    assert.equal(route.dev, undefined);
  });

  it("reads IPv6 routes and skips multipath next-hop lines", () => {
    const raw =
      "fe80::/64 dev eth0 proto kernel metric 256 pref medium\ndefault proto static metric 1024\n\tnexthop via 10.0.0.1 dev eth0 weight 1\n";
    const { routes, issues } = parseIpRoute(raw);
    assert.deepEqual(
      routes.map((r) => r.dst),
      ["fe80::/64", "default"],
    );
    assert.deepEqual(issues, []);
  });

  it("reports a line cut after a keyword", () => {
    const { issues } = parseIpRoute("default via 10.0.2.34 dev eth0 mtu ");
    assert.ok(issues.some((i) => i.includes("keyword without its value")));
  });
});
