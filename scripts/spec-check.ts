/**
 * npm run spec:check [-- --dir DIR] [--stack <staging|production>]
 *
 * Checks the agent specs (`spec/agents/*.md`, or DIR); every problem is listed, and the exit code
 * is 1 when there is any. Two checks:
 * - without `--stack`, each spec file on its own and the set of them (fields, types, a body,
 *   unique genera, peers that exist): what holds for every stack, for a git pre-commit hook;
 * - with `--stack`, everything `pulumi up` of that stack checks before it registers anything
 *   (`components/preflight.ts`): its config, the specs against its `agents` section and its
 *   environment's rules (production runs only pinned images), the budgets and object sizes.
 *   Secrets are stood in for, as in `npm run render`, since checking never needs them.
 */
import { preflight } from "../components/preflight";
import { rawConfig } from "../stacks/config";
import { displayPath, loadAgentSpecs, specDirectory } from "../kgents/load";
import { parseOptions, runCli } from "./cli";
import { checkStackName, readStackFile } from "./stack-file";

const USAGE = "usage: npm run spec:check [-- --dir DIR] [--stack <staging|production>]";

runCli(async () => {
  const values = parseOptions("spec:check", USAGE, {
    dir: { type: "string" },
    stack: { type: "string" },
  });
  const dir = values.dir ?? specDirectory();
  if (values.stack === undefined) {
    const specs = loadAgentSpecs(dir);
    console.log(
      `${specs.length} agent specs in ${displayPath(dir)} are valid (each file; npm run spec:check -- --stack <name> checks them against a stack)`,
    );
    return;
  }
  const stack = checkStackName(values.stack);
  const file = readStackFile(stack);
  const secret = new Set(file.secretKeys);
  const { agentPlan, config } = preflight(
    rawConfig(stack, file.config, (key) => secret.has(key), false),
    dir,
  );
  console.log(
    `${agentPlan.length} agent specs in ${displayPath(dir)} pass everything stack "${stack}" (${config.environment}) checks before it deploys`,
  );
});
