import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { SCHEMA_DIR, schemaFiles } from "../../scripts/outputs-schema";

describe("scripts/report-schemas: the --json reports' contracts", () => {
  it("every file in schema/ is what npm run outputs:schema writes, and there is no other", () => {
    const files = schemaFiles();
    assert.deepEqual([...files.keys()].map((f) => path.basename(f)).sort(), [
      "agents.schema.json",
      "budget-live.schema.json",
      "drift.schema.json",
      "outputs.schema.json",
    ]);
    assert.deepEqual(
      fs.readdirSync(SCHEMA_DIR).sort(),
      [...files.keys()].map((f) => path.basename(f)).sort(),
    );
    for (const [file, text] of files) {
      assert.equal(
        fs.readFileSync(file, "utf8"),
        text,
        `${path.basename(file)}: run npm run outputs:schema`,
      );
    }
  });

  it("each report schema names its version as a constant", () => {
    for (const file of ["agents.schema.json", "budget-live.schema.json", "drift.schema.json"]) {
      const schema = JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, file), "utf8")) as {
        properties: { schemaVersion: { const: string } };
        required: string[];
      };
      assert.equal(schema.properties.schemaVersion.const, "1.0.0", file);
      assert.ok(schema.required.includes("schemaVersion"), file);
    }
  });
});
