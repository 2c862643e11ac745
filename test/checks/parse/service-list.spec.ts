import { strict as assert } from "assert";
import { parseServiceList } from "../../../checks/parse";

describe("parseServiceList", () => {
  it("attaches a flattened continuation line at column 0 to the service above it", () => {
    const raw =
      "ID Frontend Service Type Backend\n2 10.96.0.10:53 ClusterIP 1 => 10.0.0.228:53 (active)\n2 => 10.0.0.103:53 (active)\n";
    const [service] = parseServiceList(raw).services;
    assert.equal(service.id, 2);
    assert.deepEqual(service.backends, [
      { address: "10.0.0.228:53", state: "active" },
      { address: "10.0.0.103:53", state: "active" },
    ]);
  });

  it("reads lists printed without an ID column, with Remote services and preferred backends", () => {
    const raw = [
      "Frontend            Service Type         Backend",
      "10.0.0.2:80:TCP     NodePort (Remote)    1 => 172.29.0.3:80 (active) (preferred)",
      "                                         2 => 172.29.0.4:80 (terminating)",
    ].join("\n");
    const { services, issues } = parseServiceList(raw);
    assert.deepEqual(services, [
      {
        id: undefined,
        frontend: "10.0.0.2:80:TCP",
        type: "NodePort (Remote)",
        backends: [
          { address: "172.29.0.3:80", state: "active" },
          { address: "172.29.0.4:80", state: "terminating" },
        ],
      },
    ]);
    assert.deepEqual(issues, []);
  });

  it("reports a backend line that comes before any service", () => {
    const { services, issues } = parseServiceList("1 => 10.0.0.1:80 (active)\n");
    assert.deepEqual(services, []);
    assert.ok(issues.some((i) => i.includes("not recognised")));
  });

  it("reports a backend whose state was cut short", () => {
    const { services, issues } = parseServiceList("1 10.96.0.1:443 ClusterIP 1 => 172.18.0.4:6443 (acti");
    assert.equal(services[0].backends[0].state, undefined);
    assert.ok(issues.some((i) => i.includes("cut short")));
  });

  it("does not take a line of prose for a service", () => {
    const { services } = parseServiceList("Error: cannot get services list: connection refused\n");
    assert.deepEqual(services, []);
  });
});
