/**
 * npm run readme:config
 *
 * Writes the `staging` and `production` columns of the README's configuration tables (every
 * table whose header is `| key | type | staging | production | meaning |`) from the code: each
 * cell is the value the shipped stack runs with, its environment's default (`stacks/defaults.ts`)
 * merged with its stack file, marked "(stack file)" where the stack file sets it. The key and
 * meaning columns stay as written; `test/readme.test.ts` fails when a cell or a key differs.
 */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { PROJECT, deepMerge } from "../stacks/config";
import { CATALOG, Catalog, flowsOf, startOrder } from "../stacks/catalog";
import { environmentDefaultsOf } from "../stacks/defaults";
import { unwrap } from "../stacks/problems";
import type { Environment } from "../stacks/environments";
import { stackConfigShapeOf } from "../stacks/schema";
import { ROOT, readStackFile } from "./stack-file";
import { runCli } from "./cli";

const README = path.join(ROOT, "README.md");
const HEADER = /^\|\s*key\s*\|\s*type\s*\|\s*staging\s*\|\s*production\s*\|\s*meaning\s*\|$/;

/** The rows the tables must have: a section's fields, or a key that is not a section. */
export function configTableKeys(catalog: Catalog = CATALOG): string[] {
  return Object.entries(stackConfigShapeOf(catalog)).flatMap(([key, schema]) => {
    const inner = unwrap(schema as z.ZodType);
    return inner instanceof z.ZodObject
      ? Object.keys(inner.shape).map((field) => `${key}.${field}`)
      : [key];
  });
}

/** What a stack runs with for each table key, as a README cell. */
export function configCells(stack: Environment, catalog: Catalog = CATALOG): Map<string, string> {
  const file: Record<string, unknown> = {};
  for (const [fullKey, text] of Object.entries(readStackFile(stack).config)) {
    if (!fullKey.startsWith(`${PROJECT}:`)) continue;
    file[fullKey.slice(PROJECT.length + 1)] = /^[[{]/.test(text) ? JSON.parse(text) : text;
  }
  const effective = deepMerge(environmentDefaultsOf(catalog)[stack], file) as Record<
    string,
    unknown
  >;
  effective.environment = stack;
  const cells = new Map<string, string>();
  for (const key of configTableKeys(catalog)) {
    const parts = key.split(".");
    const value = at(effective, parts);
    const fromFile = at(file, parts) !== undefined;
    cells.set(key, `${format(value)}${fromFile ? " (stack file)" : ""}`);
  }
  return cells;
}

function at(value: unknown, parts: readonly string[]): unknown {
  return parts.reduce<unknown>(
    (v, p) => (typeof v === "object" && v !== null ? (v as Record<string, unknown>)[p] : undefined),
    value,
  );
}

const code = (text: string) => `\`${text}\``;

/**
 * A value as a table cell: scalars in code, resources as `requests → limits` (each
 * `cpu/memory/ephemeral-storage`).
 */
function format(value: unknown): string {
  if (value === undefined) return "unset";
  if (typeof value === "string") return code(value === "" ? '""' : value);
  if (typeof value === "number" || typeof value === "boolean") return code(String(value));
  if (Array.isArray(value)) return code(JSON.stringify(value));
  const object = value as Record<string, unknown>;
  // cpu/memory, then the ephemeral storage where there is one: `100m/128Mi/128Mi`.
  const compute = (v: unknown) => {
    const { cpu, memory, "ephemeral-storage": storage } = v as Record<string, string | undefined>;
    return [cpu, memory, storage].filter((x) => x !== undefined).join("/");
  };
  if (isCompute(object.requests) && isCompute(object.limits)) {
    const pods = object.pods === undefined ? "" : `, ${String(object.pods)} pods`;
    return `${compute(object.requests)} → ${compute(object.limits)}${pods}`;
  }
  const values = Object.values(object);
  if (values.length > 0 && values.every((v) => typeof v === "string")) {
    return values.map((v) => code(v === "" ? '""' : (v as string))).join(", ");
  }
  return code(JSON.stringify(value));
}

function isCompute(value: unknown): boolean {
  return typeof value === "object" && value !== null && "cpu" in value && "memory" in value;
}

/** The rows of the README's "Services" table: one per record, in start order. */
export function serviceTableRows(catalog: Catalog = CATALOG): string[][] {
  return startOrder(catalog).map((key) => {
    const record = catalog[key];
    const ports = Object.entries(record.ports).map(([name, port]) => `${name} ${port}`);
    const endpoints = Object.entries(record.endpoints).map(
      ([name, e]) => `${name}: \`${e.service}\`${e.headless === true ? " (headless)" : ""}`,
    );
    return [
      code(key),
      record.summary,
      code(record.namespace),
      ports.join(", "),
      endpoints.join(", "),
    ];
  });
}

/** The rows of the README's "Traffic matrix": one per call, in start order, with its reason. */
export function trafficTableRows(catalog: Catalog = CATALOG): string[][] {
  return flowsOf(catalog).map((f) => [
    catalog[f.from].app,
    catalog[f.to].app,
    String(f.port),
    f.why,
  ]);
}

/** The README with every configuration table's value cells written from the code. */
export function writtenReadme(text: string): string {
  const cells = { staging: configCells("staging"), production: configCells("production") };
  let inTable = false;
  return text
    .split("\n")
    .map((line) => {
      if (HEADER.test(line)) {
        inTable = true;
        return line;
      }
      if (!inTable) return line;
      if (!line.startsWith("|")) {
        inTable = false;
        return line;
      }
      const columns = cellsOf(line);
      const key = /`([^`]+)`/.exec(columns[0])?.[1];
      if (key === undefined || !cells.staging.has(key)) return line;
      columns[2] = ` ${cells.staging.get(key)} `;
      columns[3] = ` ${cells.production.get(key)} `;
      return `|${columns.join("|")}|`;
    })
    .join("\n");
}

/** A table row's cells, split at every `|` that is not escaped (`\|` inside a cell). */
function cellsOf(line: string): string[] {
  return line.slice(1, -1).split(/(?<!\\)\|/);
}

/** Every key of the README's configuration tables, in order. */
export function readmeTableKeys(text: string): string[] {
  const keys: string[] = [];
  let inTable = false;
  for (const line of text.split("\n")) {
    if (HEADER.test(line)) inTable = true;
    else if (!line.startsWith("|")) inTable = false;
    else if (inTable) {
      const key = /`([^`]+)`/.exec(cellsOf(line)[0])?.[1];
      if (key !== undefined) keys.push(key);
    }
  }
  return keys;
}

if (require.main === module) {
  runCli(async () => {
    fs.writeFileSync(README, writtenReadme(fs.readFileSync(README, "utf8")));
    console.log("README.md: configuration tables written; run npm run format to align them");
  });
}
