import { strict as assert } from "assert";
import { parseIpAddr } from "../../../checks/parse";

describe("parseIpAddr", () => {
  it("reads the veth peer ifindex from eth0@if9", () => {
    const raw =
      "8: eth0@if9: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000\nlink/ether ae:32:09:5a:08:5c brd ff:ff:ff:ff:ff:ff link-netnsid 0\ninet 10.0.2.40/32 scope global eth0\n";
    const [eth0] = parseIpAddr(raw).interfaces;
    assert.equal(eth0.ifindex, 8);
    assert.equal(eth0.name, "eth0");
    assert.equal(eth0.peerIfindex, 9);
    assert.equal(eth0.peerName, undefined);
    assert.deepEqual(eth0.ipv4, ["10.0.2.40/32"]);
  });

  it("merges the one-line form into one interface per index", () => {
    const raw =
      "2: eth0    inet 10.0.0.5/24 brd 10.0.0.255 scope global eth0\\       valid_lft forever preferred_lft forever\n2: eth0    inet 10.0.0.6/24 scope global secondary eth0\\       valid_lft forever preferred_lft forever\n";
    const { interfaces } = parseIpAddr(raw);
    assert.equal(interfaces.length, 1);
    assert.deepEqual(interfaces[0].ipv4, ["10.0.0.5/24", "10.0.0.6/24"]);
    assert.equal(interfaces[0].mac, undefined);
  });

  it("reads the one-line link form with its MAC", () => {
    const raw =
      "9: lxcbf5cb1e7ceb0@if8: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000\\    link/ether be:06:1e:82:86:b6 brd ff:ff:ff:ff:ff:ff link-netns cni-13e7f3e3\n";
    const [lxc] = parseIpAddr(raw).interfaces;
    assert.equal(lxc.peerIfindex, 8);
    assert.equal(lxc.mac, "be:06:1e:82:86:b6");
  });

  it("reports text that is not ip output", () => {
    const { interfaces, issues } = parseIpAddr(
      "OCI runtime exec failed: exec failed: unable to start container process\n",
    );
    assert.deepEqual(interfaces, []);
    assert.ok(issues.length >= 1);
  });
});
