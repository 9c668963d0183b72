/**
 * `npm run outputs:schema`: writes `schema/outputs.schema.json` from the zod contract in
 * `stacks/outputs.ts`. `npm test` fails when the committed file is out of date.
 */
import * as fs from "fs";
import * as path from "path";
import { outputsJsonSchema } from "../stacks/outputs";

export const OUTPUTS_SCHEMA_FILE = path.join(__dirname, "..", "schema", "outputs.schema.json");

if (require.main === module) {
  fs.writeFileSync(OUTPUTS_SCHEMA_FILE, outputsJsonSchema());
  console.log(`wrote ${path.relative(process.cwd(), OUTPUTS_SCHEMA_FILE)}`);
}
