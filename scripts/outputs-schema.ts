/**
 * `npm run outputs:schema`: writes `schema/outputs.schema.json` from the zod contract in
 * `stacks/outputs.ts`, and the schema of each day-two command's `--json` report from
 * `scripts/report-schemas.ts` (`schema/budget-live.schema.json`, `agents.schema.json`,
 * `drift.schema.json`). `npm test` fails when a committed file is out of date.
 */
import * as fs from "fs";
import * as path from "path";
import { outputsJsonSchema } from "../stacks/outputs";
import { REPORT_SCHEMAS, jsonSchemaText } from "./report-schemas";

export const SCHEMA_DIR = path.join(__dirname, "..", "schema");
export const OUTPUTS_SCHEMA_FILE = path.join(SCHEMA_DIR, "outputs.schema.json");

/** Every file `npm run outputs:schema` writes, by path, with its text. */
export function schemaFiles(): Map<string, string> {
  return new Map([
    [OUTPUTS_SCHEMA_FILE, outputsJsonSchema()],
    ...Object.entries(REPORT_SCHEMAS).map(
      ([file, schema]) => [path.join(SCHEMA_DIR, file), jsonSchemaText(schema)] as [string, string],
    ),
  ]);
}

if (require.main === module) {
  for (const [file, text] of schemaFiles()) {
    fs.writeFileSync(file, text);
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
  }
}
