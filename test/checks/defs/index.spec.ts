import { strict as assert } from "assert";
import { spawnSync } from "child_process";

import { MAX_STEP_TIMEOUT_SECONDS } from "../../../checks/defs/common";
import { ALL_CHECKS } from "../../../checks/defs";
import { shellJoin } from "../../../lib/shell";
import type { LabContext, ProbeStep } from "../../../checks/types";
import { SEED_CONTEXT } from "./seedContext";
import { shellcheckAll } from "../../helpers/stubs";

/** Tools that must never run without an in-pod time bound (`timeout N tool`). */
const BOUNDED_TOOLS = [
  "tcpdump",
  "conntrack",
  "iptables-legacy-save",
  "iptables-nft-save",
  "tc",
  "bpftool",
  "cilium",
  "ip",
];

function scripts(ctx: LabContext): { check: string; step: ProbeStep; script: string }[] {
  return ALL_CHECKS.flatMap((check) =>
    check
      .steps(ctx)
      .filter((s) => s.argv[0] === "sh" && s.argv[1] === "-c")
      .map((step) => ({ check: check.name, step, script: step.argv[2] })),
  );
}

/** The seed with names and a device that need quoting, to prove generated scripts quote what they embed. */
const AWKWARD_CONTEXT: LabContext = { ...SEED_CONTEXT, nodeDevice: "enp0s3'$(x)" };

describe("the check suite (checks/defs)", () => {
  it("lists 15 checks in a stable order", () => {
    assert.deepEqual(
      ALL_CHECKS.map((c) => c.name),
      [
        "cilium-agent-status",
        "pod-addressing",
        "node-routes",
        "ping-same-node",
        "ping-cross-node",
        "nodeport-from-pod",
        "nodeport-from-outside",
        "clusterip-from-pod",
        "no-kube-proxy",
        "service-table",
        "bpf-attach-points",
        "redirect-peer-same-node",
        "redirect-peer-cross-node",
        "redirect-neigh",
        "bpf-masquerade",
      ],
    );
  });

  it("gives every check a unique kebab-case name", () => {
    const names = ALL_CHECKS.map((c) => c.name);
    assert.equal(new Set(names).size, names.length);
    for (const name of names) assert.match(name, /^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it("says in one sentence what each check proves", () => {
    for (const check of ALL_CHECKS) {
      assert.ok(check.proves.trim().length > 20, check.name);
      assert.match(check.proves, /^[A-Z].*\.$/, check.name);
      assert.doesNotMatch(check.proves, /\.\s+[A-Z]/, `${check.name}: one sentence`);
    }
  });

  for (const check of ALL_CHECKS) {
    it(`${check.name}: every step has a timeout of at most ${MAX_STEP_TIMEOUT_SECONDS} s and an id unique in the check`, () => {
      const steps = check.steps(SEED_CONTEXT);
      assert.ok(steps.length > 0);
      const ids = steps.map((s) => s.id);
      assert.equal(new Set(ids).size, ids.length, `duplicate ids: ${ids.join(", ")}`);
      for (const step of steps) {
        assert.ok(
          step.timeoutSeconds > 0 && step.timeoutSeconds <= MAX_STEP_TIMEOUT_SECONDS,
          `${step.id}: ${step.timeoutSeconds}`,
        );
        assert.ok((step.delayMs ?? 0) >= 0 && (step.delayMs ?? 0) < step.timeoutSeconds * 1000);
        assert.ok(step.argv.length > 0 && step.argv.every((w) => typeof w === "string"));
      }
    });

    it(`${check.name}: runs at most one exec per pod`, () => {
      const pods = check.steps(SEED_CONTEXT).map((s) => `${s.target.namespace}/${s.target.pod}`);
      assert.equal(new Set(pods).size, pods.length, pods.join(", "));
    });

    it(`${check.name}: bounds every command inside the pod too`, () => {
      for (const step of check.steps(SEED_CONTEXT)) {
        const [tool] = step.argv;
        if (tool === "sh") {
          for (const line of step.argv[2].split("\n")) {
            const command = line.replace(/^[\s{(]*/, "");
            for (const bounded of BOUNDED_TOOLS) {
              assert.ok(!command.startsWith(`${bounded} `), `${step.id}: unbounded "${line.trim()}"`);
            }
          }
        } else if (tool === "ping") assert.ok(step.argv.includes("-w"), step.id);
        else if (tool === "curl") assert.ok(step.argv.includes("--max-time"), step.id);
        else assert.equal(tool, "timeout", `${step.id}: ${step.argv.join(" ")}`);
      }
    });
  }

  it("makes 42 execs for the seed's 3-node lab (one of them on the runner's host)", () => {
    const perCheck = Object.fromEntries(ALL_CHECKS.map((c) => [c.name, c.steps(SEED_CONTEXT).length]));
    assert.deepEqual(perCheck, {
      "cilium-agent-status": 3,
      "pod-addressing": 2,
      "node-routes": 3,
      "ping-same-node": 1,
      "ping-cross-node": 1,
      "nodeport-from-pod": 1,
      "nodeport-from-outside": 4,
      "clusterip-from-pod": 1,
      "no-kube-proxy": 4,
      "service-table": 3,
      "bpf-attach-points": 3,
      "redirect-peer-same-node": 4,
      "redirect-peer-cross-node": 5,
      "redirect-neigh": 4,
      "bpf-masquerade": 3,
    });
    assert.equal(
      Object.values(perCheck).reduce((a, b) => a + b, 0),
      42,
    );
  });

  it("starts traffic after the captures of its check (delay) and never delays a capture", () => {
    for (const { check, step, script } of scripts(SEED_CONTEXT)) {
      if (/tcpdump/.test(script)) assert.equal(step.delayMs ?? 0, 0, `${check}/${step.id}`);
    }
  });

  describe("generated shell", () => {
    const hasShellcheck = spawnSync("shellcheck", ["--version"]).status === 0;

    for (const [label, ctx] of [
      ["the seed's 3-node lab", SEED_CONTEXT],
      ["a lab with a device name that needs quoting", AWKWARD_CONTEXT],
    ] as const) {
      it(`passes shellcheck -s sh for ${label}`, function () {
        if (!hasShellcheck) {
          if (process.env.CI) assert.fail("shellcheck is required in CI");
          this.skip();
        }
        const all = scripts(ctx);
        assert.ok(all.length >= 15, `only ${all.length} scripts`);
        const findings = shellcheckAll(all.map((s) => s.script));
        for (const [i, { check, step, script }] of all.entries()) {
          const found = findings.get(i);
          assert.equal(found, undefined, `${check}/${step.id}:\n${found}\n--- script ---\n${script}`);
        }
      });

      it(`parses with sh -n for ${label}`, () => {
        for (const { check, step, script } of scripts(ctx)) {
          const r = spawnSync("sh", ["-n", "-c", script], { encoding: "utf8" });
          assert.equal(r.status, 0, `${check}/${step.id}: ${r.stderr}`);
        }
      });
    }

    it("keeps an awkward device name one literal word", () => {
      const attach = scripts(AWKWARD_CONTEXT).find((s) => s.check === "bpf-attach-points");
      assert.ok(attach);
      assert.ok(
        attach.script.includes(`dev ${shellJoin([AWKWARD_CONTEXT.nodeDevice])} ingress`),
        attach.script,
      );
    });
  });
});
