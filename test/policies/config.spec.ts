/**
 * Policy config typos (defect 4). The engine validates a policy's config against
 * `{ type: "object", properties, required }` built from its configSchema (pulumi/pulumi
 * pkg/resource/analyzer/config.go `convertSchema`, lines 263-273, commit 1b59498; the Node SDK sends
 * only `properties` and `required`: pulumi-policy protoutil.ts lines 152-158), so an unknown
 * top-level key passes it; the pack refuses it itself. Ajv stands in for the engine's gojsonschema
 * on that same schema (both are JSON Schema validators; draft differences do not matter here).
 */
import * as assert from "node:assert/strict";
import Ajv from "ajv";
import { policies } from "../../policies/policies";
import { PolicyConfigError } from "../../policies/lib/config";
import { PROJECT } from "../helpers/pulumiMocks";
import { V18, configDefaults, labStack, runPolicyOver } from "./helpers";

/** The schema the engine validates a policy's config against (convertSchema). */
function engineSchema(p: (typeof policies)[number]): Record<string, unknown> {
  return { type: "object", properties: p.configSchema?.properties ?? {}, required: p.configSchema?.required };
}

describe("policy config", () => {
  const ajv = new Ajv({ strict: false });

  for (const p of policies) {
    it(`${p.name} refuses an unknown setting the engine lets through`, async () => {
      const typo = { ...configDefaults(p), notASetting: true };
      // What the engine does: the typo passes its validation...
      assert.equal(ajv.validate(engineSchema(p), typo), true);
      // ...so the policy refuses it, naming itself, the key and the keys it accepts.
      await assert.rejects(
        () => runPolicyOver(p, labStack(V18), { notASetting: true }),
        (err: unknown) =>
          err instanceof PolicyConfigError &&
          err.message.startsWith(`policy ${p.name}: unknown config property "notASetting"`) &&
          Object.keys(configDefaults(p)).every((k) => err.message.includes(JSON.stringify(k))),
      );
    });
  }

  for (const p of policies) {
    it(`${p.name} refuses the typo whatever the stack holds: a stack of its root resource only (issue 23)`, async () => {
      // The first Analyze request of every preview is the stack resource's (test/fixtures/engine).
      const root = { type: "pulumi:pulumi:Stack", name: `${PROJECT}-dev`, props: {} };
      await assert.rejects(
        () => runPolicyOver(p, [root], { notASetting: true }),
        (err: unknown) => err instanceof PolicyConfigError && err.message.includes('"notASetting"'),
      );
      // And without the typo, nothing to say about it.
      assert.deepEqual(await runPolicyOver(p, [root], {}), []);
    });
  }

  it("lets the engine refuse an unknown key inside nodePortRange (nested schemas reach it)", () => {
    const p = policies.find((x) => x.name === "nodeport-in-range");
    assert.ok(p);
    const schema = engineSchema(p);
    assert.equal(ajv.validate(schema, { nodePortRange: { min: 30000, max: 32767 } }), true);
    assert.equal(ajv.validate(schema, { nodePortRange: { min: 30000, max: 32767, maxx: 1 } }), false);
  });
});
