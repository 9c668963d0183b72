import { InvalidInputError, Problem, plural } from "../stacks/problems";
import { NANO, formatCpu, formatMemory, parseQuantity } from "../stacks/quantity";
import type { Budget, BudgetsConfig } from "../stacks/schema";
import type { Resources } from "../stacks/schema-parts";
import type { Topology } from "../stacks/topology";
import type { PlannedAgent } from "./plan";
import { ROLLING_UPDATE } from "../stacks/availability";

/**
 * B-gent's economics as Kubernetes ResourceQuotas: what the deployed agents need, per agents
 * namespace and dimension, against the stack's budget. Exact (bigint nano-units, Kubernetes
 * quantity rules); pure functions that the program, `npm run budget` and tests share.
 */

export const DIMENSIONS = [
  "requests.cpu",
  "requests.memory",
  "requests.ephemeral-storage",
  "limits.cpu",
  "limits.memory",
  "limits.ephemeral-storage",
  "pods",
] as const;
export type Dimension = (typeof DIMENSIONS)[number];
/** An amount per dimension: pods in whole pods, everything else in nano-units. */
export type Amounts = Record<Dimension, bigint>;

/** The namespaces a budget applies to, by config key. */
const BUDGET_KEYS = ["agents", "ephemeral"] as const;
export type BudgetKey = (typeof BUDGET_KEYS)[number];

/** One agent's share of its namespace's budget. */
interface AgentShare {
  readonly name: string;
  readonly genus: string;
  readonly replicas: number;
  /** Extra pods a rolling update creates (maxSurge) while the old ones still run. */
  readonly surge: number;
  /** replicas + surge */
  readonly pods: number;
  /** Requests and limits of one pod: `logic` plus the `d-gent` sidecar when enabled. */
  readonly perPod: Amounts;
  /** perPod × pods (and `pods` itself). */
  readonly total: Amounts;
}

export interface NamespaceBudget {
  readonly key: BudgetKey;
  readonly namespace: string;
  readonly budget: Amounts;
  readonly used: Amounts;
  /** Largest share first (by requests.cpu, then requests.memory, then name). */
  readonly agents: readonly AgentShare[];
}

export function zeroAmounts(): Amounts {
  return Object.fromEntries(DIMENSIONS.map((d) => [d, 0n])) as Amounts;
}

function quantity(text: string): bigint {
  const value = parseQuantity(text);
  if (value === undefined) throw new Error(`not a quantity: ${text}`); // validated before
  return value;
}

/** The resources of one container, one dimension of Amounts at a time. */
export const RESOURCE_DIMENSIONS = ["cpu", "memory", "ephemeral-storage"] as const;

/** Pods are counted in whole pods; every other dimension in nano-units. */
function addResources(into: Amounts, resources: Resources): void {
  for (const r of RESOURCE_DIMENSIONS) {
    into[`requests.${r}`] += quantity(resources.requests[r]);
    into[`limits.${r}`] += quantity(resources.limits[r]);
  }
}

/**
 * An agent's share: (replicas + surge) × (logic + sidecar). An agent with 0 replicas rolls out
 * no pods. Surge is counted for every agent at once, because one `pulumi up` that changes the
 * image or resources of several agents rolls them all at the same time.
 */
export function agentShare(agent: PlannedAgent): AgentShare {
  const perPod = zeroAmounts();
  addResources(perPod, agent.resources);
  if (agent.sidecar.enabled) addResources(perPod, agent.sidecar.resources);
  perPod.pods = 1n;
  const surge = agent.replicas > 0 ? ROLLING_UPDATE.maxSurge : 0;
  const pods = agent.replicas + surge;
  const total = zeroAmounts();
  for (const d of DIMENSIONS) total[d] = perPod[d] * BigInt(pods);
  return {
    name: agent.name,
    genus: agent.genus,
    replicas: agent.replicas,
    surge,
    pods,
    perPod,
    total,
  };
}

function toAmounts(budget: Budget): Amounts {
  const amounts = zeroAmounts();
  for (const r of RESOURCE_DIMENSIONS) {
    amounts[`requests.${r}`] = quantity(budget.requests[r]);
    amounts[`limits.${r}`] = quantity(budget.limits[r]);
  }
  amounts.pods = BigInt(budget.pods);
  return amounts;
}

/** Every agents namespace with its budget, what the plan uses of it, and each agent's share. */
export function computeBudgets(
  config: Pick<BudgetsConfig, BudgetKey>,
  agents: readonly PlannedAgent[],
  topology: Topology,
): NamespaceBudget[] {
  return BUDGET_KEYS.map((key) => {
    // Every spec agent runs in kgents-agents; kgents-ephemeral holds run-time agents only.
    const shares = key === "agents" ? agents.map(agentShare) : [];
    const used = zeroAmounts();
    for (const share of shares) for (const d of DIMENSIONS) used[d] += share.total[d];
    shares.sort(
      (a, b) =>
        compare(b.total["requests.cpu"], a.total["requests.cpu"]) ||
        compare(b.total["requests.memory"], a.total["requests.memory"]) ||
        a.name.localeCompare(b.name),
    );
    return {
      key,
      namespace: topology.kgents[key],
      budget: toAmounts(config[key]),
      used,
      agents: shares,
    };
  });
}

