import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { DNS, FLOWS, Flow, WorkloadKey } from "../../stacks/catalog";
import { Topology } from "../../stacks/topology";
import { selectorLabels } from "./labels";

type NetworkPolicyPeer = k8s.types.input.networking.v1.NetworkPolicyPeer;
type NetworkPolicyIngressRule = k8s.types.input.networking.v1.NetworkPolicyIngressRule;
type NetworkPolicyEgressRule = k8s.types.input.networking.v1.NetworkPolicyEgressRule;

/** The label every namespace carries (set by Kubernetes since 1.21), used to select one. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/** A peer that is exactly one app's pods in exactly one namespace. */
export function podsPeer(namespace: string, podLabels: Record<string, string>): NetworkPolicyPeer {
  return {
    namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } },
    podSelector: { matchLabels: podLabels },
  };
}

/**
 * Egress to kube-dns, or to NodeLocal DNSCache where a cluster runs it, on UDP and TCP 53: every
 * pod that resolves names needs it.
 */
export function dnsEgressRule(): NetworkPolicyEgressRule {
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

/** One rule per (peer, port) pair in `flows`, grouped by port, peers in flow order. */
function groupByPort(flows: readonly Flow[], peerOf: (flow: Flow) => NetworkPolicyPeer) {
  const ports = [...new Set(flows.map((f) => f.port))];
  return ports.map((port) => ({
    peers: flows.filter((f) => f.port === port).map(peerOf),
    ports: [{ protocol: "TCP", port }],
  }));
}

/**
 * The allow rules of one platform workload, computed from the traffic matrix (`FLOWS`, the
 * catalog's calls):
 * ingress from every flow that ends at it, egress to every flow that starts at it, and DNS.
 */
export function workloadPolicySpec(
  key: WorkloadKey,
  topology: Topology,
  flows: readonly Flow[] = FLOWS,
): k8s.types.input.networking.v1.NetworkPolicySpec {
  const peer = (k: WorkloadKey) =>
    podsPeer(topology.workloads[k].namespace, selectorLabels(topology.workloads[k].app));
  const ingress: NetworkPolicyIngressRule[] = groupByPort(
    flows.filter((f) => f.to === key),
    (f) => peer(f.from),
  ).map((r) => ({ from: r.peers, ports: r.ports }));
  const egress: NetworkPolicyEgressRule[] = [
    dnsEgressRule(),
    ...groupByPort(
      flows.filter((f) => f.from === key),
      (f) => peer(f.to),
    ).map((r) => ({ to: r.peers, ports: r.ports })),
  ];
  return {
    podSelector: { matchLabels: selectorLabels(topology.workloads[key].app) },
    policyTypes: ["Ingress", "Egress"],
    ingress,
    egress,
  };
}
