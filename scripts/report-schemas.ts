import { z } from "zod";
import { DIMENSIONS } from "../kgents/budget";
import { figures } from "../stacks/outputs";

/**
 * What the day-two commands print with `--json`, as versioned contracts in the manner of the
 * stack outputs (`stacks/outputs.ts`): defined once here as zod schemas, published as JSON Schema
 * in `schema/` by `npm run outputs:schema`; `npm test` fails when a committed file is stale and
 * validates the reports the tests build, `npm run test:e2e` those the commands print against a
 * real cluster. `schemaVersion` follows semver: a new field is a minor change, a removed or
 * renamed one a major change.
 */

export const LIVE_BUDGET_SCHEMA_VERSION = "1.0.0";
export const AGENTS_SCHEMA_VERSION = "1.0.0";
export const DRIFT_SCHEMA_VERSION = "1.0.0";

const time = z.string().describe("RFC 3339, as the API server wrote it");

const quotaExcess = z.strictObject({
  dimension: z.string(),
  requested: z.string(),
  used: z.string(),
  limited: z.string(),
});

const budgetEvent = z.strictObject({
  time,
  kind: z.enum(["quota", "eviction"]).describe("a pod refused by a ResourceQuota, or evicted"),
  reason: z.string().describe("the event's reason (FailedCreate, Evicted, Preempted, ...)"),
  object: z.string().describe("Kind/name of what the event is about"),
  agent: z.string().nullable().describe("the agent the object belongs to, when one does"),
  count: z.number().int().min(1),
  message: z.string(),
  quota: z.string().nullable().describe("the ResourceQuota that refused, for kind quota"),
  exceeded: z.array(quotaExcess).describe("each dimension the quota refused, for kind quota"),
});

const dimension = z.strictObject({
  dimension: z.enum(DIMENSIONS),
  used: z.string().describe("the quota's status.used"),
  hard: z.string().describe("the quota's status.hard"),
  percent: z.number().int().nullable().describe("used as a whole percentage of hard"),
  planned: z.string().describe("what the plan needs (replicas plus surge), npm run budget"),
  budget: z.string().describe("the plan's budget: what spec.hard should be"),
  flag: z.enum(["ok", "near", "full", "over"]),
});

const liveAgent = z.strictObject({
  name: z.string(),
  genus: z.string(),
  deployment: z.string(),
  wanted: z.number().int().min(0).nullable().describe("the Deployment's spec.replicas"),
  live: figures.describe("the agent's pods that the quota counts"),
  planned: figures.describe("the agent's planned share, rollout surge included"),
  flags: z.array(z.enum(["over-plan", "refused", "missing"])),
});

const liveNamespace = z.strictObject({
  namespace: z.string(),
  quota: z.string().nullable().describe("the ResourceQuota's name; null when it is missing"),
  dimensions: z.array(dimension),
  agents: z.array(liveAgent),
  otherPods: figures.describe("pods of no agent of the stack (run-time agents)"),
  events: z.array(budgetEvent).describe("newest first, as long as the API server keeps them"),
});

export const liveBudgetSchema = z
  .strictObject({
    schemaVersion: z.literal(LIVE_BUDGET_SCHEMA_VERSION),
    stack: z.string(),
    cluster: z.string().describe('the kube context read, e.g. kube context "prod"'),
    nearPercent: z.number().int().min(1).max(100).describe("budgets.nearPercent"),
    namespaces: z.array(liveNamespace),
  })
  .meta({
    $id: "https://agent-platform.example/schema/budget-live.schema.json",
    title: "npm run budget -- --live --json",
    description: "Each kgents namespace's quota and each agent's share, live beside planned.",
  });
export type LiveBudgetReport = z.infer<typeof liveBudgetSchema>;
export type LiveNamespace = z.infer<typeof liveNamespace>;
export type LiveAgent = z.infer<typeof liveAgent>;
export type BudgetEvent = z.infer<typeof budgetEvent>;
export type DimensionRow = z.infer<typeof dimension>;
export type Figures = z.infer<typeof figures>;