function compare(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A dimension's amount as Kubernetes writes it: `1500m`, `2Gi`, `12`. */
export function formatAmount(dimension: Dimension, value: bigint): string {
  if (dimension === "pods") return String(value);
  return dimension.endsWith(".cpu") ? formatCpu(value) : formatMemory(value);
}

/** Every dimension's amount as Kubernetes writes it. */
export function formatAmounts(amounts: Amounts): Record<Dimension, string> {
  return Object.fromEntries(DIMENSIONS.map((d) => [d, formatAmount(d, amounts[d])])) as Record<
    Dimension,
    string
  >;
}

/** A dimension's amount from its text (`"1500m"`, `"2Gi"`, pods as `"12"`); none is 0. */
export function parseAmount(dimension: Dimension, text: string | undefined): bigint {
  const value = parseQuantity(text ?? "0") ?? 0n;
  return dimension === "pods" ? value / NANO : value;
}

/** The quota's `spec.hard`. */
export function quotaHard(budget: NamespaceBudget): Record<Dimension, string> {
  return formatAmounts(budget.budget);
}

/** How many consumers a "does not fit" message names. */
const LARGEST = 3;

/** One problem per namespace and dimension where the plan needs more than the budget. */
export function budgetProblems(budgets: readonly NamespaceBudget[], stack: string): Problem[] {
  const problems: Problem[] = [];
  for (const budget of budgets) {
    for (const d of DIMENSIONS) {
      if (budget.used[d] <= budget.budget[d]) continue;
      const largest = [...budget.agents]
        .filter((a) => a.total[d] > 0n)
        .sort((a, b) => compare(b.total[d], a.total[d]) || a.name.localeCompare(b.name))
        .slice(0, LARGEST)
        .map(
          (a) =>
            `${a.name} ${formatAmount(d, a.total[d])} (${plural(a.replicas, "replica", "replicas")} + ${a.surge} surge = ${plural(a.pods, "pod", "pods")} × ${formatAmount(d, a.perPod[d])})`,
        );
      problems.push({
        source: `Pulumi.${stack}.yaml`,
        path: `agent-platform:budgets.${budget.key}.${d}`,
        message: `namespace ${budget.namespace}: the deployed agents need ${formatAmount(d, budget.used[d])} of ${d} (replicas plus rolling-update surge), over the budget of ${formatAmount(d, budget.budget[d])} by ${formatAmount(d, budget.used[d] - budget.budget[d])}; largest: ${largest.join(", ")}. Lower replicas or resources (agents.overrides) or raise the budget`,
      });
    }
  }
  return problems;
}

/** Computes the budgets and throws `InvalidInputError` when the plan does not fit them. */
export function checkBudgets(
  config: Pick<BudgetsConfig, BudgetKey>,
  agents: readonly PlannedAgent[],
  topology: Topology,
  stack: string,
): NamespaceBudget[] {
  const budgets = computeBudgets(config, agents, topology);
  const problems = budgetProblems(budgets, stack);
  if (problems.length > 0) throw new OverBudgetError(stack, problems, budgetFigures(budgets));
  return budgets;
}

/** The refusal of a plan over budget, with the figures, so `npm run budget` can show the table. */
export class OverBudgetError extends InvalidInputError {
  constructor(
    stack: string,
    problems: readonly Problem[],
    readonly figures: readonly BudgetFigures[],
  ) {
    super(`The agents do not fit the budgets of stack "${stack}"`, problems);
  }
}

/** The figures as the stack outputs, `npm run budget -- --json` and dashboards show them. */
type ContainerFigures = { readonly [R in (typeof RESOURCE_DIMENSIONS)[number]]: string };

export interface BudgetFigures {
  readonly namespace: string;
  readonly budget: Record<Dimension, string>;
  readonly used: Record<Dimension, string>;
  readonly free: Record<Dimension, string>;
  readonly agents: readonly {
    readonly name: string;
    readonly genus: string;
    readonly replicas: number;
    readonly surge: number;
    readonly pods: number;
    readonly requests: ContainerFigures;
    readonly limits: ContainerFigures;
  }[];
}

/** An agent's requests or limits of each resource, as Kubernetes writes them. */
function containerFigures(amounts: Amounts, kind: "requests" | "limits"): ContainerFigures {
  return Object.fromEntries(
    RESOURCE_DIMENSIONS.map((r) => [r, formatAmount(`${kind}.${r}`, amounts[`${kind}.${r}`])]),
  ) as ContainerFigures;
}

export function budgetFigures(budgets: readonly NamespaceBudget[]): BudgetFigures[] {
  return budgets.map((b) => {
    const free = zeroAmounts();
    for (const d of DIMENSIONS) free[d] = b.budget[d] - b.used[d];
    return {
      namespace: b.namespace,
      budget: formatAmounts(b.budget),
      used: formatAmounts(b.used),
      free: formatAmounts(free),
      agents: b.agents.map((a) => ({
        name: a.name,
        genus: a.genus,
        replicas: a.replicas,
        surge: a.surge,
        pods: a.pods,
        requests: containerFigures(a.total, "requests"),
        limits: containerFigures(a.total, "limits"),
      })),
    };
  });
}
