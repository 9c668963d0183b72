/**
 * npm run spec:check [-- --dir DIR]
 *
 * Validates the agent specs (`spec/agents/*.md`, or DIR) exactly as the stack does before it
 * registers anything: every problem is listed, and the exit code is 1 when there is any.
 * Meant for a git pre-commit hook and CI (see the README).
 */
import { parseArgs } from "util";
import { displayPath, loadAgentSpecs, specDirectory } from "../spec/load";
import { runCli } from "./cli";

runCli(async () => {
  const { values } = parseArgs({ options: { dir: { type: "string" } }, strict: true });
  const dir = values.dir ?? specDirectory();
  const specs = loadAgentSpecs(dir);
  console.log(`${specs.length} agent specs in ${displayPath(dir)} are valid`);
});
