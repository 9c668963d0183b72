/**
 * The service catalog: every fact about the platform's services written once. One record per
 * service says where it lives (namespace, app label), what it offers (named ports, and the
 * Services and URLs in front of them) and whom it calls (`calls`, each with the port it calls
 * and, when the service is told where, the variable that carries the URL). Everything else is
 * derived from these records:
 *
 * - the topology (`buildTopology`): namespaces, Service names, hosts, with the stack's suffix;
 * - the traffic matrix (`FLOWS`), and from it every NetworkPolicy and the traffic test;
 * - the URLs a service is given (`callUrls`): a URL exists only as a call, so it always has its
 *   flow, and a call always has its NetworkPolicy rules;
 * - the stack outputs' `endpoints` and `startOrder`, and the README's service table.
 *
 * A stateless service's record also says how it runs (`run`: image, environment, secrets, probes,
 * resources and the exceptions it names), which `PlatformService` renders; TigerBeetle, whose
 * nature differs, has a component of its own (`components/tigerbeetle.ts`) and no `run`.
 * No resources are created here.
 */

import type * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import { ioUringPodAnnotations, ioUringPodSecurityLevel, ioUringSeccompProfile } from "./io-uring";
import type { LoadedStackConfig } from "./config";
import { PLATFORM_REPOSITORIES } from "./images";
import type { Resources } from "./schema";
import type { IoUringSeccomp } from "./io-uring";

/** The platform's services, in start order (each waits for the one before it). */
export const WORKLOADS = ["tigerbeetle", "agentSociety", "agentRuntime", "connector"] as const;
export type WorkloadKey = (typeof WORKLOADS)[number];

/** How a client reaches an endpoint: its URL scheme, or `tcp` for a bare `host:port`. */
export type Scheme = "http" | "ws" | "tcp";

export interface EndpointRecord {
  /** The Service's base name (the stack's suffix is appended). */
  readonly service: string;
  /** The named port (of the record's `ports`) behind it. */
  readonly port: string;
  readonly scheme: Scheme;
  /** A headless Service (`clusterIP: None`): DNS returns the pods. */
  readonly headless?: boolean;
}

export interface CallRecord {
  readonly to: WorkloadKey;
  /** An endpoint of `to`. */
  readonly endpoint: string;
  /** The variable that gives the caller this endpoint's URL; none when it finds it otherwise. */
  readonly env?: string;
  /** Why the call exists, for the README and for review. */
  readonly why: string;
}

/** What a record's `run` may use besides its own config section. */
export interface RunContext {
  readonly config: LoadedStackConfig;
  /** The URLs of the record's calls, by variable (`callUrls`): the only URLs `env` may hold. */
  readonly urls: Readonly<Record<string, string>>;
  /** The ledger, for the connector's TigerBeetle client. */
  readonly tigerbeetle: {
    readonly clusterId: string;
    /** Every replica's `ip:3000` in replica order. */
    readonly addresses: pulumi.Input<string>;
    readonly seccomp: IoUringSeccomp;
  };
}

/** An HTTP GET probe on one of the record's named ports. */
export interface HttpProbe {
  readonly path: string;
  readonly port: string;
}

/**
 * How a stateless service runs, for one stack: what `PlatformService` renders. (Its component's
 * type token is `agent-platform:index:<Key>`, its container is named after its app.)
 */
export interface RunSpec {
  /** Repository under `imageRegistry` (`PLATFORM_REPOSITORIES`), and its tag or digest. */
  readonly repository: string;
  readonly imageTag: string;
  readonly replicas: number;
  readonly resources: Resources;
  /** The ConfigMap, loaded as environment variables; its URLs are exactly `urls`. */
  readonly env: Readonly<Record<string, pulumi.Input<string>>>;
  /** The Secret, loaded after the ConfigMap; values are secret Outputs. */
  readonly secrets: Readonly<Record<string, pulumi.Input<string>>>;
  readonly probes: {
    readonly startup: HttpProbe;
    readonly liveness: HttpProbe;
    readonly readiness: HttpProbe;
  };
  /** The namespace's Pod Security level: `restricted` unless the record says why not. */
  readonly podSecurity: "restricted" | "baseline" | "privileged";
  /** Replaces RuntimeDefault, for a reason the record gives (the connector's io_uring). */
  readonly seccompProfile?: k8s.types.input.core.v1.SeccompProfile;
  readonly podAnnotations?: Record<string, string>;
}

