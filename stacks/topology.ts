import { Catalog, PORTS, startOrder } from "./catalog";
import type { Scheme } from "./record";

/**
 * Where everything lives for a stack: the catalog's namespaces, Service names, hosts and URLs
 * with the stack's suffix, and the kgents agents' names beside them. Computed once per stack
 * (`buildTopology`); every name, host and URL a component writes comes from here.
 */

/** A port of a Service, with its cluster DNS name. */
interface Endpoint {
  readonly service: string;
  readonly namespace: string;
  readonly port: number;
  /** `<service>.<namespace>.svc.cluster.local` */
  readonly host: string;
  readonly scheme: Scheme;
}

interface WorkloadPlacement {
  /** Value of `app.kubernetes.io/name` on its pods, the label its selectors use. */
  readonly app: string;
  readonly namespace: string;
}

export interface Topology {
  /** The stack's suffix for namespaces and names, e.g. `-staging`. */
  readonly suffix: string;
  /** Every service's pods, by its key in the catalog. */
  readonly workloads: Readonly<Record<string, WorkloadPlacement>>;
  /** Every endpoint of every service, by its key in the catalog, then the endpoint's. */
  readonly endpoints: Readonly<Record<string, Readonly<Record<string, Endpoint>>>>;
  /** The kgents agents' namespaces: long-running agents, and short-lived ones. */
  readonly kgents: { readonly agents: string; readonly ephemeral: string };
}

/** A port of the Service `service` in `namespace`, with its cluster DNS name: the one place it is spelt. */
function serviceEndpoint(
  service: string,
  namespace: string,
  port: number,
  scheme: Scheme,
): Endpoint {
  return { service, namespace, port, host: `${service}.${namespace}.svc.cluster.local`, scheme };
}

/**
 * Where everything lives for a stack: the catalog with the stack's suffix on every namespace and
 * Service name. (URLs cannot come from the Service objects themselves: agent-society starts
 * before the connector it calls, and an Output dependency against the start order would
 * deadlock the `dependsOn` chain.)
 */
export function buildTopology(
  config: { readonly namespaceSuffix: string },
  catalog: Catalog,
): Topology {
  const suffix = config.namespaceSuffix;
  const workloads: Record<string, WorkloadPlacement> = {};
  const endpoints: Record<string, Record<string, Endpoint>> = {};
  for (const key of startOrder(catalog)) {
    const record = catalog[key];
    const namespace = `${record.namespace}${suffix}`;
    workloads[key] = { app: record.app, namespace };
    endpoints[key] = Object.fromEntries(
      Object.entries(record.endpoints).map(([name, e]) => [
        name,
        serviceEndpoint(`${e.service}${suffix}`, namespace, record.ports[e.port], e.scheme),
      ]),
    );
  }
  return {
    suffix,
    workloads,
    endpoints,
    kgents: { agents: `kgents-agents${suffix}`, ephemeral: `kgents-ephemeral${suffix}` },
  };
}

/** `scheme://host:port`, or `host:port` for `tcp`: e.g. `http://connector.agent-runtime.svc.cluster.local:8081`. */
export function urlOf(endpoint: Endpoint): string {
  const address = `${endpoint.host}:${endpoint.port}`;
  return endpoint.scheme === "tcp" ? address : `${endpoint.scheme}://${address}`;
}

/** A service's endpoints as URLs, by endpoint key: its stack outputs' `endpoints`. */
export function endpointUrls(topology: Topology, key: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(topology.endpoints[key]).map(([name, endpoint]) => [name, urlOf(endpoint)]),
  );
}

/**
 * The URLs a service is given: one per call that names a variable, by that variable. The only
 * way a component gets another service's URL, so every URL it holds is a call, with its flow.
 */
export function callUrls(
  topology: Topology,
  key: string,
  catalog: Catalog,
): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const call of catalog[key].calls) {
    if (call.env !== undefined) urls[call.env] = urlOf(topology.endpoints[call.to][call.endpoint]);
  }
  return urls;
}

/**
 * Names of the kgents agents, which are not in the service catalog (`catalog.ts`): each spec is
 * an agent of its own, in the `kgents-agents` namespace, on port 8080.
 */

/** `app.kubernetes.io/name` of a kgents agent's pods: `b-gent`, `psi-gent`. */
export function agentApp(genus: string): string {
  return `${genus.toLowerCase()}-gent`;
}

/** The Service of a kgents agent: `<genus lowercase>-gent<suffix>` on 8080 in `kgents-agents`. */
export function agentEndpoint(topology: Topology, genus: string): Endpoint {
  const service = `${agentApp(genus)}${topology.suffix}`;
  return serviceEndpoint(service, topology.kgents.agents, PORTS.kgentsHttp, "http");
}
