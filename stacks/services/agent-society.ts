import { z } from "zod";
import { serviceRecord } from "../record";
import {
  count,
  ilpAddressSchema,
  imageTagSchema,
  nodeIdSchema,
  replicasSchema,
  serviceResourcesSchema,
} from "../schema-parts";
import { plusStorage } from "./shared";

/** Ports its `run` also writes into its environment (`BLS_PORT`, `WS_PORT`): named once. */
const PORTS = { http: 3100, ws: 7100 } as const;

/** `agent-platform:agentSociety`. */
const agentSocietySchema = z.strictObject({
  /** Image tag of `agent-society`. */
  imageTag: imageTagSchema,
  replicas: replicasSchema,
  resources: serviceResourcesSchema,
  /** `NODE_ID`: the node's name in logs and peering. */
  nodeId: nodeIdSchema("agent-society"),
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

const common = {
  nodeId: "agent-society",
  assetCode: "USD",
  assetScale: 6,
  basePricePerByte: 10,
  supportedChains: ["evm:base:8453"],
  settlementTimeout: 86400,
  initialDeposit: 1000000,
};

/** Business logic (BLS) and the Nostr relay: Story 23.2's manifests. */
export const agentSociety = serviceRecord({
  summary: "business logic (BLS) and Nostr relay",
  namespace: "agent-society",
  app: "agent-society",
  ports: PORTS,
  endpoints: {
    http: { service: "agent-society", port: "http", scheme: "http" },
    relay: { service: "agent-society-relay", port: "ws", scheme: "ws", headless: true },
  },
  calls: [
    { to: "agentSociety", endpoint: "relay", why: "peer relays exchange Nostr events" },
    {
      to: "connector",
      endpoint: "admin",
      env: "CONNECTOR_ADMIN_URL",
      why: "business logic manages channels through the connector admin API",
    },
    {
      to: "agentRuntime",
      endpoint: "http",
      env: "AGENT_RUNTIME_URL",
      why: "business logic sends payments (POST /ilp/send)",
    },
  ],
  image: { repository: "agent-society", underRegistry: true },
  config: agentSocietySchema,
  // Story 23.2's base manifests are staging's values; its production overlay, production's.
  // Production names its image tag in its stack file: a pinned release, reviewed.
  defaults: {
    staging: {
      ...common,
      imageTag: "staging",
      replicas: 1,
      resources: plusStorage({
        requests: { cpu: "100m", memory: "128Mi" },
        limits: { cpu: "500m", memory: "256Mi" },
      }),
      ilpAddress: "test.agent-platform.agent-society",
    },
    production: {
      ...common,
      replicas: 2,
      resources: plusStorage({
        requests: { cpu: "250m", memory: "256Mi" },
        limits: { cpu: "1000m", memory: "512Mi" },
      }),
      ilpAddress: "g.agent-platform.agent-society",
    },
  },
  run: ({ settings, stack, urls }) => ({
    env: {
      BLS_PORT: String(PORTS.http),
      WS_PORT: String(PORTS.ws),
      ASSET_CODE: settings.assetCode,
      ASSET_SCALE: String(settings.assetScale),
      BASE_PRICE_PER_BYTE: String(settings.basePricePerByte),
      CONNECTOR_ADMIN_URL: urls.CONNECTOR_ADMIN_URL,
      AGENT_RUNTIME_URL: urls.AGENT_RUNTIME_URL,
      LOG_LEVEL: stack.logLevel,
      NODE_ID: settings.nodeId,
      SUPPORTED_CHAINS: settings.supportedChains.join(","),
      SETTLEMENT_TIMEOUT: String(settings.settlementTimeout),
      INITIAL_DEPOSIT: String(settings.initialDeposit),
      // agent-society exits at start without an ILP address.
      ILP_ADDRESS: settings.ilpAddress,
      // Arweave uploads need outbound HTTPS, which the NetworkPolicy does not allow.
      ARDRIVE_ENABLED: "false",
    },
    secrets: {
      NOSTR_SECRET_KEY: stack.secrets.nostrSecretKey,
      // The connector's admin API key (its ADMIN_API_KEY), for CONNECTOR_ADMIN_URL. The domain
      // notes name no variable; this one is named after CONNECTOR_ADMIN_URL (README).
      CONNECTOR_ADMIN_API_KEY: stack.secrets.connectorAdminApiKey,
    },
    probes: {
      startup: { path: "/health", port: "http" },
      liveness: { path: "/health", port: "http" },
      readiness: { path: "/health", port: "http" },
    },
    podSecurity: "restricted",
  }),
});
