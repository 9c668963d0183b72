import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { DNS, Flow } from "../../stacks/catalog";
import { Topology } from "../../stacks/topology";
import { selectorLabels } from "./labels";

type NetworkPolicyPeer = k8s.types.input.networking.v1.NetworkPolicyPeer;
type NetworkPolicyIngressRule = k8s.types.input.networking.v1.NetworkPolicyIngressRule;
type NetworkPolicyEgressRule = k8s.types.input.networking.v1.NetworkPolicyEgressRule;

/** The label every namespace carries (set by Kubernetes since 1.21), used to select one. */
const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/** A peer that is exactly one app's pods in exactly one namespace. */
function podsPeer(namespace: string, podLabels: Record<string, string>): NetworkPolicyPeer {
  return {
    namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } },
    podSelector: { matchLabels: podLabels },
  };
}

/**
 * Egress to kube-dns, or to NodeLocal DNSCache where a cluster runs it, on UDP and TCP 53: every
 * pod that resolves names needs it.
 */
function dnsEgressRule(): NetworkPolicyEgressRule {
  return {
    to: [podsPeer(DNS.namespace, { ...DNS.podLabels }), { ipBlock: { cidr: DNS.nodeLocalCache } }],
    ports: DNS.protocols.map((protocol) => ({ protocol, port: DNS.port })),
  };
}

/**
 * A policy that selects every pod of a namespace and allows nothing: with it, only what
 * another policy allows gets through, in either direction.
 */
export function defaultDenyPolicy(
  name: string,
  namespace: pulumi.Input<string>,
  annotations: Record<string, string>,
  opts: pulumi.CustomResourceOptions,
): k8s.networking.v1.NetworkPolicy {
  return new k8s.networking.v1.NetworkPolicy(
    name,
    {
      metadata: { name: "default-deny", namespace, annotations },
      spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    },
    opts,
  );
}

/** The pods of one app in one namespace: one end of a call. */
export interface PodGroup {
  readonly namespace: string;
  readonly app: string;
}

/** One declared call: `from`'s pods may open `port` on `to`'s pods. */
export interface PodFlow {
  readonly from: PodGroup;
  readonly to: PodGroup;
  readonly port: number;
}

const sameGroup = (a: PodGroup, b: PodGroup) => a.namespace === b.namespace && a.app === b.app;
const peerOf = (group: PodGroup) => podsPeer(group.namespace, selectorLabels(group.app));

/** One rule per port of `flows`, its peers in flow order. */
function groupByPort(flows: readonly PodFlow[], end: (flow: PodFlow) => PodGroup) {
  const ports = [...new Set(flows.map((f) => f.port))];
  return ports.map((port) => ({
    peers: flows.filter((f) => f.port === port).map((f) => peerOf(end(f))),
    ports: [{ protocol: "TCP", port }],
  }));
}

/**
 * The one way a policy is made from declared calls, for services and agents alike: the allow
 * policy of `self`, with ingress from every flow that ends at it and egress to every flow that
 * starts at it (each end of a call gets its half), DNS first, then `extraEgress`, an exception its
 * caller names (an agent's `allowEgress`). A call between an agent and a platform service would
 * be one more flow here, declared like any other.
 */
export function allowPolicySpec(
  self: PodGroup,
  flows: readonly PodFlow[],
  extraEgress: readonly NetworkPolicyEgressRule[] = [],
): k8s.types.input.networking.v1.NetworkPolicySpec {
  const ingress: NetworkPolicyIngressRule[] = groupByPort(
    flows.filter((f) => sameGroup(f.to, self)),
    (f) => f.from,
  ).map((r) => ({ from: r.peers, ports: r.ports }));
  const egress: NetworkPolicyEgressRule[] = [
    dnsEgressRule(),
    ...groupByPort(
      flows.filter((f) => sameGroup(f.from, self)),
      (f) => f.to,
    ).map((r) => ({ to: r.peers, ports: r.ports })),
    ...extraEgress,
  ];
  return {
    podSelector: { matchLabels: selectorLabels(self.app) },
    policyTypes: ["Ingress", "Egress"],
    ingress,
    egress,
  };
}

/** The traffic matrix's flows (the catalog's calls) between the pods of a stack's services. */
export function serviceFlows(topology: Topology, flows: readonly Flow[]): PodFlow[] {
  return flows.map((f) => ({
    from: topology.workloads[f.from],
    to: topology.workloads[f.to],
    port: f.port,
  }));
}
