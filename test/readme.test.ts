import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import {
  configTableKeys,
  readmeTableKeys,
  serviceTableRows,
  trafficTableRows,
  writtenReadme,
} from "../scripts/readme-config";
import { ROOT, readStackFile } from "../scripts/stack-file";
import { ENVIRONMENT_DEFAULTS } from "../stacks/defaults";
import { stackConfigShape } from "../stacks/schema";
import { SECRETS } from "../stacks/secrets";
import { LINTER_EXCEPTIONS } from "../policy/exceptions";

/** The README documents every config key and every secret the program reads. */

const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

describe("README", () => {
  it("lists every secret with its pulumi config set --secret command", () => {
    for (const secret of Object.values(SECRETS)) {
      const command = `pulumi config set --secret --stack <stack> ${secret.key} "$(${secret.howToGenerate})"`;
      assert.ok(readme.includes(`| \`${secret.key}\``), `${secret.key} in the Secrets table`);
      assert.ok(readme.includes(command), command);
    }
  });

  it("documents every top-level config key", () => {
    for (const key of Object.keys(stackConfigShape)) {
      assert.ok(
        readme.includes(`| \`${key}\``) || readme.includes(`| \`${key}.`),
        `config key ${key} in a README table`,
      );
    }
  });
});

/** The rows of the markdown table that follows `heading`, as arrays of trimmed cells. */
function tableAfter(heading: string): string[][] {
  const start = readme.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `README has ${heading}`);
  const lines = readme.slice(start).split("\n");
  const first = lines.findIndex((l) => l.startsWith("|"));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith("|")) break;
    rows.push(
      line
        .slice(1, -1)
        .split("|")
        .map((c) => c.trim()),
    );
  }
  return rows;
}

describe("README tables derived from the service catalog", () => {
  it("the traffic matrix is the catalog's calls, in order, with their reasons", () => {
    assert.deepEqual(tableAfter("## Traffic matrix"), trafficTableRows());
  });

  it("the services table is the catalog's records", () => {
    assert.deepEqual(tableAfter("## Services"), serviceTableRows());
  });
});

describe("README configuration tables and stack files: one source", () => {
  it("the tables list exactly the config keys, with the values each stack runs with", () => {
    assert.deepEqual([...readmeTableKeys(readme)].sort(), [...configTableKeys()].sort());
    // Every staging and production cell is what `npm run readme:config` writes from the code.
    const expected = writtenReadme(readme);
    const differing = readme
      .split("\n")
      .filter(
        (line, i) => line.replace(/\s+/g, " ") !== expected.split("\n")[i].replace(/\s+/g, " "),
      );
    assert.deepEqual(differing, [], "run npm run readme:config");
  });

  it("each stack file holds only what differs from its environment's defaults", () => {
    for (const stack of ["staging", "production"] as const) {
      const repeated: string[] = [];
      const visit = (value: unknown, fallback: unknown, path: string) => {
        if (isObject(value) && isObject(fallback)) {
          for (const [k, v] of Object.entries(value)) visit(v, fallback[k], `${path}.${k}`);
        } else if (JSON.stringify(value) === JSON.stringify(fallback)) {
          repeated.push(path);
        }
      };
      const defaults = ENVIRONMENT_DEFAULTS[stack] as Record<string, unknown>;
      for (const [fullKey, text] of Object.entries(readStackFile(stack).config)) {
        const key = fullKey.replace("agent-platform:", "");
        visit(/^[[{]/.test(text) ? JSON.parse(text) : text, defaults[key], key);
      }
      assert.deepEqual(repeated, [], `${stack}: values equal to the defaults`);
    }
  });
});

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

describe("README's Deliberate exceptions", () => {
  it("has a row for each exception npm run lint:manifests allows", () => {
    const rows = tableAfter("## Deliberate exceptions").map((r) => r[0]);
    for (const exception of LINTER_EXCEPTIONS) {
      assert.ok(rows.includes(exception.row), `row "${exception.row}" among ${rows.join("; ")}`);
    }
  });
});
