import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseTcFilters } from "../../../checks/parse";

const fixture = (name: string): string =>
  fs.readFileSync(path.resolve(__dirname, "../../fixtures/parse/tc-filters", name), "utf8");

describe("parseTcFilters", () => {
  it("takes device and direction of tc output from the context", () => {
    const { programs, issues } = parseTcFilters(fixture("seed-eth0-ingress.txt"), {
      dev: "eth0",
      direction: "ingress",
    });
    assert.equal(programs.length, 1);
    assert.equal(programs[0].name, "cilium-eth0");
    assert.equal(programs[0].dev, "eth0");
    assert.equal(programs[0].direction, "ingress");
    assert.deepEqual(issues, []);
  });

  it("leaves device and direction undefined and says so when no context is given", () => {
    const { programs, issues } = parseTcFilters(fixture("seed-eth0-ingress.txt"));
    assert.equal(programs[0].dev, undefined);
    assert.equal(programs[0].direction, undefined);
    assert.equal(issues.length, 2);
  });

  it("ignores a context value that is not a direction", () => {
    const { programs } = parseTcFilters(fixture("seed-eth0-ingress.txt"), {
      dev: "eth0",
      direction: "sideways" as unknown as "ingress",
    });
    assert.equal(programs[0].direction, undefined);
  });

  it("tells tcx attachments from classic tc ones in bpftool output", () => {
    const tcx = parseTcFilters(fixture("upstream-bpftool-tcx-link.txt")).programs;
    const tc = parseTcFilters(fixture("upstream-pr14895-bpftool-clsact.txt")).programs;
    assert.ok(tcx.every((p) => p.attachMode === "tcx"));
    assert.ok(tc.every((p) => p.attachMode === "tc"));
  });

  it("reads bpftool's JSON for tcx with prog_id", () => {
    const raw = JSON.stringify([
      {
        xdp: [],
        tc: [
          {
            devname: "eth0",
            ifindex: 2,
            kind: "tcx/ingress",
            name: "cil_from_netdev",
            prog_id: 1234,
            prog_flags: [],
            link_id: 5,
            link_flags: [],
          },
        ],
        flow_dissector: [],
        netfilter: [],
      },
    ]);
    const { format, programs } = parseTcFilters(raw);
    assert.equal(format, "bpftool-json");
    assert.deepEqual(programs, [
      {
        name: "cil_from_netdev",
        dev: "eth0",
        direction: "ingress",
        attachMode: "tcx",
        id: 1234,
        progName: undefined,
      },
    ]);
  });

  it("lists xdp programs with no direction", () => {
    const { programs } = parseTcFilters("xdp:\neth0(2) driver id 198\n\ntc:\n\nflow_dissector:\n");
    assert.deepEqual(programs, [
      { name: undefined, dev: "eth0", direction: undefined, attachMode: "xdp", id: 198, progName: undefined },
    ]);
  });

  it("reports bpftool output that stops inside the tc section", () => {
    const { issues } = parseTcFilters("xdp:\n\ntc:\neth0(2) tcx/ingress cil_from_netdev prog_id 1\n");
    assert.ok(issues.some((i) => i.includes("flow_dissector")));
  });

  it("reports a tc filter line cut before its tag", () => {
    const { issues } = parseTcFilters(
      "filter protocol all pref 1 bpf chain 0\nfilter protocol all pref 1 bpf chain 0 handle 0x1 cilium-eth0 direct-action",
      { dev: "eth0", direction: "egress" },
    );
    assert.ok(issues.some((i) => i.includes("tag")));
  });
});
