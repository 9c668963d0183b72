import * as pulumi from "@pulumi/pulumi";
import { CATALOG, Topology, callUrls } from "../stacks/catalog";
import type { LoadedStackConfig } from "../stacks/config";
import { PLATFORM_REPOSITORIES } from "../stacks/images";
import type { IoUringSeccomp } from "../stacks/tigerbeetle";
import type { ServiceDefinition, StatelessKey } from "./platform-service";
import {
  ioUringPodAnnotations,
  ioUringPodSecurityLevel,
  ioUringSeccompProfile,
} from "./shared/security";

/**
 * How each stateless platform service runs, built from the stack config: image, environment,
 * secrets, probes, and the exceptions each one names. Where it lives, its ports, Services and
 * calls are in its catalog record (`stacks/catalog.ts`); `PlatformService` renders the two.
 * A URL in `env` is always `urls.<VARIABLE>`, from the record's calls.
 */

/** What a definition may use besides its own config section. */
export interface ServiceContext {
  readonly config: LoadedStackConfig;
  readonly topology: Topology;
  /** The ledger, for the connector's TigerBeetle client. */
  readonly tigerbeetle: {
    readonly clusterId: string;
    /** Every replica's `ip:3000` in replica order. */
    readonly addresses: pulumi.Input<string>;
    readonly seccomp: IoUringSeccomp;
  };
}

type Definitions = { readonly [K in StatelessKey]: (ctx: ServiceContext) => ServiceDefinition<K> };

export const SERVICES: Definitions = {
  /**
   * agent-society: the business-logic server (BLS, HTTP) and the Nostr relay (WebSocket) in one
   * pod, as Story 23.2 deploys it.
   */
  agentSociety: ({ config, topology }) => {
    const settings = config.agentSociety;
    const urls = callUrls(topology, "agentSociety");
    const ports = CATALOG.agentSociety.ports;
    return {
      key: "agentSociety",
      componentType: "agent-platform:index:AgentSociety",
      container: "agent-society",
      repository: PLATFORM_REPOSITORIES.agentSociety,
      imageTag: settings.imageTag,
      replicas: settings.replicas,
      resources: settings.resources,
      env: {
        BLS_PORT: String(ports.http),
        WS_PORT: String(ports.ws),
        ASSET_CODE: settings.assetCode,
        ASSET_SCALE: String(settings.assetScale),
        BASE_PRICE_PER_BYTE: String(settings.basePricePerByte),
        CONNECTOR_ADMIN_URL: urls.CONNECTOR_ADMIN_URL,
        AGENT_RUNTIME_URL: urls.AGENT_RUNTIME_URL,
        LOG_LEVEL: config.logLevel,
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
        NOSTR_SECRET_KEY: config.secrets.nostrSecretKey,
        // The connector's admin API key (its ADMIN_API_KEY), for CONNECTOR_ADMIN_URL. The domain
        // notes name no variable; this one is named after CONNECTOR_ADMIN_URL (README).
        CONNECTOR_ADMIN_API_KEY: config.secrets.connectorAdminApiKey,
      },
      probes: {
        startup: { path: "/health", port: "http" },
        liveness: { path: "/health", port: "http" },
        readiness: { path: "/health", port: "http" },
      },
      podSecurity: "restricted",
      disruption: disruptionRule(settings.replicas),
    };
  },

  /**
   * agent-runtime (`agent-runtime/core`): the ILP middleware. It takes packets from the
   * connector (local delivery), asks agent-society's business logic about them, and sends
   * payments for agent-society over its BTP link to the connector.
   */
  agentRuntime: ({ config, topology }) => {
    const settings = config.agentRuntime;
    const urls = callUrls(topology, "agentRuntime");
    return {
      key: "agentRuntime",
      componentType: "agent-platform:index:AgentRuntime",
      container: "agent-runtime",
      repository: PLATFORM_REPOSITORIES.agentRuntime,
      imageTag: settings.imageTag,
      replicas: settings.replicas,
      resources: settings.resources,
      env: {
        PORT: String(CATALOG.agentRuntime.ports.http),
        NODE_ID: settings.nodeId,
        LOG_LEVEL: config.logLevel,
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
        CONNECTOR_BTP_AUTH_TOKEN: config.secrets.btpAuthToken,
      },
      probes: {
        startup: { path: "/health", port: "http" },
        liveness: { path: "/health", port: "http" },
        readiness: { path: "/ready", port: "http" },
      },
      podSecurity: "restricted",
      disruption: { maxUnavailable: 1 },
    };
  },

  /**
   * The ILP connector (`agent-runtime/connector`): BTP for agent-runtime, health, the admin API
   * for agent-society, accounts in TigerBeetle, and local delivery to agent-runtime. Its
   * TigerBeetle client uses io_uring: the same seccomp choice, and Pod Security level, as
   * TigerBeetle's own namespace (README, "io_uring").
   */
  connector: ({ config, topology, tigerbeetle }) => {
    const settings = config.connector;
    const urls = callUrls(topology, "connector");
    const ports = CATALOG.connector.ports;
    return {
      key: "connector",
      componentType: "agent-platform:index:Connector",
      container: "connector",
      repository: PLATFORM_REPOSITORIES.connector,
      imageTag: settings.imageTag,
      replicas: settings.replicas,
      resources: settings.resources,
      env: {
        NODE_ID: settings.nodeId,
        LOG_LEVEL: config.logLevel,
        BTP_SERVER_PORT: String(ports.btp),
        HEALTH_CHECK_PORT: String(ports.health),
        // The admin API is off unless enabled; agent-society manages channels through it.
        ADMIN_API_ENABLED: "true",
        ADMIN_API_PORT: String(ports.admin),
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
        ADMIN_API_KEY: config.secrets.connectorAdminApiKey,
        // agent-runtime's CONNECTOR_BTP_AUTH_TOKEN.
        BTP_PEER_AGENT_RUNTIME_SECRET: config.secrets.btpAuthToken,
      },
      probes: {
        startup: { path: "/health", port: "health" },
        liveness: { path: "/health/live", port: "health" },
        // 503 until TigerBeetle answers: no traffic before the ledger is reachable.
        readiness: { path: "/health/ready", port: "health" },
      },
      podSecurity: ioUringPodSecurityLevel(tigerbeetle.seccomp),
      seccompProfile: ioUringSeccompProfile(tigerbeetle.seccomp),
      podAnnotations: ioUringPodAnnotations(tigerbeetle.seccomp),
      disruption: { maxUnavailable: 1 },
    };
  },
};

/**
 * Story 23.2's `minAvailable: 1` where it is safe: with two or more replicas a drain evicts one
 * pod at a time and one always serves. With one replica (staging) `minAvailable: 1` would block
 * every drain and node upgrade for good, so the budget becomes `maxUnavailable: 1`: the pod may
 * be evicted, and the Deployment starts it again elsewhere.
 */
export function disruptionRule(replicas: number): { minAvailable: 1 } | { maxUnavailable: 1 } {
  return replicas >= 2 ? { minAvailable: 1 } : { maxUnavailable: 1 };
}
