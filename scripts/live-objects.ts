/**
 * The few fields of live Kubernetes objects that `npm run budget -- --live` and `npm run agents`
 * read, as `kubectl get -o json` returns them, and small pure helpers over them.
 */

interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly creationTimestamp?: string;
  readonly deletionTimestamp?: string;
}

export interface ResourceList {
  readonly [resource: string]: string;
}

interface Container {
  readonly name: string;
  readonly image?: string;
  readonly resources?: { readonly requests?: ResourceList; readonly limits?: ResourceList };
}

interface ContainerState {
  readonly waiting?: { readonly reason?: string; readonly message?: string };
  readonly terminated?: {
    readonly reason?: string;
    readonly message?: string;
    readonly exitCode?: number;
    readonly finishedAt?: string;
  };
}

export interface ContainerStatus {
  readonly name: string;
  readonly restartCount?: number;
  readonly state?: ContainerState;
  readonly lastState?: ContainerState;
}

interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
  readonly lastTransitionTime?: string;
}

export interface Pod {
  readonly kind: "Pod";
  readonly metadata: ObjectMeta;
  readonly spec: {
    readonly containers: readonly Container[];
    readonly initContainers?: readonly Container[];
  };
  readonly status?: {
    readonly phase?: string;
    readonly reason?: string;
    readonly message?: string;
    readonly conditions?: readonly Condition[];
    readonly containerStatuses?: readonly ContainerStatus[];
    readonly initContainerStatuses?: readonly ContainerStatus[];
  };
}

export interface Deployment {
  readonly kind: "Deployment";
  readonly metadata: ObjectMeta;
  readonly spec: {
    readonly replicas?: number;
    readonly template: { readonly spec: { readonly containers: readonly Container[] } };
  };
  readonly status?: {
    readonly readyReplicas?: number;
    readonly updatedReplicas?: number;
    readonly conditions?: readonly Condition[];
  };
}

interface ReplicaSet {
  readonly kind: "ReplicaSet";
  readonly metadata: ObjectMeta;
}

interface ResourceQuota {
  readonly kind: "ResourceQuota";
  readonly metadata: ObjectMeta;
  readonly status?: { readonly hard?: ResourceList; readonly used?: ResourceList };
}

export interface KubeEvent {
  readonly kind: "Event";
  readonly metadata: ObjectMeta;
  readonly involvedObject: { readonly kind?: string; readonly name?: string };
  readonly reason?: string;
  readonly message?: string;
  readonly type?: string;
  readonly count?: number;
  readonly firstTimestamp?: string | null;
  readonly lastTimestamp?: string | null;
  readonly eventTime?: string | null;
}

export interface NetworkPolicyPeer {
  readonly podSelector?: { readonly matchLabels?: Readonly<Record<string, string>> };
  readonly ipBlock?: { readonly cidr: string };
}

export interface NetworkPolicy {
  readonly kind: "NetworkPolicy";
  readonly metadata: ObjectMeta;
  readonly spec: {
    readonly ingress?: readonly { readonly from?: readonly NetworkPolicyPeer[] }[];
    readonly egress?: readonly { readonly to?: readonly NetworkPolicyPeer[] }[];
  };
}

/** Every object a namespaced `kubectl get` of several kinds returns, sorted by kind. */
export interface NamespaceObjects {
  readonly pods: Pod[];
  readonly deployments: Deployment[];
  readonly replicaSets: ReplicaSet[];
  readonly quotas: ResourceQuota[];
  readonly events: KubeEvent[];
  readonly networkPolicies: NetworkPolicy[];
}

/** Sorts the items of a `kubectl get a,b,c` by kind. */
export function byKind(items: readonly { kind: string }[]): NamespaceObjects {
  const of = <T>(kind: string) => items.filter((i) => i.kind === kind) as unknown as T[];
  return {
    pods: of<Pod>("Pod"),
    deployments: of<Deployment>("Deployment"),
    replicaSets: of<ReplicaSet>("ReplicaSet"),
    quotas: of<ResourceQuota>("ResourceQuota"),
    events: of<KubeEvent>("Event"),
    networkPolicies: of<NetworkPolicy>("NetworkPolicy"),
  };
}

/** When an event last happened: its last timestamp, else when it was first seen or recorded. */
export function eventTime(event: KubeEvent): string {
  return (
    event.lastTimestamp ??
    event.eventTime ??
    event.firstTimestamp ??
    event.metadata.creationTimestamp ??
    ""
  );
}

/**
 * Whether the quota counts a pod: every pod that has not finished (Succeeded or Failed). A pod
 * being deleted counts until it is gone, as it does for the quota until its grace period ends.
 */
export function countedByQuota(pod: Pod): boolean {
  return pod.status?.phase !== "Succeeded" && pod.status?.phase !== "Failed";
}
