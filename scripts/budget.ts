/**
 * npm run budget -- --stack <staging|production> [--live] [--json]
 *
 * Each kgents namespace's budget (its ResourceQuota), what the deployed agents use of it
 * (replicas plus rolling-update surge, logic plus sidecar), what is free, and each agent's
 * share. It runs the stack program offline, as `npm run render` does, and prints the program's
 * own `budgets` output: the figures are the ones `pulumi up` checks and the quotas it creates.
 * A plan over budget prints the table (its `free` column negative where it is over), then the
 * program's refusal, and exits 1.
 *
 * With `--live`, the cluster of the stack instead (scripts/kube.ts): each kgents namespace's
 * ResourceQuota as the cluster counts it, each agent's share from its live pods, the plan beside
 * both, what is over or near its budget (`budgets.nearPercent`), and the quota refusals and
 * evictions the API server still keeps (scripts/live-budget.ts). It only reads.
 */
import type { BudgetFigures } from "../kgents/budget";
import { DIMENSIONS, OverBudgetError, RESOURCE_DIMENSIONS, budgetFigures } from "../kgents/budget";
import { UsageError, parseOptions, runCli } from "./cli";
import { Cluster } from "./kube";
import { byKind } from "./live-objects";
import { liveBudgetReport, liveBudgetText } from "./live-budget";
import { renderStack } from "./render-lib";
import { agentNames, stackPlan } from "./stack-plan";
import { table } from "./table";

/** An agent's share's columns after its pods: its requests, then its limits, of each resource. */
const SHARE_DIMENSIONS = (["requests", "limits"] as const).flatMap((kind) =>
  RESOURCE_DIMENSIONS.map((r) => [kind, r] as const),
);

/** The human-readable report of `npm run budget`. */
function budgetReport(budgets: readonly BudgetFigures[]): string {
  return budgets
    .map((b) => {
      const totals = table([
        ["dimension", "budget", "used", "free"],
        ...DIMENSIONS.map((d) => [d, b.budget[d], b.used[d], b.free[d]]),
      ]);
      const shares =
        b.agents.length === 0
          ? "no agents from spec/agents/ run here"
          : table([
              [
                "agent",
                "replicas",
                "surge",
                "pods",
                ...SHARE_DIMENSIONS.map(([k, r]) => `${k}.${r}`),
              ],
              ...b.agents.map((a) => [
                a.name,
                String(a.replicas),
                String(a.surge),
                String(a.pods),
                ...SHARE_DIMENSIONS.map(([k, r]) => a[k][r]),
              ]),
            ]);
      return `${b.namespace}\n\n${totals}\n\n${shares}\n`;
    })
    .join("\n");
}

/** What `--live` reads of each kgents namespace. */
const LIVE_KINDS = ["resourcequotas", "pods", "replicasets", "deployments", "events"];

/** `--live`: the plan offline, then the stack's cluster, read. */
async function live(stack: string, json: boolean): Promise<void> {
  const plan = stackPlan(stack);
  const cluster = await Cluster.open(stack);
  const planned = plan.budgets.map((b) => b.namespace);
  await cluster.requireNamespace(plan.topology.kgents.agents);
  const objects = await Promise.all(
    planned.map((ns) => cluster.get<{ kind: string }>(ns, LIVE_KINDS)),
  );
  const report = liveBudgetReport(
    {
      stack,
      cluster: cluster.where,
      nearPercent: plan.config.budgets.nearPercent,
      planned: budgetFigures(plan.budgets),
      agents: agentNames(plan),
    },
    new Map(planned.map((ns, i) => [ns, byKind(objects[i])])),
  );
  console.log(json ? JSON.stringify(report, null, 2) : liveBudgetText(report));
}

if (require.main === module) {
  runCli(
    async () => {
      const usage = "usage: npm run budget -- --stack <staging|production> [--live] [--json]";
      const values = parseOptions("budget", usage, {
        stack: { type: "string" },
        live: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
      });
      if (values.stack === undefined) throw new UsageError(usage);
      if (values.live) return live(values.stack, values.json);
      const show = (budgets: readonly BudgetFigures[]) =>
        console.log(values.json ? JSON.stringify(budgets, null, 2) : budgetReport(budgets));
      try {
        const { outputs } = await renderStack({ stack: values.stack });
        show(outputs.budgets as BudgetFigures[]);
      } catch (error) {
        // Over budget: the table shows where the room went, then the refusal says what to change.
        if (error instanceof OverBudgetError) show(error.figures);
        throw error;
      }
    },
    { consequence: "nothing was written" },
  );
}
