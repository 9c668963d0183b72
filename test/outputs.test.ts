import { strict as assert } from "assert";
import * as fs from "fs";
import Ajv2020 from "ajv/dist/2020";
import { OUTPUTS_SCHEMA_FILE } from "../scripts/outputs-schema";
import { OUTPUTS_SCHEMA_VERSION, outputsJsonSchema } from "../stacks/outputs";
import { SECRETS } from "../stacks/secrets";
import { STACKS, render } from "./harness";

/** The outputs contract: the committed JSON Schema is current, and both renders satisfy it. */

const committed = JSON.parse(fs.readFileSync(OUTPUTS_SCHEMA_FILE, "utf8")) as object;
const validate = new Ajv2020({ allErrors: true, strict: true }).compile(committed);

function errors(outputs: unknown): string[] {
  return validate(outputs)
    ? []
    : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`);
}

describe("stack outputs contract", () => {
  it("schema/outputs.schema.json is what `npm run outputs:schema` writes", () => {
    assert.equal(
      fs.readFileSync(OUTPUTS_SCHEMA_FILE, "utf8"),
      outputsJsonSchema(),
      "run `npm run outputs:schema` and commit the result",
    );
  });

  for (const stack of STACKS) {
    it(`${stack}: the outputs validate against the committed schema`, async () => {
      const { outputs } = await render(stack);
      assert.deepEqual(errors(outputs), []);
      assert.equal(outputs.schemaVersion, OUTPUTS_SCHEMA_VERSION);
      assert.equal(outputs.environment, stack);
      assert.deepEqual(outputs.startOrder, [
        "tigerbeetle",
        "agentSociety",
        "agentRuntime",
        "connector",
      ]);
    });

    it(`${stack}: no output is a secret, and none holds a secret's value`, async () => {
      const overrides = Object.fromEntries(
        Object.keys(SECRETS).map((key, i) => [
          key,
          String(i + 1)
            .repeat(64)
            .slice(0, 64),
        ]),
      );
      const text = JSON.stringify((await render(stack, overrides)).outputs);
      assert.ok(!text.includes("[secret]"), "a secret Output reached the stack outputs");
      for (const value of Object.values(overrides)) assert.ok(!text.includes(value));
    });
  }

  it("rejects outputs that break the contract, saying where", async () => {
    const outputs = structuredClone((await render("production")).outputs) as {
      schemaVersion: string;
      services: { connector: Record<string, unknown> };
    };
    outputs.schemaVersion = "2.0.0";
    delete outputs.services.connector.image;
    outputs.services.connector.extra = true;
    assert.deepEqual(errors(outputs), [
      "/schemaVersion must be equal to constant",
      "/services/connector must have required property 'image'",
      "/services/connector must NOT have additional properties",
    ]);
  });
});
