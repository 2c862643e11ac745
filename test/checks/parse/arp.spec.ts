import { strict as assert } from "assert";
import { parseArp } from "../../../checks/parse";

describe("parseArp", () => {
  it("reads an incomplete entry with no MAC", () => {
    const raw =
      "Address                  HWtype  HWaddress           Flags Mask            Iface\n192.0.2.2                        (incomplete)                              eth0\n";
    const { entries, issues } = parseArp(raw);
    assert.deepEqual(entries, [
      { address: "192.0.2.2", hwType: undefined, mac: undefined, flags: undefined, iface: "eth0" },
    ]);
    assert.deepEqual(issues, []);
  });

  it("reads an entry with a netmask column", () => {
    const { entries } = parseArp("10.0.0.1 ether 02:42:ac:12:00:01 CM 255.255.255.0 eth0\n");
    assert.equal(entries[0].iface, "eth0");
    assert.equal(entries[0].flags, "CM");
  });
});