export interface ServiceRecord {
  /** What the service is, in a few words (README). */
  readonly summary: string;
  /** Base namespace, as the real system names it in production. */
  readonly namespace: string;
  /** `app.kubernetes.io/name` of its pods: the label every selector and policy uses. */
  readonly app: string;
  /** Named container ports; a Service port has the same name and number as its container port. */
  readonly ports: Readonly<Record<string, number>>;
  /** What clients use, by the key the stack outputs show it under. */
  readonly endpoints: Readonly<Record<string, EndpointRecord>>;
  readonly calls: readonly CallRecord[];
  /** How it runs, when it is a stateless service (`PlatformService`). */
  readonly run?: (ctx: RunContext) => RunSpec;
}

/** Ports a record's `run` also writes into its environment (`BLS_PORT`, ...): named once. */
const AGENT_SOCIETY_PORTS = { http: 3100, ws: 7100 } as const;
const AGENT_RUNTIME_PORTS = { http: 3100 } as const;
const CONNECTOR_PORTS = { btp: 4000, health: 8080, admin: 8081 } as const;

export const CATALOG = {
  tigerbeetle: {
    summary: "the ledger (StatefulSets, one per replica)",
    namespace: "tigerbeetle",
    app: "tigerbeetle",
    ports: { tigerbeetle: 3000 },
    endpoints: {
      /** Over all replicas, DNS only: clients take every replica's address (`addresses`). */
      headless: { service: "tigerbeetle", port: "tigerbeetle", scheme: "tcp", headless: true },
    },
    calls: [
      {
        to: "tigerbeetle",
        endpoint: "headless",
        why: "replicas replicate to each other (through each replica's ClusterIP Service)",
      },
    ],
  },
  agentSociety: {
    summary: "business logic (BLS) and Nostr relay",
    namespace: "agent-society",
    app: "agent-society",
    ports: AGENT_SOCIETY_PORTS,
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
    run: ({ config, urls }) => {
      const settings = config.agentSociety;
      return {
        repository: PLATFORM_REPOSITORIES.agentSociety,
        ...sized(settings),
        env: {
          BLS_PORT: String(AGENT_SOCIETY_PORTS.http),
          WS_PORT: String(AGENT_SOCIETY_PORTS.ws),
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
      };
    },
  },
  agentRuntime: {
    summary: "ILP middleware between the connector and agent-society",
    namespace: "agent-runtime-core",
    app: "agent-runtime",
    ports: AGENT_RUNTIME_PORTS,
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
    run: ({ config, urls }) => {
      const settings = config.agentRuntime;
      return {
        repository: PLATFORM_REPOSITORIES.agentRuntime,
        ...sized(settings),
        env: {
          PORT: String(AGENT_RUNTIME_PORTS.http),
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
      };
    },
  },
  connector: {
    summary: "ILP connector, accounts in TigerBeetle",
    namespace: "agent-runtime",
    app: "connector",
    ports: CONNECTOR_PORTS,
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
    run: ({ config, urls, tigerbeetle }) => {
      const settings = config.connector;
      return {
        repository: PLATFORM_REPOSITORIES.connector,
        ...sized(settings),
        env: {
          NODE_ID: settings.nodeId,
          LOG_LEVEL: config.logLevel,
          BTP_SERVER_PORT: String(CONNECTOR_PORTS.btp),
          HEALTH_CHECK_PORT: String(CONNECTOR_PORTS.health),
          // The admin API is off unless enabled; agent-society manages channels through it.
          ADMIN_API_ENABLED: "true",
          ADMIN_API_PORT: String(CONNECTOR_PORTS.admin),
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
      };
    },
  },
} as const satisfies Record<WorkloadKey, ServiceRecord>;

// A call or endpoint that names what does not exist stops the program at once, with the reason
// (stacks/catalog.ts is code: a fifth service's record is checked before anything is derived).
{
  const problems = catalogProblems(CATALOG);
  if (problems.length > 0) throw new Error(`service catalog: ${problems.join("; ")}`);
}

/** The catalog's services that run as a Deployment: those whose record has `run`. */
export type StatelessKey = {
  [K in WorkloadKey]: (typeof CATALOG)[K] extends { run: unknown } ? K : never;
}[WorkloadKey];

/** The stateless services, in start order: each is a `PlatformService`. */
export const STATELESS: readonly StatelessKey[] = WORKLOADS.filter(
  (key): key is StatelessKey => (CATALOG[key] as ServiceRecord).run !== undefined,
);

/** Any catalog: the shipped one, or one a test builds. */
export type Catalog = Readonly<Record<WorkloadKey, ServiceRecord>>;

/** A record's endpoint keys, as a type: the keys of its outputs' `endpoints`. */
export type EndpointKey<K extends WorkloadKey> = keyof (typeof CATALOG)[K]["endpoints"] & string;
/** The variables that carry a caller's URLs. */
export type CallEnv<K extends WorkloadKey> = Extract<
  (typeof CATALOG)[K]["calls"][number],
  { env: string }
>["env"];

/** Ports outside the platform's services. */
export const PORTS = { kgentsHttp: 8080, dns: 53 } as const;

/** One allowed connection: `from`'s pods may open `port` on `to`'s pods. */
export interface Flow {
  readonly from: WorkloadKey;
  readonly to: WorkloadKey;
  readonly port: number;
  readonly why: string;
}

/**
 * The traffic matrix: every call of every record, as the port it opens. The NetworkPolicies are
 * generated from it (every namespace denies everything else by default), and a test recomputes
 * reachability from the registered policies and compares it with this list. DNS is allowed to
 * every workload and is not repeated here (`DNS`).
 */
export function flowsOf(catalog: Catalog): Flow[] {
  return WORKLOADS.flatMap((from) =>
    catalog[from].calls.map((call) => {
      const target = catalog[call.to];
      const port = target.ports[target.endpoints[call.endpoint].port];
      return { from, to: call.to, port, why: call.why };
    }),
  );
}
export const FLOWS: readonly Flow[] = flowsOf(CATALOG);

/**
 * The DNS rule every workload gets: UDP and TCP 53 to kube-dns in kube-system, and to
 * NodeLocal DNSCache, whose pods run on the host network and answer on the link-local address
 * 169.254.20.10 (its default), which no pod selector can match.
 */
export const DNS = {
  namespace: "kube-system",
  podLabels: { "k8s-app": "kube-dns" },
  nodeLocalCache: "169.254.20.10/32",
  port: PORTS.dns,
  protocols: ["UDP", "TCP"],
} as const;

/** What is inconsistent in a catalog: a call or endpoint naming what does not exist. */
export function catalogProblems(catalog: Catalog): string[] {
  const problems: string[] = [];
  for (const key of WORKLOADS) {
    const record = catalog[key];
    for (const [name, e] of Object.entries(record.endpoints)) {
      if (!(e.port in record.ports)) problems.push(`${key}.endpoints.${name}: no port ${e.port}`);
    }
    const envs = new Set<string>();
    for (const call of record.calls) {
      if (!(call.endpoint in catalog[call.to].endpoints)) {
        problems.push(`${key} calls ${call.to}.${call.endpoint}: no such endpoint`);
      }
      if (call.env !== undefined && envs.has(call.env)) {
        problems.push(`${key}: two calls give ${call.env}`);
      }
      if (call.env !== undefined) envs.add(call.env);
    }
  }
  return problems;
}

/** A service section's image tag, replicas and resources, as a `RunSpec` takes them. */
function sized(settings: { imageTag: string; replicas: number; resources: Resources }) {
  const { imageTag, replicas, resources } = settings;
  return { imageTag, replicas, resources };
}
