import { strict as assert } from "assert";

import type { ExecResult, ProbeStep } from "../../../checks/types";
import {
  combine,
  excerpt,
  fail,
  inconclusive,
  pass,
  usableOutput,
  usableSection,
  usableSections,
} from "../../../checks/verdict";
import { splitSections } from "../../../checks/probes";

const STEP: ProbeStep = {
  id: "ping",
  target: { namespace: "default", pod: "net" },
  argv: ["ping", "-n", "-c", "3", "-w", "10", "10.0.2.202"],
  timeoutSeconds: 20,
};

function result(partial: Partial<ExecResult>): ExecResult {
  return {
    stdout: "",
    stderr: "",
    exitCode: 0,
    timedOut: false,
    command: "ping ...",
    durationMs: 5,
    ...partial,
  };
}

function reasonOf(u: ReturnType<typeof usableOutput>): string {
  assert.equal(u.ok, false);
  return u.ok ? "" : `${u.judgement.verdict}: ${u.judgement.reason}`;
}

describe("verdict helpers", () => {
  it("build immutable judgements with an optional facts record", () => {
    assert.deepEqual(pass("ok"), { verdict: "pass", reason: "ok" });
    assert.deepEqual(fail("bad", { a: 1 }), { verdict: "fail", reason: "bad", facts: { a: 1 } });
    assert.deepEqual(inconclusive("?"), { verdict: "inconclusive", reason: "?" });
  });

  describe("usableOutput", () => {
    it("passes usable stdout through", () => {
      assert.deepEqual(usableOutput(STEP, result({ stdout: "3 packets transmitted" })), {
        ok: true,
        output: "3 packets transmitted",
      });
    });

    it("is inconclusive without a result", () => {
      assert.equal(
        reasonOf(usableOutput(STEP, undefined)),
        'inconclusive: "ping" on net: no result (the step did not run)',
      );
    });

    it("is inconclusive on a timeout, naming the step's timeout", () => {
      assert.equal(
        reasonOf(usableOutput(STEP, result({ timedOut: true, exitCode: undefined }))),
        'inconclusive: "ping" on net timed out after 20 s',
      );
    });

    it("is inconclusive on a non-zero exit, naming the code and stderr", () => {
      assert.equal(
        reasonOf(
          usableOutput(STEP, result({ exitCode: 2, stderr: "ping: connect: Network is unreachable\n" })),
        ),
        'inconclusive: "ping" on net exited with code 2: ping: connect: Network is unreachable',
      );
    });

    it("accepts the exit codes a probe declares as evidence", () => {
      assert.equal(
        usableOutput(STEP, result({ exitCode: 1, stdout: "100% packet loss" }), { okExitCodes: [0, 1] }).ok,
        true,
      );
    });

    it("is inconclusive when a process did not run to completion", () => {
      assert.match(
        reasonOf(usableOutput(STEP, result({ exitCode: undefined, stderr: "spawn kubectl ENOENT" }))),
        /did not run to completion: spawn kubectl ENOENT/,
      );
    });

    it("is inconclusive on empty output, never a pass", () => {
      assert.equal(
        reasonOf(usableOutput(STEP, result({ stdout: " \n" }))),
        'inconclusive: "ping" on net printed nothing usable',
      );
      assert.equal(usableOutput(STEP, result({ stdout: "" }), { allowEmpty: true }).ok, true);
    });

    it("names an allowed non-zero exit with empty output, which is how a failing kubectl looks", () => {
      assert.equal(
        reasonOf(
          usableOutput(STEP, result({ exitCode: 1, stdout: "", stderr: 'error: pods "net" not found' }), {
            okExitCodes: [0, 1],
          }),
        ),
        'inconclusive: "ping" on net exited with code 1 and printed nothing usable (stderr: error: pods "net" not found)',
      );
    });
  });

  describe("sections", () => {
    const raw = "=== a\nA\n=== exit 0\n=== b\nboom\n=== exit 3\n=== c\n=== exit 0\n=== d\npartial";

    it("reads each section with its exit code", () => {
      const sections = splitSections(raw);
      assert.deepEqual([...sections.keys()], ["a", "b", "c", "d"]);
      assert.deepEqual(sections.get("a"), { name: "a", output: "A", exitCode: 0 });
      assert.equal(sections.get("d")?.exitCode, undefined);
    });

    it("is inconclusive for a failed, empty, unfinished or missing section", () => {
      const sections = splitSections(raw);
      const why = (name: string, allowEmpty = false): string => {
        const u = usableSection(STEP, sections, name, { allowEmpty });
        return u.ok ? "ok" : u.judgement.reason;
      };
      assert.equal(why("a"), "ok");
      assert.equal(why("b"), 'section "b" of "ping" on net exited with code 3: boom');
      assert.equal(why("c"), 'section "c" of "ping" on net printed nothing');
      assert.equal(why("c", true), "ok");
      assert.equal(why("d"), 'section "d" of "ping" on net did not finish');
      assert.equal(why("e"), 'section "e" of "ping" on net is missing (the script stopped before it)');
    });

    it("gates the step before splitting it", () => {
      const results = new Map([["ping", result({ timedOut: true, exitCode: undefined })]]);
      const u = usableSections(STEP, results);
      assert.equal(u.ok, false);
    });
  });

  describe("combine", () => {
    it("fails when any part fails, listing failures before the unknowns", () => {
      const j = combine([pass("p"), inconclusive("i"), fail("f")], { k: 1 });
      assert.deepEqual(j, { verdict: "fail", reason: "f; i", facts: { k: 1 } });
    });

    it("is inconclusive when nothing failed but something is unknown", () => {
      assert.deepEqual(combine([pass("p"), inconclusive("i")]), { verdict: "inconclusive", reason: "i" });
    });

    it("passes when every part passes, and states identical reasons once", () => {
      assert.deepEqual(combine([pass("a"), pass("b"), pass("a")]), { verdict: "pass", reason: "a; b" });
    });

    it("is inconclusive when nothing was judged", () => {
      assert.equal(combine([]).verdict, "inconclusive");
    });
  });

  it("excerpts output on one line", () => {
    assert.equal(excerpt("a\n\n  b  \nc"), "a | b | c");
    assert.equal(excerpt("x".repeat(300), 10).length, 10);
  });
});
