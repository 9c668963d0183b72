import type { Environment, StackConfig } from "./schema";

/** A deep partial of the config: what a stack file may leave out. */
export type ConfigDefaults = { [K in keyof StackConfig]?: DeepPartial<StackConfig[K]> };
type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

const agentSocietyCommon = {
  nodeId: "agent-society",
  assetCode: "USD",
  assetScale: 6,
  basePricePerByte: 10,
  supportedChains: ["evm:base:8453"],
  settlementTimeout: 86400,
  initialDeposit: 1000000,
};

/** agent-runtime and connector values both environments share. */
const agentRuntimeCommon = {
  nodeId: "agent-runtime",
  businessLogicTimeoutMs: 5000,
  spspEnabled: true,
  sessionTtlMs: 3600000,
  // The connector starts after agent-runtime: retry for about 17 minutes (stacks/schema.ts).
  btpMaxRetries: 10,
};
const connectorCommon = {
  nodeId: "connector",
  settlementPreference: "evm" as const,
  settlementThreshold: 1000000,
};

/** TigerBeetle values both environments share; `clusterId` has no default: every stack sets its own. */
const tigerbeetleCommon = {
  imageTag: "0.16.68",
  // Unconfined: the runtime's default profile blocks io_uring (see the README, "io_uring").
  seccomp: { type: "unconfined" as const },
  bootstrap: false,
};

/** kgents-ephemeral: 10 short-lived agents at its LimitRange defaults, 8 at its maximum (500m/512Mi). */
const ephemeralBudget = {
  requests: { cpu: "1", memory: "1Gi", "ephemeral-storage": "2Gi" },
  limits: { cpu: "4", memory: "4Gi", "ephemeral-storage": "8Gi" },
  pods: 10,
};

/** What `npm run budget -- --live` flags as near the budget: 80% of a quota's dimension used. */
const NEAR_PERCENT = 80;

/**
 * Ephemeral storage of a platform service's container: its writable layer, its logs and its
 * `/tmp` emptyDir (64Mi), which the limit holds with room to spare.
 */
const serviceStorage = { request: "128Mi", limit: "512Mi" };
/** TigerBeetle keeps its data on its claim; the container's own disk is logs and the image. */
const tigerbeetleStorage = { request: "256Mi", limit: "1Gi" };
/** Each agent container's: the limit holds the pod's 1Gi `state` emptyDir and logs. */
const agentStorage = { request: "256Mi", limit: "1536Mi" };

function plusStorage<T extends { requests: object; limits: object }>(
  resources: T,
  storage: { request: string; limit: string },
) {
  return {
    requests: { ...resources.requests, "ephemeral-storage": storage.request },
    limits: { ...resources.limits, "ephemeral-storage": storage.limit },
  };
}

/**
 * What each environment gets for a key its stack file leaves out. The stack files still set
 * the values that differ between environments, so a reader sees them in one place.
 * Story 23.2's base manifests are the staging values; its production overlay, production's.
 */
export const ENVIRONMENT_DEFAULTS: Record<Environment, ConfigDefaults> = {
  staging: {
    namespaceSuffix: "-staging",
    logLevel: "debug",
    agents: { imageTag: "staging", deploy: "all", overrides: {}, ephemeralStorage: agentStorage },
    budgets: {
      agents: {
        requests: { cpu: "2", memory: "4Gi", "ephemeral-storage": "6Gi" },
        limits: { cpu: "4", memory: "6Gi", "ephemeral-storage": "32Gi" },
        pods: 15,
      },
      ephemeral: ephemeralBudget,
      nearPercent: NEAR_PERCENT,
    },
    agentSociety: {
      ...agentSocietyCommon,
      imageTag: "staging",
      replicas: 1,
      resources: plusStorage(
        {
          requests: { cpu: "100m", memory: "128Mi" },
          limits: { cpu: "500m", memory: "256Mi" },
        },
        serviceStorage,
      ),
      ilpAddress: "test.agent-platform.agent-society",
    },
    tigerbeetle: {
      ...tigerbeetleCommon,
      replicaCount: 3,
      resources: plusStorage(
        {
          requests: { cpu: "500m", memory: "2Gi" },
          limits: { cpu: "2", memory: "2Gi" },
        },
        tigerbeetleStorage,
      ),
      storage: { className: "", size: "20Gi" },
      development: true,
      // Staging clusters are small and often have no zones: spread when possible, never Pending.
      placement: { nodes: "preferred", zones: "preferred" },
    },
    agentRuntime: {
      ...agentRuntimeCommon,
      imageTag: "staging",
      replicas: 1,
      resources: plusStorage(
        {
          requests: { cpu: "100m", memory: "128Mi" },
          limits: { cpu: "500m", memory: "256Mi" },
        },
        serviceStorage,
      ),
      baseAddress: "test.agent-platform.agent-runtime",
    },
    connector: {
      ...connectorCommon,
      imageTag: "staging",
      replicas: 1,
      resources: plusStorage(
        {
          requests: { cpu: "250m", memory: "512Mi" },
          limits: { cpu: "1000m", memory: "1Gi" },
        },
        serviceStorage,
      ),
    },
  },
  production: {
    namespaceSuffix: "",
    logLevel: "info",
    // Image tags have no production default: each is a pinned release version (or a digest) that
    // the stack file names, so what runs is what was reviewed.
    agents: { deploy: "all", overrides: {}, ephemeralStorage: agentStorage },
    budgets: {
      agents: {
        requests: { cpu: "2", memory: "5Gi", "ephemeral-storage": "8Gi" },
        limits: { cpu: "4", memory: "6Gi", "ephemeral-storage": "40Gi" },
        pods: 20,
      },
      ephemeral: ephemeralBudget,
      nearPercent: NEAR_PERCENT,
    },
    agentSociety: {
      ...agentSocietyCommon,
      replicas: 2,
      resources: plusStorage(
        {
          requests: { cpu: "250m", memory: "256Mi" },
          limits: { cpu: "1000m", memory: "512Mi" },
        },
        serviceStorage,
      ),
      ilpAddress: "g.agent-platform.agent-society",
    },
    tigerbeetle: {
      ...tigerbeetleCommon,
      replicaCount: 6,
      resources: plusStorage(
        {
          requests: { cpu: "2", memory: "8Gi" },
          limits: { cpu: "4", memory: "8Gi" },
        },
        tigerbeetleStorage,
      ),
      storage: { className: "", size: "200Gi" },
      development: false,
      // Production: a node or zone loss costs at most one replica, or the replica waits (README).
      placement: { nodes: "required", zones: "required" },
    },
    agentRuntime: {
      ...agentRuntimeCommon,
      replicas: 2,
      resources: plusStorage(
        {
          requests: { cpu: "100m", memory: "128Mi" },
          limits: { cpu: "500m", memory: "256Mi" },
        },
        serviceStorage,
      ),
      baseAddress: "g.agent-platform.agent-runtime",
    },
    connector: {
      ...connectorCommon,
      replicas: 2,
      resources: plusStorage(
        {
          requests: { cpu: "250m", memory: "512Mi" },
          limits: { cpu: "1000m", memory: "1Gi" },
        },
        serviceStorage,
      ),
    },
  },
};
