/**
 * npm run budget -- --stack <staging|production> [--json]
 *
 * Each kgents namespace's budget (its ResourceQuota), what the deployed agents use of it
 * (replicas plus rolling-update surge, logic plus sidecar), what is free, and each agent's
 * share. It runs the stack program offline, as `npm run render` does, and prints the program's
 * own `budgets` output: the figures are the ones `pulumi up` checks and the quotas it creates.
 * A plan over budget prints the table (its `free` column negative where it is over), then the
 * program's refusal, and exits 1.
 */
import type { BudgetFigures } from "../kgents/budget";
import { DIMENSIONS, OverBudgetError } from "../kgents/budget";
import { UsageError, parseOptions, runCli } from "./cli";
import { renderStack } from "./render-lib";

/** Rows as a fixed-width table, first row the header. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** The human-readable report of `npm run budget`. */
export function budgetReport(budgets: readonly BudgetFigures[]): string {
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
                "requests.cpu",
                "requests.memory",
                "requests.ephemeral-storage",
                "limits.cpu",
                "limits.memory",
                "limits.ephemeral-storage",
              ],
              ...b.agents.map((a) => [
                a.name,
                String(a.replicas),
                String(a.surge),
                String(a.pods),
                a.requests.cpu,
                a.requests.memory,
                a.requests["ephemeral-storage"],
                a.limits.cpu,
                a.limits.memory,
                a.limits["ephemeral-storage"],
              ]),
            ]);
      return `${b.namespace}\n\n${totals}\n\n${shares}\n`;
    })
    .join("\n");
}

if (require.main === module) {
  runCli(
    async () => {
      const usage = "usage: npm run budget -- --stack <staging|production> [--json]";
      const values = parseOptions("budget", usage, {
        stack: { type: "string" },
        json: { type: "boolean", default: false },
      });
      if (values.stack === undefined) throw new UsageError(usage);
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
