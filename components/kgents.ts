import * as pulumi from "@pulumi/pulumi";
import { BudgetKey, NamespaceBudget, budgetFigures, quotaHard } from "../kgents/budget";
import type { PlannedAgent } from "../kgents/plan";
import type { Topology } from "../stacks/topology";
import { urlOf } from "../stacks/topology";
import { agentEndpoint } from "../stacks/topology";
import { Agents } from "./agent";
import { KgentsNamespaces } from "./kgents-namespaces";

export interface KgentsArgs {
  readonly environment: string;
  readonly topology: Topology;
  /** The agents this stack deploys (`planAgents`). */
  readonly agents: readonly PlannedAgent[];
  /** The checked budgets (`checkBudgets`): one ResourceQuota per namespace. */
  readonly budgets: readonly NamespaceBudget[];
}

/**
 * The kgents part of the stack: namespaces, then the Agent CRD and the planned agents' objects.
 * `opts` (the wait for TigerBeetle's cluster record, index.ts) applies to both components.
 */
export function deployKgents(args: KgentsArgs, opts?: pulumi.ComponentResourceOptions) {
  const namespaces = new KgentsNamespaces(
    "kgents",
    {
      environment: args.environment,
      topology: args.topology,
      quotas: {
        agents: quotaHard(budgetOf(args.budgets, "agents")),
        ephemeral: quotaHard(budgetOf(args.budgets, "ephemeral")),
      },
    },
    opts,
  );
  const agents = new Agents(
    "kgents-agents",
    {
      environment: args.environment,
      topology: args.topology,
      agents: args.agents,
      namespaces,
    },
    opts,
  );
  return {
    namespaces,
    agents,
    /** The `agents` stack output. */
    outputs: args.agents.map((agent) => ({
      name: agent.name,
      genus: agent.genus,
      namespace: args.topology.kgents.agents,
      replicas: agent.replicas,
      image: agent.image,
      endpoint: urlOf(agentEndpoint(args.topology, agent.genus)),
    })),
    /** The `budgets` stack output: the same figures as `npm run budget -- --json`. */
    budgetOutputs: budgetFigures(args.budgets),
  };
}

function budgetOf(budgets: readonly NamespaceBudget[], key: BudgetKey): NamespaceBudget {
  const budget = budgets.find((b) => b.key === key);
  if (budget === undefined) throw new Error(`no budget for ${key}`);
  return budget;
}
