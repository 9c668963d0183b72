import { z } from "zod";
import { ioUringException } from "../io-uring";
import { serviceRecord } from "../record";
import {
  count,
  imageTagSchema,
  nodeIdSchema,
  replicasSchema,
  serviceResourcesSchema,
} from "../schema-parts";
import { plusStorage } from "./shared";

const PORTS = { btp: 4000, health: 8080, admin: 8081 } as const;

/** `agent-platform:connector`. Settlement stays off: it needs outbound HTTPS to chain RPCs (README). */
const connectorSchema = z.strictObject({
  /** Image tag of `agent-runtime/connector`. */
  imageTag: imageTagSchema,
  replicas: replicasSchema,
  resources: serviceResourcesSchema,
  /** `NODE_ID`. */
  nodeId: nodeIdSchema("connector"),
  /** `SETTLEMENT_PREFERENCE`: the chain family settlement would use. */
  settlementPreference: z.enum(["evm"]),
  /** `SETTLEMENT_THRESHOLD` in asset units. */
  settlementThreshold: count(z.number().int().min(0)),
});
export type ConnectorConfig = z.infer<typeof connectorSchema>;

const common = {
  nodeId: "connector",
  settlementPreference: "evm" as const,
  settlementThreshold: 1000000,
  resources: plusStorage({
    requests: { cpu: "250m", memory: "512Mi" },
    limits: { cpu: "1000m", memory: "1Gi" },
  }),
};

/** The ILP connector, with its accounts in TigerBeetle. */
export const connector = serviceRecord({
  summary: "ILP connector, accounts in TigerBeetle",
  namespace: "agent-runtime",
  app: "connector",
  ports: PORTS,
  endpoints: {
    btp: { service: "connector", port: "btp", scheme: "ws" },
    health: { service: "connector", port: "health", scheme: "http" },
    admin: { service: "connector", port: "admin", scheme: "http" },
  },
  calls: [
    {
      to: "tigerbeetle",
      endpoint: "headless",
      why: "the connector's TigerBeetle client talks to every replica (TIGERBEETLE_REPLICAS)",
    },
    {
      to: "agentRuntime",
      endpoint: "http",
      env: "LOCAL_DELIVERY_URL",
      why: "the connector delivers incoming packets locally (POST /ilp/packets)",
    },
  ],
  image: { repository: "agent-runtime/connector", underRegistry: true },
  config: connectorSchema,
  defaults: {
    staging: { ...common, imageTag: "staging", replicas: 1 },
    production: { ...common, replicas: 2 },
  },
  run: ({ settings, stack, urls, tigerbeetle }) => ({
    env: {
      NODE_ID: settings.nodeId,
      LOG_LEVEL: stack.logLevel,
      BTP_SERVER_PORT: String(PORTS.btp),
      HEALTH_CHECK_PORT: String(PORTS.health),
      // The admin API is off unless enabled; agent-society manages channels through it.
      ADMIN_API_ENABLED: "true",
      ADMIN_API_PORT: String(PORTS.admin),
      // Settlement needs outbound HTTPS to chain RPCs, which the NetworkPolicy does not allow.
      SETTLEMENT_ENABLED: "false",
      SETTLEMENT_PREFERENCE: settings.settlementPreference,
      SETTLEMENT_THRESHOLD: String(settings.settlementThreshold),
      TIGERBEETLE_CLUSTER_ID: tigerbeetle.clusterId,
      TIGERBEETLE_REPLICAS: tigerbeetle.addresses,
      LOCAL_DELIVERY_ENABLED: "true",
      LOCAL_DELIVERY_URL: urls.LOCAL_DELIVERY_URL,
    },
    secrets: {
      ADMIN_API_KEY: stack.secrets.connectorAdminApiKey,
      // agent-runtime's CONNECTOR_BTP_AUTH_TOKEN.
      BTP_PEER_AGENT_RUNTIME_SECRET: stack.secrets.btpAuthToken,
    },
    probes: {
      startup: { path: "/health", port: "health" },
      liveness: { path: "/health/live", port: "health" },
      // 503 until TigerBeetle answers: no traffic before the ledger is reachable.
      readiness: { path: "/health/ready", port: "health" },
    },
    // Its TigerBeetle client uses io_uring: the ledger's seccomp choice (stacks/io-uring.ts).
    ...ioUringException(tigerbeetle.seccomp),
  }),
});
