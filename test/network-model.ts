import type { Manifest as RenderedManifest } from "../scripts/render-lib";

/** Rendered objects, read field by field as the API server would. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Manifest = RenderedManifest & { spec: any };

/**
 * Which pod may open which port on which pod, computed from NetworkPolicies alone, with the
 * semantics of the Kubernetes API: a pod selected by no policy of a direction is open in that
 * direction; a selected pod allows only what some selecting policy's rules allow; a connection
 * needs both the source's egress and the destination's ingress. Peers with `ipBlock` match no
 * pod (pod addresses are private, and the stack's ipBlocks exclude private ranges).
 */

type Labels = Record<string, string>;

export interface Pod {
  /** A name for reports: the workload's `app.kubernetes.io/name`, or `kube-dns`. */
  readonly name: string;
  readonly namespace: string;
  readonly labels: Labels;
  readonly ports: readonly { port: number; protocol: string; name?: string }[];
}

export interface Connection {
  readonly from: string;
  readonly to: string;
  readonly port: number;
  readonly protocol: string;
}

/** kube-dns as every cluster runs it, for the DNS rules. */
export const KUBE_DNS: Pod = {
  name: "kube-dns",
  namespace: "kube-system",
  labels: { "k8s-app": "kube-dns" },
  ports: [
    { port: 53, protocol: "UDP" },
    { port: 53, protocol: "TCP" },
  ],
};

/** One pod per workload (Deployment or StatefulSet) of a render, with its container ports. */
export function podsOf(rendered: readonly RenderedManifest[]): Pod[] {
  return (rendered as readonly Manifest[])
    .filter((m) => m.kind === "Deployment" || m.kind === "StatefulSet")
    .map((m) => {
      const template = m.spec.template;
      const containers = [...(template.spec.containers ?? [])];
      return {
        name: template.metadata.labels["app.kubernetes.io/name"],
        namespace: m.metadata.namespace!,
        labels: template.metadata.labels,
        ports: containers.flatMap(
          (c: { ports?: { containerPort: number; protocol?: string; name?: string }[] }) =>
            (c.ports ?? []).map((p) => ({
              port: p.containerPort,
              protocol: p.protocol ?? "TCP",
              name: p.name,
            })),
        ),
      };
    });
}

function matches(
  selector: { matchLabels?: Labels; matchExpressions?: unknown[] } | undefined,
  labels: Labels,
) {
  if (selector === undefined) return true;
  if (selector.matchExpressions !== undefined && selector.matchExpressions.length > 0) {
    throw new Error("matchExpressions are not modelled; extend test/network-model.ts");
  }
  return Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
}

/** The labels the API server gives a namespace, plus the ones the render sets. */
function namespaceLabels(manifests: readonly Manifest[], namespace: string): Labels {
  const object = manifests.find((m) => m.kind === "Namespace" && m.metadata.name === namespace);
  return { ...(object?.metadata.labels ?? {}), "kubernetes.io/metadata.name": namespace };
}

interface Peer {
  podSelector?: { matchLabels?: Labels };
  namespaceSelector?: { matchLabels?: Labels };
  ipBlock?: unknown;
}
interface Rule {
  peers?: Peer[];
  ports?: { port?: number | string; protocol?: string }[];
}

function peerMatches(peer: Peer, policyNamespace: string, pod: Pod, nsLabels: Labels): boolean {
  if (peer.ipBlock !== undefined) return false;
  const namespaceOk =
    peer.namespaceSelector === undefined
      ? pod.namespace === policyNamespace
      : matches(peer.namespaceSelector, nsLabels);
  return namespaceOk && matches(peer.podSelector, pod.labels);
}

function portMatches(rule: Rule, port: Pod["ports"][number]): boolean {
  if (rule.ports === undefined || rule.ports.length === 0) return true;
  return rule.ports.some(
    (p) =>
      (p.protocol ?? "TCP") === port.protocol &&
      (p.port === undefined ||
        p.port === port.port ||
        (port.name !== undefined && p.port === port.name)),
  );
}

/** Every connection the policies of `manifests` allow between `pods`, on the destination's ports. */
export function allowedConnections(
  rendered: readonly RenderedManifest[],
  pods: readonly Pod[],
): Connection[] {
  const manifests = rendered as readonly Manifest[];
  const policies = manifests.filter((m) => m.kind === "NetworkPolicy");
  const selecting = (pod: Pod, type: "Ingress" | "Egress") =>
    policies.filter(
      (p) =>
        p.metadata.namespace === pod.namespace &&
        matches(p.spec.podSelector, pod.labels) &&
        (p.spec.policyTypes ?? ["Ingress"]).includes(type),
    );
  const allows = (pod: Pod, other: Pod, port: Pod["ports"][number], type: "Ingress" | "Egress") => {
    const relevant = selecting(pod, type);
    if (relevant.length === 0) return true;
    const otherNs = namespaceLabels(manifests, other.namespace);
    return relevant.some((policy) => {
      const rules: Rule[] = (
        (type === "Ingress" ? policy.spec.ingress : policy.spec.egress) ?? []
      ).map((r: { from?: Peer[]; to?: Peer[]; ports?: Rule["ports"] }) => ({
        peers: type === "Ingress" ? r.from : r.to,
        ports: r.ports,
      }));
      return rules.some(
        (rule) =>
          (rule.peers === undefined ||
            rule.peers.length === 0 ||
            rule.peers.some((peer) =>
              peerMatches(peer, policy.metadata.namespace!, other, otherNs),
            )) &&
          portMatches(rule, port),
      );
    });
  };
  // Replicas of one workload (TigerBeetle's StatefulSets) are one name in the result.
  const result = new Map<string, Connection>();
  for (const from of pods) {
    for (const to of pods) {
      for (const port of to.ports) {
        if (allows(from, to, port, "Egress") && allows(to, from, port, "Ingress")) {
          const c = { from: from.name, to: to.name, port: port.port, protocol: port.protocol };
          result.set(connectionKey(c), c);
        }
      }
    }
  }
  return [...result.values()];
}

export const connectionKey = (c: Connection) => `${c.from} -> ${c.to}:${c.port}/${c.protocol}`;
