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

/**
 * What each environment gets for a key its stack file leaves out. The stack files still set
 * the values that differ between environments, so a reader sees them in one place.
 * Story 23.2's base manifests are the staging values; its production overlay, production's.
 */
export const ENVIRONMENT_DEFAULTS: Record<Environment, ConfigDefaults> = {
  staging: {
    namespaceSuffix: "-staging",
    imageRegistry: "",
    logLevel: "debug",
    agents: { deploy: "all", overrides: {} },
    agentSociety: {
      ...agentSocietyCommon,
      imageTag: "staging",
      replicas: 1,
      resources: {
        requests: { cpu: "100m", memory: "128Mi" },
        limits: { cpu: "500m", memory: "256Mi" },
      },
      ilpAddress: "test.agent-platform.agent-society",
    },
  },
  production: {
    namespaceSuffix: "",
    imageRegistry: "",
    logLevel: "info",
    agents: { deploy: "all", overrides: {} },
    agentSociety: {
      ...agentSocietyCommon,
      imageTag: "production",
      replicas: 2,
      resources: {
        requests: { cpu: "250m", memory: "256Mi" },
        limits: { cpu: "1000m", memory: "512Mi" },
      },
      ilpAddress: "g.agent-platform.agent-society",
    },
  },
};
