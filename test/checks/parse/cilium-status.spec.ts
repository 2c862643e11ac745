import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseCiliumStatus } from "../../../checks/parse";

const fixture = (name: string): string =>
  fs.readFileSync(path.resolve(__dirname, "../../fixtures/parse/cilium-status", name), "utf8");

describe("parseCiliumStatus", () => {
  it("reads the flattened seed and its aligned equivalent alike", () => {
    const flattened = fixture("seed-1.13-flattened.txt");
    const aligned = flattened
      .split("\n")
      .map((line) => line.replace(/^([^:]+):\s+/, (_m, key: string) => `${key}:`.padEnd(26)))
      .join("\n");
    const a = parseCiliumStatus(flattened);
    const b = parseCiliumStatus(aligned);
    assert.notEqual(flattened, aligned);
    assert.deepEqual({ ...a, raw: "" }, { ...b, raw: "" });
  });

  it("reads Host Routing: Legacy and leaves routingNetwork undefined before 1.16", () => {
    const result = parseCiliumStatus("Host Routing:           Legacy\n");
    assert.equal(result.hostRouting, "Legacy");
    assert.equal(result.routingNetwork, undefined);
  });

  it("reads the 1.16+ Routing line with aligned or single spaces", () => {
    for (const line of [
      "Routing:                 Network: Native   Host: BPF",
      "Routing: Network: Native Host: BPF",
    ]) {
      const result = parseCiliumStatus(line);
      assert.equal(result.routingNetwork, "Native");
      assert.equal(result.hostRouting, "BPF");
    }
  });

  it("keeps the tunnel protocol in routingNetwork", () => {
    const result = parseCiliumStatus(fixture("upstream-pr32036-routing-tunnel.txt"));
    assert.equal(result.routingNetwork, "Tunnel [vxlan]");
  });

  it("reads every KubeProxyReplacement device and ignores their addresses", () => {
    const result = parseCiliumStatus(
      "KubeProxyReplacement:    True   [ens5   192.168.190.239 fe80::de:f7ff:fe5a:d4ad (Direct Routing), ens6   192.168.186.8 fe80::62:48ff:fe8a:1133]\n",
    );
    assert.equal(result.kubeProxyReplacement, "True");
    assert.deepEqual(result.kprDevices, ["ens5", "ens6"]);
  });

  it("does not take a pre-1.8 feature list for devices", () => {
    const result = parseCiliumStatus(
      "KubeProxyReplacement:   Strict   [NodePort, ExternalIPs, HostReachableServicesTCP, HostReachableServicesUDP]\n",
    );
    assert.equal(result.kubeProxyReplacement, "Strict");
    assert.deepEqual(result.kprDevices, []);
  });

  it("reads IPTables masquerading without a CIDR and without an issue about it", () => {
    const result = parseCiliumStatus("Masquerading:            IPTables [IPv4: Enabled, IPv6: Disabled]\n");
    assert.equal(result.masquerading, "IPTables");
    assert.equal(result.masqueradeCidr, undefined);
    assert.ok(!result.issues.some((i) => i.includes("CIDR")));
  });

  it("reads the CIDR of ip-masq-agent BPF masquerading and not the protocol bracket", () => {
    const result = parseCiliumStatus(
      "Masquerading:            BPF (ip-masq-agent)   [eth0]   10.244.0.0/16  [IPv4: Enabled, IPv6: Disabled]\n",
    );
    assert.equal(result.masquerading, "BPF");
    assert.equal(result.masqueradeCidr, "10.244.0.0/16");
  });

  it("says so when cluster health is not probed", () => {
    const result = parseCiliumStatus("Cluster health:\t\tProbe disabled\n");
    assert.equal(result.clusterHealthReachable, undefined);
    assert.ok(result.issues.some((i) => i.includes("Cluster health") && i.includes("Probe disabled")));
  });

  it("reports an old agent's 'Cilium: Ok OK' as showing no version", () => {
    const result = parseCiliumStatus("Cilium:                 Ok   OK\n");
    assert.equal(result.ciliumVersion, undefined);
    assert.ok(result.issues.some((i) => i.includes("no version")));
  });

  describe("JSON", () => {
    it("leaves cluster health undefined without calling it an issue (StatusResponse has none)", () => {
      const result = parseCiliumStatus(fixture("derived-json-1.13.txt"));
      assert.equal(result.format, "json");
      assert.equal(result.clusterHealthReachable, undefined);
      assert.equal(result.clusterHealthTotal, undefined);
      assert.deepEqual(result.issues, []);
    });

    it("counts a controller with consecutive failures as unhealthy", () => {
      const result = parseCiliumStatus(fixture("derived-json-1.16-tunnel.txt"));
      assert.equal(result.controllersTotal, 3);
      assert.equal(result.controllersHealthy, 2);
    });

    it("prefers routing.intra-host-routing-mode and falls back to host-routing.mode", () => {
      const modern = parseCiliumStatus(
        '{"routing":{"intra-host-routing-mode":"BPF","inter-host-routing-mode":"Native"}}',
      );
      assert.equal(modern.hostRouting, "BPF");
      assert.equal(modern.routingNetwork, "Native");
      const old = parseCiliumStatus('{"host-routing":{"mode":"Legacy"}}');
      assert.equal(old.hostRouting, "Legacy");
      assert.equal(old.routingNetwork, undefined);
    });

    it("reads masquerading with both protocols off as Disabled", () => {
      const result = parseCiliumStatus('{"masquerading":{"enabledProtocols":{},"mode":"BPF"}}');
      assert.equal(result.masquerading, "Disabled");
    });

    it("reads the old snat-exclusion-cidr when the v4 field is absent", () => {
      const result = parseCiliumStatus(
        '{"masquerading":{"enabled":true,"mode":"BPF","snat-exclusion-cidr":"10.0.0.0/8"}}',
      );
      assert.equal(result.masqueradeCidr, "10.0.0.0/8");
    });

    it("takes device names from devices when deviceList is absent", () => {
      const result = parseCiliumStatus(
        '{"kube-proxy-replacement":{"mode":"Strict","devices":["eth0","eth1"]}}',
      );
      assert.deepEqual(result.kprDevices, ["eth0", "eth1"]);
    });

    it("finds the document after kubectl's Defaulted container line", () => {
      const result = parseCiliumStatus(
        `Defaulted container "cilium-agent" out of: cilium-agent, config (init)\n${fixture("derived-json-1.13.txt")}`,
      );
      assert.equal(result.format, "json");
      assert.equal(result.kubeProxyReplacement, "Strict");
    });

    it("ignores a stderr line printed after the document", () => {
      const result = parseCiliumStatus(
        `${fixture("derived-json-1.13.txt")}Defaulted container "cilium-agent"\n`,
      );
      assert.equal(result.ciliumVersion, "1.13.0-rc5");
    });

    it("reports a cut document as JSON that does not parse, with every field undefined", () => {
      const full = fixture("derived-json-1.13.txt");
      const result = parseCiliumStatus(full.slice(0, full.length / 2));
      assert.equal(result.format, "json");
      assert.equal(result.kubeProxyReplacement, undefined);
      assert.deepEqual(result.issues, ["output looks like JSON but does not parse as an object"]);
    });
  });
});
