import { z } from "zod";
import {
  ComputeResources,
  Resources,
  computeRequestsAndLimitsSchema,
  computeResourcesSchema,
  containerResourcesSchema,
  imageTagSchema,
  resourcesSchema,
  agentStorageSchema,
  count,
  flag,
  serviceResourcesSchema,
} from "./schema-parts";
import { PINNED_EXPECTATION, isPinned } from "./images";
import { tigerbeetleRules, tigerbeetleSchema } from "./tigerbeetle";

/**
 * The zod schemas for stack config: the single source of truth for what a stack may set
 * (`Pulumi.<stack>.yaml`, keys under `agent-platform:`). Types are inferred from them.
 */

export { computeResourcesSchema, imageTagSchema, resourcesSchema };
export type { ComputeResources, Resources };

export const ENVIRONMENTS = ["staging", "production"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

/**
 * A registry and path prefix such as `ghcr.io/acme` or `docker.io/acme`: where the platform's
 * own images are pulled from. There is no "none": a bare `agent-society:1.4.2` would be pulled
 * from Docker Hub, where it does not exist.
 */
export const imageRegistrySchema = z
  .string()
  .regex(
    /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?(\/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*$/,
    'expected a registry such as "ghcr.io/acme" (the platform\'s images are pulled from <registry>/agent-society:<tag>, ...)',
  );

/** Suffix for every namespace and object name: "" or a DNS label fragment like `-staging`. */
export const namespaceSuffixSchema = z
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

/** Replicas of a stateless service. */
/** A replica count, 0 to 10: a number in a spec, a number or digits in config. */
export const specReplicasSchema = z.number().int().min(0).max(10);
export const replicasSchema = count(specReplicasSchema);

/** An ILP address (RFC 15): scheme then dot-separated segments. */
export const ilpAddressSchema = z
  .string()
  .regex(
    /^(g|private|example|peer|self|test|test1|test2|test3|local)(\.[a-zA-Z0-9_~-]+)+$/,
    'expected an ILP address such as "g.agent-platform.society"',
  )
  .max(1023);

export const agentSocietySchema = z.strictObject({
  /** Image tag of `agent-society`. */
  imageTag: imageTagSchema,
  replicas: replicasSchema,
  resources: serviceResourcesSchema,
  /** `NODE_ID`: the node's name in logs and peering. */
  nodeId: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected a node id such as "agent-society"'),
  /** `ILP_ADDRESS`: agent-society exits at start without one. */
  ilpAddress: ilpAddressSchema,
  /** `ASSET_CODE`, e.g. USD. */
  assetCode: z.string().regex(/^[A-Z]{3,12}$/, 'expected an asset code such as "USD"'),
  /** `ASSET_SCALE`: decimal places of the asset. */
  assetScale: count(z.number().int().min(0).max(18)),
  /** `BASE_PRICE_PER_BYTE` in asset units. */
  basePricePerByte: count(z.number().int().min(0)),
  /** `SUPPORTED_CHAINS`: settlement chains as `<family>:<network>:<chain id>`. */
  supportedChains: z
    .array(
      z.string().regex(/^[a-z0-9]+:[a-z0-9-]+:[0-9]+$/, 'expected a chain such as "evm:base:8453"'),
    )
    .min(1),
  /** `SETTLEMENT_TIMEOUT` in seconds. */
  settlementTimeout: count(z.number().int().min(1)),
  /** `INITIAL_DEPOSIT` in asset units. */
  initialDeposit: count(z.number().int().min(0)),
});
export type AgentSocietyConfig = z.infer<typeof agentSocietySchema>;

/** The fewest BTP retries whose window outlasts the provider's 600 s wait for the connector. */
export const MIN_BTP_RETRIES = 10;

/** agent-runtime, the ILP middleware between the connector and agent-society. */
export const agentRuntimeSchema = z.strictObject({
  /** Image tag of `agent-runtime/core`. */
  imageTag: imageTagSchema,
  replicas: replicasSchema,
  resources: serviceResourcesSchema,
  /** `NODE_ID`. */
  nodeId: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected a node id such as "agent-runtime"'),
  /** `BASE_ADDRESS`: the ILP address under which agent-runtime receives packets. */
  baseAddress: ilpAddressSchema,
  /** `BUSINESS_LOGIC_TIMEOUT` in milliseconds: how long a call to agent-society may take. */
  businessLogicTimeoutMs: count(z.number().int().min(100).max(120000)),
  /** `SPSP_ENABLED`. */
  spspEnabled: flag(),
  /** `SESSION_TTL_MS`. */
  sessionTtlMs: count(z.number().int().min(1000)),
  /**
   * `CONNECTOR_BTP_MAX_RETRIES`: how often agent-runtime's BTP client retries the connector,
   * waiting 1 s, 2 s, 4 s, ... (the default 5 gives up after about 31 s). agent-runtime starts
   * before the connector, and Pulumi waits up to 10 minutes for the connector to become ready,
   * so the retries must outlast that: at least 10 (about 17 minutes, `btpRetryWindowSeconds`).
   */
  btpMaxRetries: count(
    z
      .number()
      .int()
      .min(MIN_BTP_RETRIES, {
        error: `expected at least ${MIN_BTP_RETRIES}, so that agent-runtime keeps retrying while the connector starts after it (Pulumi waits up to 600 s for it)`,
      })
      .max(20),
  ),
});

/** Seconds agent-runtime keeps retrying the connector: 1 + 2 + 4 + ... over `retries` tries. */
export function btpRetryWindowSeconds(retries: number): number {
  return 2 ** retries - 1;
}
export type AgentRuntimeConfig = z.infer<typeof agentRuntimeSchema>;

/** The ILP connector. Settlement stays off: it needs outbound HTTPS to chain RPCs (README). */
export const connectorSchema = z.strictObject({
  /** Image tag of `agent-runtime/connector`. */
  imageTag: imageTagSchema,
  replicas: replicasSchema,
  resources: serviceResourcesSchema,
  /** `NODE_ID`. */
  nodeId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected a node id such as "connector"'),
  /** `SETTLEMENT_PREFERENCE`: the chain family settlement would use. */
  settlementPreference: z.enum(["evm"]),
  /** `SETTLEMENT_THRESHOLD` in asset units. */
  settlementThreshold: count(z.number().int().min(0)),
});
export type ConnectorConfig = z.infer<typeof connectorSchema>;

/** Per-stack changes to one agent of `spec/agents/`; unset fields keep the spec's values. */
export const agentOverrideSchema = z.strictObject({
  replicas: replicasSchema.optional(),
  /** Replaces the tag (and drops any digest) of the spec's image, for the logic container. */
  imageTag: imageTagSchema.optional(),
  /** CPU and memory requests and limits of the `logic` container (the sidecar keeps its own). */
  resources: computeRequestsAndLimitsSchema.optional(),
});
export type AgentOverride = z.infer<typeof agentOverrideSchema>;

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
export const budgetSchema = z.strictObject({
  requests: containerResourcesSchema,
  limits: containerResourcesSchema,
  pods: count(z.number().int().min(0).max(10000)),
});
export type Budget = z.infer<typeof budgetSchema>;

/** Budgets of the kgents namespaces (`kgents-agents`, `kgents-ephemeral`). */
export const budgetsConfigSchema = z.strictObject({
  agents: budgetSchema,
  ephemeral: budgetSchema,
  /**
   * `npm run budget -- --live` flags a dimension of a namespace's quota as near its budget when
   * what runs uses at least this percentage of it (at 100% the next pod is refused).
   */
  nearPercent: count(z.number().int().min(1).max(100)),
});
export type BudgetsConfig = z.infer<typeof budgetsConfigSchema>;

/**
 * Every non-secret key a stack can set, by key name under `agent-platform:`.
 */
export const stackConfigShape = {
  /** `staging` or `production`: picks the environment defaults and the production rules. */
  environment: z.enum(ENVIRONMENTS),
  /** Appended to every namespace and object name, e.g. `-staging`; "" in production. */
  namespaceSuffix: namespaceSuffixSchema,
  /**
   * Registry of the platform's own images (agent-society, agent-runtime/core,
   * agent-runtime/connector, kgents). No default: `pulumi up` refuses to run without it, and
   * `pulumi preview` and the render show the images under `IMAGE_REGISTRY_UNSET`.
   */
  imageRegistry: imageRegistrySchema.optional(),
  /** `LOG_LEVEL` of every service. */
  logLevel: z.enum(LOG_LEVELS),
  agentSociety: agentSocietySchema,
  /** The ledger: cluster settings fixed at format time, resources, storage, seccomp. */
  tigerbeetle: tigerbeetleSchema,
  agentRuntime: agentRuntimeSchema,
  connector: connectorSchema,
  /** kgents agents from `spec/agents/*.md`: which to deploy, per-agent overrides. */
  agents: agentsConfigSchema,
  /** ResourceQuotas of the kgents namespaces; the plan must fit them (checked before deploy). */
  budgets: budgetsConfigSchema,
};

/** Every key a stack can set, as one object: what `StackConfig` is. */
export const stackConfigSchema = z.strictObject(stackConfigShape);
export type StackConfig = z.infer<typeof stackConfigSchema>;

/** What parsed of a stack's config: whole sections, or the fields of a section that did. */
export type PartialStackConfig = { [K in keyof StackConfig]?: Partial<StackConfig[K]> };

/**
 * Cross-field rules that depend on the environment, on whatever parsed: a rule runs when the
 * fields it reads are valid, whatever is wrong elsewhere, so that one run reports every problem
 * that can be known. Each section adds its pure rule function.
 */
export function environmentRules(
  config: PartialStackConfig,
): { path: PropertyKey[]; input: unknown; message: string }[] {
  const tigerbeetle =
    config.environment === undefined || config.tigerbeetle === undefined
      ? []
      : tigerbeetleRules(config.environment, config.tigerbeetle).map((issue) => ({
          ...issue,
          path: ["tigerbeetle", ...issue.path],
        }));
  return [...imageTagRules(config), ...tigerbeetle];
}

/**
 * Production runs only pinned images (`isPinned`: a release version or a digest): every platform
 * image tag and the kgents image tag, and every per-agent tag override. (The policy pack checks
 * the rendered containers again at preview.)
 */
export function imageTagRules(
  config: PartialStackConfig,
): { path: PropertyKey[]; input: string; message: string }[] {
  if (config.environment !== "production") return [];
  const tags: [PropertyKey[], string | undefined][] = [
    [["agentSociety", "imageTag"], config.agentSociety?.imageTag],
    [["agentRuntime", "imageTag"], config.agentRuntime?.imageTag],
    [["connector", "imageTag"], config.connector?.imageTag],
    [["tigerbeetle", "imageTag"], config.tigerbeetle?.imageTag],
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
