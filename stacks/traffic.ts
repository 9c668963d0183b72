import { PORTS, WorkloadKey } from "./topology";

/**
 * The intended traffic of the platform, written down once: who may open which port on whom.
 * The NetworkPolicies are generated from this list (every namespace denies everything else by
 * default), and a test recomputes reachability from the registered policies and compares it
 * with this list. DNS to kube-dns is allowed to every workload and is not repeated here.
 */
export interface Flow {
  readonly from: WorkloadKey;
  readonly to: WorkloadKey;
  readonly port: number;
  /** Why the flow exists, for the README and for review. */
  readonly why: string;
}

export const FLOWS: readonly Flow[] = [
  {
    from: "tigerbeetle",
    to: "tigerbeetle",
    port: PORTS.tigerbeetle,
    why: "replicas replicate to each other (through each replica's ClusterIP Service)",
  },
  {
    from: "connector",
    to: "tigerbeetle",
    port: PORTS.tigerbeetle,
    why: "the connector's TigerBeetle client talks to every replica",
  },
  {
    from: "agentRuntime",
    to: "agentSociety",
    port: PORTS.agentSocietyHttp,
    why: "middleware calls business logic (POST /handle-payment)",
  },
  {
    from: "agentRuntime",
    to: "agentSociety",
    port: PORTS.agentSocietyWs,
    why: "middleware subscribes to the Nostr relay (Story 23.2's relay NetworkPolicy)",
  },
  {
    from: "agentSociety",
    to: "agentSociety",
    port: PORTS.agentSocietyWs,
    why: "peer relays exchange Nostr events",
  },
  {
    from: "agentSociety",
    to: "connector",
    port: PORTS.connectorAdmin,
    why: "business logic manages channels through the connector admin API",
  },
  {
    from: "agentSociety",
    to: "agentRuntime",
    port: PORTS.agentRuntimeHttp,
    why: "business logic sends payments (POST /ilp/send)",
  },
  {
    from: "agentRuntime",
    to: "connector",
    port: PORTS.connectorBtp,
    why: "middleware's BTP link to the connector (CONNECTOR_BTP_URL)",
  },
  {
    from: "connector",
    to: "agentRuntime",
    port: PORTS.agentRuntimeHttp,
    why: "the connector delivers incoming packets locally (POST /ilp/packets)",
  },
];

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
