import { checkAgentSpecs, displayPath, specDirectory } from "../spec/load";
import { checkAgentsConfig, unpinnedImageProblems } from "../spec/plan";
import type { AgentSpec } from "../spec/schema";
import { LoadedStackConfig, RawConfig, loadStackConfig, readPulumiConfig } from "./config";
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
): { config: LoadedStackConfig; specs: AgentSpec[] } {
  const problems: Problem[] = [];
  const titles: string[] = [];
  let config: LoadedStackConfig | undefined;
  try {
    config = loadStackConfig(raw);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    problems.push(...error.problems);
    titles.push(error.title);
  }
  const check = checkAgentSpecs(specDir);
  if (check.problems.length > 0) {
    problems.push(...check.problems);
    titles.push(`Invalid agent specs in ${displayPath(specDir)}`);
  } else if (config !== undefined) {
    // Only against a complete set of specs: a spec that failed to parse is not "unknown".
    const agentProblems = [
      ...checkAgentsConfig(config.agents, check.specs, raw.stack),
      ...(config.environment === "production"
        ? unpinnedImageProblems(config.agents, check.specs)
        : []),
    ];
    if (agentProblems.length > 0) {
      problems.push(...agentProblems);
      titles.push(`Invalid agents config for stack "${raw.stack}"`);
    }
  }
  if (problems.length > 0) throw new InvalidInputError(titles.join("; "), problems);
  return { config: config!, specs: check.specs };
}
