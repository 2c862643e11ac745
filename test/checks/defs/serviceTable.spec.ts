import { strict as assert } from "assert";

import {
  BPF_LB_SECTION,
  SERVICE_LIST_SECTION,
  serviceTable,
  withoutProtocol,
} from "../../../checks/defs/serviceTable";
import { splitSections } from "../../../checks/probes";
import { SEED_CONTEXT, caseResults, runCases } from "./seedContext";

describe("service-table", () => {
  it("strips the protocol newer agents print", () => {
    assert.equal(withoutProtocol("10.96.0.10:53/TCP"), "10.96.0.10:53");
    assert.equal(withoutProtocol("10.96.0.10:53"), "10.96.0.10:53");
  });

  it("reads the service list and the BPF service map in one exec per agent, each bounded", () => {
    const steps = serviceTable.steps(SEED_CONTEXT);
    assert.equal(steps.length, 3);
    for (const step of steps) {
      assert.equal(step.target.container, "cilium-agent");
      const script = step.argv[2];
      assert.match(script, /timeout 20 cilium service list/);
      assert.match(script, /timeout 20 cilium bpf lb list/);
      assert.ok(step.timeoutSeconds >= 40 && step.timeoutSeconds <= 60);
    }
  });

  runCases(serviceTable, [
    {
      title:
        "passes on 1.13 (seed table: ClusterIP, NodePort on 0.0.0.0 and on the node IP) with the node IP also in the BPF map",
      kase: "healthy",
      verdict: "pass",
      reason:
        /cilium-496vl: 10\.96\.93\.201:8080 ClusterIP → 3 backends, 0\.0\.0\.0:32000 NodePort → 3 backends, 172\.18\.0\.2:32000 NodePort → 3 backends, 172\.18\.0\.2:32000 NodePort in the BPF map → 3 backends/,
    },
    {
      // Failed before this change: "expected NodePort frontend 172.18.0.2:32000 on cilium-496vl, found none".
      title:
        "passes on 1.18+, whose service list shows the NodePort as 0.0.0.0 only, from the node-address frontend in the BPF map",
      kase: "healthy-1.18",
      verdict: "pass",
      reason:
        /cilium-496vl: 10\.96\.93\.201:8080 ClusterIP → 3 backends, 0\.0\.0\.0:32000 NodePort → 3 backends, 172\.18\.0\.2:32000 NodePort in the BPF map → 3 backends/,
    },
    {
      title: "fails on 1.18+ when the BPF map lacks the node-address NodePort",
      kase: "bpf-map-without-node-address",
      verdict: "fail",
      reason:
        /^expected NodePort 172\.18\.0\.2:32000 in the BPF service map on cilium-496vl \(cilium bpf lb list\), found none$/,
    },
    {
      title: "fails when the node-address NodePort in the BPF map misses a test pod",
      kase: "bpf-map-missing-backend",
      verdict: "fail",
      reason:
        /expected 10\.0\.1\.63:80 \(evescn-zx9kk\) behind NodePort 172\.18\.0\.3:32000 in the BPF service map on cilium-6bt7g, found 10\.0\.0\.72:80, 10\.0\.2\.202:80/,
    },
    {
      title: "fails when the 0.0.0.0 NodePort frontend is missing",
      kase: "missing-nodeport",
      verdict: "fail",
      reason: /^expected NodePort frontend 0\.0\.0\.0:32000 on cilium-496vl, found none$/,
    },
    {
      title: "fails when a test pod is missing from the backends",
      kase: "missing-backend",
      verdict: "fail",
      reason:
        /expected 10\.0\.1\.63:80 \(evescn-zx9kk\) active behind ClusterIP 10\.96\.93\.201:8080 on cilium-6bt7g, found 10\.0\.0\.72:80 \(active\), 10\.0\.2\.202:80 \(active\)/,
    },
    {
      title: "fails when a backend is not active",
      kase: "terminating-backend",
      verdict: "fail",
      reason:
        /10\.0\.0\.72:80 \(evescn-q7xhn\) active behind NodePort 0\.0\.0\.0:32000 on cilium-mfc5w, found 10\.0\.0\.72:80 \(terminating\)/,
    },
    { title: "is inconclusive on empty output", kase: "empty", verdict: "inconclusive" },
    {
      title: "is inconclusive when an agent timed out",
      kase: "timed-out",
      verdict: "inconclusive",
      reason: /cilium-6bt7g timed out/,
    },
  ]);

  it("is inconclusive, naming the section, when the BPF map could not be read", () => {
    const steps = serviceTable.steps(SEED_CONTEXT);
    const results = caseResults("service-table", "healthy-1.18", steps);
    const id = steps[2].id;
    const r = results.get(id);
    assert.ok(r);
    const list = splitSections(r.stdout).get(SERVICE_LIST_SECTION);
    assert.ok(list);
    // The BPF section missing: the script stopped after the service list.
    const cut = `=== ${SERVICE_LIST_SECTION}\n${list.output}\n=== exit 0\n`;
    results.set(id, { ...r, stdout: cut });
    const j = serviceTable.judge(SEED_CONTEXT, results);
    assert.equal(j.verdict, "inconclusive", j.reason);
    assert.match(j.reason, new RegExp(`section "${BPF_LB_SECTION}" of "${id}" on cilium-496vl is missing`));
  });
});
