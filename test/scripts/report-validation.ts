import * as fs from "fs";
import * as path from "path";
import Ajv2020 from "ajv/dist/2020";
import { SCHEMA_DIR } from "../../scripts/outputs-schema";

/** Validation errors of a report against its committed schema in `schema/`; [] when it is valid. */
export function reportErrors(file: string, report: unknown): string[] {
  const schema = JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, file), "utf8")) as object;
  const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
  return validate(report)
    ? []
    : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`);
}
