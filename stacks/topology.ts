import type { StackConfig } from "./schema";

/**
 * Where everything lives: namespaces, Service names, ports and cluster URLs, computed once
 * from the stack config. Components create their Namespaces and Services with these names,
 * and every URL a service is given comes from here, so staging's `-staging` suffix reaches
 * every name, URL and NetworkPolicy selector at once. (URLs cannot come from the Service
 * objects themselves: agent-society starts before the connector it calls, and an Output
 * dependency against the start order would deadlock the `dependsOn` chain.)
 */

export const PORTS = {
  tigerbeetle: 3000,
  agentSocietyHttp: 3100,
  agentSocietyWs: 7100,
  agentRuntimeHttp: 3100,
  connectorBtp: 4000,
  connectorHealth: 8080,
  connectorAdmin: 8081,
  kgentsHttp: 8080,
  dns: 53,
} as const;

/** The platform's workloads, in start order. */
export const WORKLOADS = ["tigerbeetle", "agentSociety", "agentRuntime", "connector"] as const;
export type WorkloadKey = (typeof WORKLOADS)[number];

/** A port of a Service, with its cluster DNS name. */
export interface Endpoint {
  readonly service: string;
  readonly namespace: string;
  readonly port: number;
  /** `<service>.<namespace>.svc.cluster.local` */
  readonly host: string;
}

export interface WorkloadPlacement {
  /** Value of `app.kubernetes.io/name` on its pods, the label its selectors use. */
  readonly app: string;
  readonly namespace: string;
}

export interface Topology {
  /** The stack's suffix for namespaces and names, e.g. `-staging`. */
  readonly suffix: string;
  readonly workloads: { readonly [K in WorkloadKey]: WorkloadPlacement };
  readonly agentSociety: {
    /** ClusterIP Service for the business-logic HTTP API. */
    readonly bls: Endpoint;
    /** Headless Service for the Nostr relay WebSocket. */
    readonly relay: Endpoint;
  };
  readonly agentRuntime: { readonly http: Endpoint };
  readonly connector: {
    readonly btp: Endpoint;
    readonly health: Endpoint;
    readonly admin: Endpoint;
  };
  readonly tigerbeetle: { readonly client: Endpoint };
  /** The kgents agents' namespaces: long-running agents, and short-lived ones. */
  readonly kgents: { readonly agents: string; readonly ephemeral: string };
}

/** Base names as the real system uses them in production. */
const BASE = {
  tigerbeetle: { namespace: "tigerbeetle", app: "tigerbeetle" },
  agentSociety: { namespace: "agent-society", app: "agent-society" },
  agentRuntime: { namespace: "agent-runtime-core", app: "agent-runtime" },
  connector: { namespace: "agent-runtime", app: "connector" },
} as const;

export function buildTopology(config: Pick<StackConfig, "namespaceSuffix">): Topology {
  const suffix = config.namespaceSuffix;
  const namespace = (key: WorkloadKey) => `${BASE[key].namespace}${suffix}`;
  const endpoint = (key: WorkloadKey, service: string, port: number): Endpoint => {
    const name = `${service}${suffix}`;
    return {
      service: name,
      namespace: namespace(key),
      port,
      host: `${name}.${namespace(key)}.svc.cluster.local`,
    };
  };
  const workloads = Object.fromEntries(
    WORKLOADS.map((key) => [key, { app: BASE[key].app, namespace: namespace(key) }]),
  ) as Topology["workloads"];

  return {
    suffix,
    workloads,
    agentSociety: {
      bls: endpoint("agentSociety", "agent-society", PORTS.agentSocietyHttp),
      relay: endpoint("agentSociety", "agent-society-relay", PORTS.agentSocietyWs),
    },
    agentRuntime: { http: endpoint("agentRuntime", "agent-runtime", PORTS.agentRuntimeHttp) },
    connector: {
      btp: endpoint("connector", "connector", PORTS.connectorBtp),
      health: endpoint("connector", "connector", PORTS.connectorHealth),
      admin: endpoint("connector", "connector", PORTS.connectorAdmin),
    },
    tigerbeetle: { client: endpoint("tigerbeetle", "tigerbeetle", PORTS.tigerbeetle) },
    kgents: { agents: `kgents-agents${suffix}`, ephemeral: `kgents-ephemeral${suffix}` },
  };
}

/** `app.kubernetes.io/name` of a kgents agent's pods: `b-gent`, `psi-gent`. */
export function agentApp(genus: string): string {
  return `${genus.toLowerCase()}-gent`;
}

/** The Service of a kgents agent: `<genus lowercase>-gent<suffix>` on 8080 in `kgents-agents`. */
export function agentEndpoint(topology: Topology, genus: string): Endpoint {
  const service = `${agentApp(genus)}${topology.suffix}`;
  const namespace = topology.kgents.agents;
  return {
    service,
    namespace,
    port: PORTS.kgentsHttp,
    host: `${service}.${namespace}.svc.cluster.local`,
  };
}

/** `scheme://host:port` of an endpoint, e.g. `http://connector.agent-runtime.svc.cluster.local:8081`. */
export function urlOf(endpoint: Endpoint, scheme: "http" | "ws"): string {
  return `${scheme}://${endpoint.host}:${endpoint.port}`;
}
