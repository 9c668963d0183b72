import { checkAgentSpecs, displayPath, specDirectory } from "../kgents/load";
import { checkAgentsConfig, unpinnedImageProblems } from "../kgents/plan";
import type { AgentSpec } from "../kgents/schema";
import {
  InvalidConfigError,
  LoadedStackConfig,
  RawConfig,
  loadStackConfig,
  readPulumiConfig,
} from "./config";
import { AgentsConfig, PartialStackConfig, agentsConfigSchema } from "./schema";
import { CATALOG, Catalog } from "./catalog";
import { InvalidInputError, Problem } from "./problems";

/**
 * Everything the user wrote, validated together: the stack config, every agent spec, and the
 * config's `agents` section against the specs (genera that exist; in production, only pinned agent
 * images). All problems are reported in one error, so a user
 * never fixes one file to discover the next problem in another. Nothing is registered before.
 */
export function loadInputs(
  raw: RawConfig = readPulumiConfig(),
  specDir: string = specDirectory(),
  catalog: Catalog = CATALOG,
): { config: LoadedStackConfig; specs: AgentSpec[] } {
  const problems: Problem[] = [];
  const titles: string[] = [];
  let config: LoadedStackConfig | undefined;
  let partial: PartialStackConfig = {};
  try {
    config = loadStackConfig(raw, catalog);
    partial = config;
  } catch (error) {
    if (!(error instanceof InvalidConfigError)) throw error;
    problems.push(...error.problems);
    titles.push(error.title);
    partial = error.partial;
  }
  const check = checkAgentSpecs(specDir);
  if (check.problems.length > 0) {
    problems.push(...check.problems);
    titles.push(`Invalid agent specs in ${displayPath(specDir)}`);
  }
  // Against whatever parsed of both: a spec with problems of its own still exists, and what is
  // wrong in one file never hides what is wrong in the other.
  const agentProblems = [
    ...checkAgentsConfig(partial.agents ?? {}, check.specs, raw.stack, check.flawedGenera),
    ...(partial.environment === "production" && isComplete(partial.agents)
      ? unpinnedImageProblems(partial.agents, check.specs)
      : []),
  ];
  if (agentProblems.length > 0) {
    problems.push(...agentProblems);
    titles.push(`Invalid agents config for stack "${raw.stack}"`);
  }
  if (problems.length > 0) throw new InvalidInputError(titles.join("; "), problems);
  return { config: config!, specs: check.specs };
}

/** Whether the `agents` section parsed whole (what `unpinnedImageProblems` reads). */
function isComplete(agents: Partial<AgentsConfig> | undefined): agents is AgentsConfig {
  return agentsConfigSchema.safeParse(agents).success;
}
