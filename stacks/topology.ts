import { Endpoint, PORTS, Topology } from "./catalog";

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
  const namespace = topology.kgents.agents;
  return {
    service,
    namespace,
    port: PORTS.kgentsHttp,
    host: `${service}.${namespace}.svc.cluster.local`,
    scheme: "http",
  };
}