const agentStatus = z.strictObject({
  name: z.string(),
  genus: z.string(),
  deployment: z.string(),
  desired: z.number().int().min(0).nullable().describe("spec.replicas; null without a Deployment"),
  ready: z.number().int().min(0),
  updated: z.number().int().min(0),
  image: z.string().nullable().describe("the logic container's image"),
  sidecar: z.string().nullable().describe("the d-gent sidecar's image; null without one"),
  peers: z.strictObject({
    to: z.array(z.string()).describe("genera its NetworkPolicy lets it call"),
    from: z.array(z.string()).describe("genera its NetworkPolicy lets call it"),
    internet: z.boolean().describe("egress outside the cluster's private ranges"),
  }),
  issue: z
    .strictObject({
      time: time.nullable(),
      object: z.string().describe("Pod/name or Deployment/name"),
      reason: z.string(),
      message: z.string(),
      restarts: z.number().int().min(0),
    })
    .nullable()
    .describe("the last restart or failure reason of its pods, or why pods are missing"),
});

const agentsReportSchema = z
  .strictObject({
    schemaVersion: z.literal(AGENTS_SCHEMA_VERSION),
    stack: z.string(),
    cluster: z.string(),
    namespace: z.string(),
    agents: z.array(agentStatus),
  })
  .meta({
    $id: "https://agent-platform.example/schema/agents.schema.json",
    title: "npm run agents -- --json",
    description: "Each kgents agent as it runs: replicas, images, peers, last trouble.",
  });
export type AgentsReport = z.infer<typeof agentsReportSchema>;
export type AgentStatus = z.infer<typeof agentStatus>;

const driftField = z.strictObject({
  path: z.string().describe("the field, as Pulumi writes property paths"),
  live: z
    .unknown()
    .optional()
    .describe("its value in the cluster ([secret] for a Secret); absent when not there"),
  stack: z
    .unknown()
    .optional()
    .describe("its value in the stack; absent when the stack does not set it"),
  origin: z
    .enum(["cluster", "program", "unowned"])
    .describe(
      "cluster: edited in the cluster; program: changed in the program, not deployed; unowned: set in the cluster on a field the stack does not set",
    ),
  setBy: z.array(z.string()).describe("field managers other than the stack's that own it"),
  restoredByUp: z
    .boolean()
    .describe("whether up --refresh puts the stack's value back (removes a field it does not set)"),
});

const driftObject = z.strictObject({
  kind: z.string(),
  namespace: z.string().nullable(),
  name: z.string(),
  urn: z.string(),
  change: z.enum(["update", "replace", "create", "delete", "none"]),
  fields: z.array(driftField),
});

const driftReportSchema = z
  .strictObject({
    schemaVersion: z.literal(DRIFT_SCHEMA_VERSION),
    stack: z.string(),
    drifted: z.boolean(),
    resources: z.number().int().min(0).describe("resources the refresh read"),
    objects: z.array(driftObject),
  })
  .meta({
    $id: "https://agent-platform.example/schema/drift.schema.json",
    title: "npm run stack -- drift --json",
    description: "Each object and field where the cluster differs from the stack.",
  });
export type DriftReport = z.infer<typeof driftReportSchema>;
export type DriftObject = z.infer<typeof driftObject>;
export type DriftField = z.infer<typeof driftField>;

/** The report schemas and their files under `schema/`. */
export const REPORT_SCHEMAS = {
  "budget-live.schema.json": liveBudgetSchema,
  "agents.schema.json": agentsReportSchema,
  "drift.schema.json": driftReportSchema,
} as const;

/** A schema as written to its file. */
export function jsonSchemaText(schema: z.ZodType): string {
  return `${JSON.stringify(z.toJSONSchema(schema, { target: "draft-2020-12" }), null, 2)}\n`;
}
