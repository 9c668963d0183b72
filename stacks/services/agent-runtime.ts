import { z } from "zod";
import { serviceRecord } from "../record";
import {
  count,
  flag,
  ilpAddressSchema,
  imageTagSchema,
  nodeIdSchema,
  replicasSchema,
  serviceResourcesSchema,
} from "../schema-parts";
import { plusStorage } from "./shared";

const PORTS = { http: 3100 } as const;

/** The fewest BTP retries whose window outlasts the provider's 600 s wait for the connector. */
export const MIN_BTP_RETRIES = 10;

/** Seconds agent-runtime keeps retrying the connector: 1 + 2 + 4 + ... over `retries` tries. */
export function btpRetryWindowSeconds(retries: number): number {
  return 2 ** retries - 1;
}

/** `agent-platform:agentRuntime`: the ILP middleware between the connector and agent-society. */
const agentRuntimeSchema = z.strictObject({
  /** Image tag of `agent-runtime/core`. */
  imageTag: imageTagSchema,
  replicas: replicasSchema,
  resources: serviceResourcesSchema,
  /** `NODE_ID`. */
  nodeId: nodeIdSchema("agent-runtime"),
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

const common = {
  nodeId: "agent-runtime",
  businessLogicTimeoutMs: 5000,
  spspEnabled: true,
  sessionTtlMs: 3600000,
  // The connector starts after agent-runtime: retry for about 17 minutes.
  btpMaxRetries: 10,
  resources: plusStorage({
    requests: { cpu: "100m", memory: "128Mi" },
    limits: { cpu: "500m", memory: "256Mi" },
  }),
};

/** agent-runtime: ILP middleware between the connector and agent-society. */
export const agentRuntime = serviceRecord({
  summary: "ILP middleware between the connector and agent-society",
  namespace: "agent-runtime-core",
  app: "agent-runtime",
  ports: PORTS,
  endpoints: { http: { service: "agent-runtime", port: "http", scheme: "http" } },
  calls: [
    {
      to: "agentSociety",
      endpoint: "http",
      env: "BUSINESS_LOGIC_URL",
      why: "middleware calls business logic (POST /handle-payment)",
    },
    {
      to: "agentSociety",
      endpoint: "relay",
      why: "middleware subscribes to the Nostr relay (Story 23.2's relay NetworkPolicy)",
    },
    {
      to: "connector",
      endpoint: "btp",
      env: "CONNECTOR_BTP_URL",
      why: "middleware's BTP link to the connector",
    },
  ],
  image: { repository: "agent-runtime/core", underRegistry: true },
  config: agentRuntimeSchema,
  defaults: {
    staging: {
      ...common,
      imageTag: "staging",
      replicas: 1,
      baseAddress: "test.agent-platform.agent-runtime",
    },
    production: { ...common, replicas: 2, baseAddress: "g.agent-platform.agent-runtime" },
  },
  run: ({ settings, stack, urls }) => ({
    env: {
      PORT: String(PORTS.http),
      NODE_ID: settings.nodeId,
      LOG_LEVEL: stack.logLevel,
      BASE_ADDRESS: settings.baseAddress,
      BUSINESS_LOGIC_URL: urls.BUSINESS_LOGIC_URL,
      BUSINESS_LOGIC_TIMEOUT: String(settings.businessLogicTimeoutMs),
      CONNECTOR_BTP_URL: urls.CONNECTOR_BTP_URL,
      CONNECTOR_BTP_MAX_RETRIES: String(settings.btpMaxRetries),
      SPSP_ENABLED: String(settings.spspEnabled),
      SESSION_TTL_MS: String(settings.sessionTtlMs),
    },
    secrets: {
      // The token the connector knows as BTP_PEER_AGENT_RUNTIME_SECRET.
      CONNECTOR_BTP_AUTH_TOKEN: stack.secrets.btpAuthToken,
    },
    probes: {
      startup: { path: "/health", port: "http" },
      liveness: { path: "/health", port: "http" },
      readiness: { path: "/ready", port: "http" },
    },
    podSecurity: "restricted",
  }),
});
