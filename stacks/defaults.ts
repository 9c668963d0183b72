import { CATALOG, Catalog, startOrder } from "./catalog";
import type { Environment } from "./environments";
import type { DeepPartial } from "./record";
import type { StackConfig } from "./schema";

/** A deep partial of the config: what a stack file may leave out. */
type ConfigDefaults = { [K in keyof StackConfig]?: DeepPartial<StackConfig[K]> };

/** kgents-ephemeral: 10 short-lived agents at its LimitRange defaults, 8 at its maximum (500m/512Mi). */
const ephemeralBudget = {
  requests: { cpu: "1", memory: "1Gi", "ephemeral-storage": "2Gi" },
  limits: { cpu: "4", memory: "4Gi", "ephemeral-storage": "8Gi" },
  pods: 10,
};

/** What `npm run budget -- --live` flags as near the budget: 80% of a quota's dimension used. */
const NEAR_PERCENT = 80;

/** Each agent container's ephemeral storage: the limit holds the pod's 1Gi `state` emptyDir and logs. */
export const AGENT_STORAGE = { request: "256Mi", limit: "1536Mi" } as const;

/**
 * What each environment gets for a key that belongs to no one service. (Each service's defaults
 * are in its record, `stacks/services/*.ts`.)
 */
const PLATFORM_DEFAULTS: Record<Environment, ConfigDefaults> = {
  staging: {
    namespaceSuffix: "-staging",
    logLevel: "debug",
    agents: { imageTag: "staging", deploy: "all", overrides: {}, ephemeralStorage: AGENT_STORAGE },
    budgets: {
      agents: {
        requests: { cpu: "2", memory: "4Gi", "ephemeral-storage": "6Gi" },
        limits: { cpu: "4", memory: "6Gi", "ephemeral-storage": "32Gi" },
        pods: 15,
      },
      ephemeral: ephemeralBudget,
      nearPercent: NEAR_PERCENT,
    },
  },
  production: {
    namespaceSuffix: "",
    logLevel: "info",
    // Image tags have no production default: each is a pinned release version (or a digest) that
    // the stack file names, so what runs is what was reviewed.
    agents: { deploy: "all", overrides: {}, ephemeralStorage: AGENT_STORAGE },
    budgets: {
      agents: {
        requests: { cpu: "2", memory: "5Gi", "ephemeral-storage": "8Gi" },
        limits: { cpu: "4", memory: "6Gi", "ephemeral-storage": "40Gi" },
        pods: 20,
      },
      ephemeral: ephemeralBudget,
      nearPercent: NEAR_PERCENT,
    },
  },
};

/**
 * What each environment gets for a key its stack file leaves out: the platform's keys, and each
 * record's section defaults under its key. The stack files still set the values that differ
 * between environments, so a reader sees them in one place. Story 23.2's base manifests are the
 * staging values; its production overlay, production's.
 */
export function environmentDefaultsOf(catalog: Catalog): Record<Environment, ConfigDefaults> {
  const of = (environment: Environment): ConfigDefaults => ({
    ...PLATFORM_DEFAULTS[environment],
    ...Object.fromEntries(
      startOrder(catalog).map((key) => [key, catalog[key].defaults[environment]]),
    ),
  });
  return { staging: of("staging"), production: of("production") };
}

/** The shipped catalog's defaults. */
export const ENVIRONMENT_DEFAULTS = environmentDefaultsOf(CATALOG);
