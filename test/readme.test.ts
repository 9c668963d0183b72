import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "../scripts/stack-file";
import { stackConfigShape } from "../stacks/schema";
import { SECRETS } from "../stacks/secrets";

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
