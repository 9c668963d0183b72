import { preflight } from "../components/preflight";
import { rawConfig } from "../stacks/config";
import { agentEndpoint } from "../stacks/topology";
import { specDirectory } from "../kgents/load";
import { readStackFile, workspaceDir } from "./stack-file";

/**
 * What a stack plans, computed offline from its stack file (the workspace's, as the engine and
 * `scripts/kube.ts` read it) and the specs, exactly as `pulumi up`
 * checks it first (`components/preflight.ts`; secrets stood in for, as in a render): the config,
 * the topology (every namespace and name), the agents and their budgets. The commands that read a
 * live cluster take their names from it, never from a name written twice.
 */
export function stackPlan(stack: string) {
  const file = readStackFile(stack, workspaceDir());
  const secret = new Set(file.secretKeys);
  return preflight(
    rawConfig(stack, file.config, (key) => secret.has(key), false),
    specDirectory(),
  );
}

/** An agent of the stack, and the name of its objects in the cluster. */
export interface PlannedAgentName {
  readonly name: string;
  readonly genus: string;
  readonly deployment: string;
}

/** The stack's agents with the name of their objects (Deployment, Service, NetworkPolicy, Agent). */
export function agentNames(plan: ReturnType<typeof stackPlan>): PlannedAgentName[] {
  return plan.agentPlan.map((agent) => ({
    name: agent.name,
    genus: agent.genus,
    // Every object of an agent is named as its Service is (components/agent.ts).
    deployment: agentEndpoint(plan.topology, agent.genus).service,
  }));
}
