import { checkBudgets } from "../kgents/budget";
import { planAgents } from "../kgents/plan";
import { CATALOG, Catalog, catalogProblems } from "../stacks/catalog";
import { buildTopology } from "../stacks/topology";
import { RawConfig, readPulumiConfig } from "../stacks/config";
import { IMAGE_REGISTRY_UNSET } from "../stacks/images";
import { loadInputs } from "../stacks/inputs";
import { InvalidInputError } from "../stacks/problems";
import { specDirectory } from "../kgents/load";
import { checkAgentObjectSizes } from "./agent";

/**
 * Everything the stack checks before it registers a resource, in order: the config, every spec
 * and the agents config against the specs (all at once), the plan of agents, their budgets, the
 * size of their objects. `deployPlatform` (components/platform.ts) runs it first; `npm run spec:check -- --stack <name>` runs the
 * same, so the check a commit hook or a reviewer runs is the one `pulumi up` runs.
 */
export function preflight(
  raw: RawConfig = readPulumiConfig(),
  specDir: string = specDirectory(),
  catalog: Catalog = CATALOG,
) {
  // A catalog that names what does not exist is a defect of the code, not of the user's input.
  const catalogDefects = catalogProblems(catalog);
  if (catalogDefects.length > 0) {
    throw new Error(`service catalog: ${catalogDefects.join("; ")} (stacks/catalog.ts)`);
  }
  const { config, specs } = loadInputs(raw, specDir, catalog);
  const topology = buildTopology(config, catalog);
  // Unset only in a preview (`pulumi up` refuses, stacks/config.ts): shown, never deployed.
  const imageRegistry = config.imageRegistry ?? IMAGE_REGISTRY_UNSET;
  const agentPlan = planAgents(config.agents, specs, config.stack, imageRegistry);
  // A plan that does not fit its namespace's budget stops here, before any resource exists.
  const budgets = checkBudgets(config.budgets, agentPlan, topology, config.stack);
  const oversized = checkAgentObjectSizes({
    environment: config.environment,
    topology,
    agents: agentPlan,
  });
  if (oversized.length > 0) throw new InvalidInputError("Agent objects too large", oversized);
  return { config, specs, topology, imageRegistry, agentPlan, budgets, catalog };
}
