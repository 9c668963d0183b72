import { z } from "zod";
import {
  computeRequestsAndLimitsSchema,
  containerResourcesSchema,
  imageTagSchema,
  agentStorageSchema,
  count,
  replicasSchema,
} from "./schema-parts";
import { CATALOG, Catalog, startOrder } from "./catalog";
import { ENVIRONMENTS } from "./environments";
import { PINNED_EXPECTATION, isPinned } from "./images";
import type { RuleIssue, ServiceRecord } from "./record";

/**
 * The zod schemas for stack config: the single source of truth for what a stack may set
 * (`Pulumi.<stack>.yaml`, keys under `agent-platform:`). Types are inferred from them.
 */

const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

/**
 * A registry and path prefix such as `ghcr.io/acme` or `docker.io/acme`: where the platform's
 * own images are pulled from. There is no "none": a bare `agent-society:1.4.2` would be pulled
 * from Docker Hub, where it does not exist.
 */
const imageRegistrySchema = z
  .string()
  .regex(
    /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?(\/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*$/,
    'expected a registry such as "ghcr.io/acme" (the platform\'s images are pulled from <registry>/agent-society:<tag>, ...)',
  );

/** Suffix for every namespace and object name: "" or a DNS label fragment like `-staging`. */
const namespaceSuffixSchema = z
  .string()
  .regex(
    /^$|^-[a-z0-9]([-a-z0-9]{0,18}[a-z0-9])?$/,
    'expected "" or a suffix such as "-staging" (lower case, at most 21 characters)',
  );

/**
 * A kgents genus: one capital letter, or "Psi". The operator's CRD had `^[A-Z]|Psi$`, which
 * accepts any string that starts with a capital letter; the parentheses are the fix.
 */
export const GENUS_PATTERN = /^([A-Z]|Psi)$/;
export const genusSchema = z
  .string()
  .regex(GENUS_PATTERN, 'expected a genus: one capital letter A-Z, or "Psi"');

/** Per-stack changes to one agent of `spec/agents/`; unset fields keep the spec's values. */
const agentOverrideSchema = z.strictObject({
  replicas: replicasSchema.optional(),
  /** Replaces the tag (and drops any digest) of the spec's image, for the logic container. */
  imageTag: imageTagSchema.optional(),
  /** CPU and memory requests and limits of the `logic` container (the sidecar keeps its own). */
  resources: computeRequestsAndLimitsSchema.optional(),
});

/** Which kgents agents a stack deploys, and how it changes them. */
export const agentsConfigSchema = z.strictObject({
  /**
   * Tag (or digest) of the `kgents` image under `imageRegistry`, which every spec without an
   * `image` of its own runs: Python with the `agents` package that `python -m agents.<genus>.main`
   * and the D-gent sidecar need.
   */
  imageTag: imageTagSchema,
  /** `"all"` (every spec in `spec/agents/`) or a list of genera. */
  deploy: z.union([z.literal("all"), z.array(genusSchema).min(1)], {
    error: 'expected "all" or a list of genera such as ["B", "L"]',
  }),
  /** Overrides by genus; every genus must name a spec. */
  overrides: z.record(genusSchema, agentOverrideSchema),
  /**
   * Ephemeral storage of each agent container (`logic`, and the `d-gent` sidecar): the specs do not
   * name it. The limit must hold the pod's `state` emptyDir (`AGENT_STATE_SIZE_LIMIT`), which an
   * agent without a sidecar has to itself.
   */
  ephemeralStorage: agentStorageSchema,
});
export type AgentsConfig = z.infer<typeof agentsConfigSchema>;

/**
 * The budget of one kgents namespace, enforced by its ResourceQuota: the sums of the CPU and
 * memory requests and limits of all its pods, and the number of pods.
 */
const budgetSchema = z.strictObject({
  requests: containerResourcesSchema,
  limits: containerResourcesSchema,
  pods: count(z.number().int().min(0).max(10000)),
});
export type Budget = z.infer<typeof budgetSchema>;

/** Budgets of the kgents namespaces (`kgents-agents`, `kgents-ephemeral`). */
const budgetsConfigSchema = z.strictObject({
  agents: budgetSchema,
  ephemeral: budgetSchema,
  /**
   * `npm run budget -- --live` flags a dimension of a namespace's quota as near its budget when
   * what runs uses at least this percentage of it (at 100% the next pod is refused).
   */
  nearPercent: count(z.number().int().min(1).max(100)),
});
export type BudgetsConfig = z.infer<typeof budgetsConfigSchema>;

/** The keys a stack sets that belong to no one service. */
const PLATFORM_KEYS = {
  /** `staging` or `production`: picks the environment defaults and the production rules. */
  environment: z.enum(ENVIRONMENTS),
  /** Appended to every namespace and object name, e.g. `-staging`; "" in production. */
  namespaceSuffix: namespaceSuffixSchema,
  /**
   * Registry of the platform's own images (`platformRepositories`). No default: `pulumi up`
   * refuses to run without it, and `pulumi preview` and the render show the images under
   * `IMAGE_REGISTRY_UNSET`.
   */
  imageRegistry: imageRegistrySchema.optional(),
  /** `LOG_LEVEL` of every service. */
  logLevel: z.enum(LOG_LEVELS),
};

/** The kgents keys: which agents a stack deploys, and the budgets of their namespaces. */
const KGENTS_KEYS = {
  /** kgents agents from `spec/agents/*.md`: which to deploy, per-agent overrides. */
  agents: agentsConfigSchema,
  /** ResourceQuotas of the kgents namespaces; the plan must fit them (checked before deploy). */
  budgets: budgetsConfigSchema,
};

/** Each record's config section, under its key: `agent-platform:<key>`. */
type Sections<C extends Catalog> = { readonly [K in keyof C]: C[K]["config"] };

/**
 * Every non-secret key a stack of `catalog` can set, by key name under `agent-platform:`: the
 * platform's keys, one section per service record (its own schema, in start order), then the
 * kgents keys.
 */
export function stackConfigShapeOf<C extends Catalog>(catalog: C) {
  const sections = Object.fromEntries(
    startOrder(catalog).map((key) => [key, catalog[key].config]),
  ) as Sections<C>;
  return { ...PLATFORM_KEYS, ...sections, ...KGENTS_KEYS };
}

/** The shipped catalog's keys. */
export const stackConfigShape = stackConfigShapeOf(CATALOG);

/** Every key a stack can set, as one object (the type of `z.strictObject(stackConfigShape)`). */
export type StackConfig = z.infer<z.ZodObject<typeof stackConfigShape, z.core.$strict>>;

/** What parsed of a stack's config: whole sections, or the fields of a section that did. */
export type PartialStackConfig = { [K in keyof StackConfig]?: Partial<StackConfig[K]> };

/**
 * Cross-field rules that depend on the environment, on whatever parsed: a rule runs when the
 * fields it reads are valid, whatever is wrong elsewhere, so that one run reports every problem
 * that can be known. Each record with rules (`rules`) adds them for its section.
 */
export function environmentRules(config: PartialStackConfig, catalog: Catalog): RuleIssue[] {
  const { environment } = config;
  const sections = config as Readonly<Record<string, object | undefined>>;
  const records = startOrder(catalog).flatMap((key) => {
    const record = catalog[key] as ServiceRecord;
    const section = sections[key];
    if (environment === undefined || section === undefined || record.rules === undefined) return [];
    return record.rules(environment, section).map((issue: RuleIssue) => ({
      ...issue,
      path: [key, ...issue.path],
    }));
  });
  return [...imageTagRules(config, catalog), ...records];
}

/**
 * Production runs only pinned images (`isPinned`: a release version or a digest): every service's
 * image tag (each record's section has one), the kgents image tag, and every per-agent tag
 * override. (The policy pack checks the rendered containers again at preview.)
 */
function imageTagRules(config: PartialStackConfig, catalog: Catalog): RuleIssue[] {
  if (config.environment !== "production") return [];
  const sections = config as Readonly<Record<string, { imageTag?: string } | undefined>>;
  const tags: [PropertyKey[], string | undefined][] = [
    ...startOrder(catalog).map((key): [PropertyKey[], string | undefined] => [
      [key, "imageTag"],
      sections[key]?.imageTag,
    ]),
    [["agents", "imageTag"], config.agents?.imageTag],
    ...Object.entries(config.agents?.overrides ?? {}).map(
      ([genus, o]): [PropertyKey[], string | undefined] => [
        ["agents", "overrides", genus, "imageTag"],
        o.imageTag,
      ],
    ),
  ];
  return tags
    .filter(([, tag]) => tag !== undefined && !isPinned(tag))
    .map(([path, tag]) => ({
      path,
      input: tag!,
      message: `expected ${PINNED_EXPECTATION} in production (a tag that is not a release version can be moved to another image)`,
    }));
}
