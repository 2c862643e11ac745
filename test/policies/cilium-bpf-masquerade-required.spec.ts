import * as assert from "node:assert/strict";
import { ciliumBpfMasqueradeRequired as policy } from "../../policies/rules/cilium-bpf-masquerade-required";
import { V13, V18, assertOneViolation, helmRelease, runResourcePolicy, withValue } from "./helpers";

const RULE = "Cilium must masquerade in eBPF";

describe("cilium-bpf-masquerade-required", () => {
  it("passes the values the stack writes for 1.13.0-rc5 and 1.18.12", async () => {
    assert.deepEqual(await runResourcePolicy(policy, helmRelease(V13)), []);
    assert.deepEqual(await runResourcePolicy(policy, helmRelease(V18)), []);
  });

  it("accepts enableIPv4Masquerade: true", async () => {
    assert.deepEqual(
      await runResourcePolicy(policy, withValue(helmRelease(V18), "enableIPv4Masquerade", true)),
      [],
    );
  });

  for (const version of [V13, V18]) {
    describe(version, () => {
      it("reports bpf.masquerade: false", async () => {
        assertOneViolation(
          await runResourcePolicy(policy, withValue(helmRelease(version), "bpf.masquerade", false)),
          {
            rule: RULE,
            found: "found bpf.masquerade=false",
            fix: "set bpf.masquerade: true (the stack writes it from lab config; remove the override)",
          },
        );
      });

      it("reports an unset bpf.masquerade (the agent default is false)", async () => {
        assertOneViolation(
          await runResourcePolicy(policy, withValue(helmRelease(version), "bpf.masquerade", undefined)),
          {
            rule: RULE,
            found: "found bpf.masquerade unset (the agent default is false: iptables masquerading)",
            fix: "set bpf.masquerade: true",
          },
        );
      });

      it('reports the string "true" (the 1.16+ schema wants a boolean)', async () => {
        assertOneViolation(
          await runResourcePolicy(policy, withValue(helmRelease(version), "bpf.masquerade", "true")),
          {
            rule: RULE,
            found: 'found bpf.masquerade="true" (a string; the 1.16+ schema wants a boolean)',
            fix: "set bpf.masquerade: true",
          },
        );
      });

      it("reports enableIPv4Masquerade: false unless the check is configured off", async () => {
        const release = withValue(helmRelease(version), "enableIPv4Masquerade", false);
        assertOneViolation(await runResourcePolicy(policy, release), {
          rule: RULE,
          found: "found enableIPv4Masquerade=false, which turns IPv4 masquerading (BPF or not) off",
          fix: "remove enableIPv4Masquerade or set it to true",
        });
        assert.deepEqual(await runResourcePolicy(policy, release, { checkIPv4Masquerade: false }), []);
      });
    });
  }
});
