import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";

import { frontendsByKey, parseBpfLbList } from "../../../checks/parse/bpf-lb-list";

const FIXTURES = path.resolve(__dirname, "../../fixtures/parse/bpf-lb-list");

describe("parseBpfLbList / frontendsByKey", () => {
  it("reads Cilium 1.18's one-key-per-slot layout and merges a frontend's slots (real webpod dump)", () => {
    const raw = fs.readFileSync(path.join(FIXTURES, "upstream-cilium-study-1.18-webpod.txt"), "utf8");
    const list = parseBpfLbList(raw);
    assert.deepEqual(list.issues, []);
    assert.equal(list.frontends.length, 4, "one block per printed key line");
    assert.deepEqual(frontendsByKey(list.frontends), [
      {
        key: "10.96.48.145:80/TCP",
        address: "10.96.48.145:80",
        internal: false,
        flags: ["ClusterIP", "non-routable"],
        backends: ["172.20.1.219:80", "172.20.2.77:80", "172.20.0.158:80"],
        hasServiceEntry: true,
      },
    ]);
  });

  it("leaves the older one-block-per-key layout as it is", () => {
    const raw = fs.readFileSync(path.join(FIXTURES, "upstream-pr31503-l7lb.txt"), "utf8");
    const list = parseBpfLbList(raw);
    assert.deepEqual(frontendsByKey(list.frontends), list.frontends);
  });
});
