import { SECCOMP_EXCEPTION_ANNOTATION, SECCOMP_EXCEPTION_IO_URING } from "../stacks/io-uring";
import { PINNED_EXPECTATION, imageReference, isPinned } from "../stacks/images";
import { plural } from "../stacks/problems";

/**
 * The posture the stack promises, as pure functions over Kubernetes objects (`apiVersion`, `kind`,
 * `metadata`, `spec`, as the program registers them). Each returns the violations it finds, one
 * message per problem, each naming the object and the container; an empty list means the object
 * (or the stack) passes. `policy/pack.ts` wraps them as CrossGuard policies; the tests call them
 * directly on the rendered stacks.
 */

interface ObjectMeta {
  readonly name?: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** A Kubernetes object; `spec` is read according to `kind`. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata?: ObjectMeta;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly spec?: any;
}

interface SeccompProfile {
  readonly type?: string;
}

interface Container {
  readonly name: string;
  readonly image?: string;
  readonly restartPolicy?: string;
  readonly resources?: {
    readonly requests?: Readonly<Record<string, unknown>>;
    readonly limits?: Readonly<Record<string, unknown>>;
  };
  readonly securityContext?: {
    readonly runAsNonRoot?: boolean;
    readonly allowPrivilegeEscalation?: boolean;
    readonly capabilities?: { readonly drop?: readonly string[] };
    readonly seccompProfile?: SeccompProfile;
  };
  readonly startupProbe?: unknown;
  readonly livenessProbe?: unknown;
  readonly readinessProbe?: unknown;
}

interface PodSpec {
  readonly restartPolicy?: string;
  readonly securityContext?: {
    readonly runAsNonRoot?: boolean;
    readonly seccompProfile?: SeccompProfile;
  };
  readonly containers?: readonly Container[];
  readonly initContainers?: readonly Container[];
}

interface PodTemplate {
  readonly metadata?: ObjectMeta;
  readonly spec?: PodSpec;
}

interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly {
    readonly key: string;
    readonly operator: string;
    readonly values?: readonly string[];
  }[];
}

/** Kinds whose pods run until stopped; Jobs and CronJobs run to completion. */
const LONG_RUNNING_KINDS = [
  "Deployment",
  "StatefulSet",
  "DaemonSet",
  "ReplicaSet",
  "ReplicationController",
];
/** Kinds with `spec.replicas`, whose pods a PodDisruptionBudget must cover, however many. */
const REPLICATED_KINDS = ["Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"];
/** The annotation every object of the stack carries (`components/shared/labels.ts`). */
const ENVIRONMENT_ANNOTATION = "environment";

/** `Deployment agent-society/agent-society`, or `Namespace tigerbeetle` when cluster-scoped. */
function describe(object: KubeObject): string {
  const name = object.metadata?.name ?? "(unnamed)";
  const namespace = object.metadata?.namespace;
  return namespace === undefined ? `${object.kind} ${name}` : `${object.kind} ${namespace}/${name}`;
}

/** The pod template of a workload (the pod itself for a Pod); undefined for other kinds. */
export function podTemplate(object: KubeObject): PodTemplate | undefined {
  if (object.kind === "Pod") return { metadata: object.metadata, spec: object.spec };
  if (object.kind === "CronJob") return object.spec?.jobTemplate?.spec?.template;
  if ([...LONG_RUNNING_KINDS, "Job"].includes(object.kind)) return object.spec?.template;
  return undefined;
}

interface ContainerInPod {
  /** `container "logic"` or `init container "data-file"`. */
  readonly label: string;
  readonly container: Container;
  readonly init: boolean;
}

function containersOf(spec: PodSpec | undefined): ContainerInPod[] {
  return [
    ...(spec?.initContainers ?? []).map((container) => ({
      label: `init container "${container.name}"`,
      container,
      init: true,
    })),
    ...(spec?.containers ?? []).map((container) => ({
      label: `container "${container.name}"`,
      container,
      init: false,
    })),
  ];
}

/** Runs `check` over every container of the object's pod template; [] for objects without pods. */
function perContainer(
  object: KubeObject,
  check: (c: ContainerInPod, template: PodTemplate) => string[],
): string[] {
  const template = podTemplate(object);
  if (template === undefined) return [];
  return containersOf(template.spec).flatMap((c) =>
    check(c, template).map((problem) => `${describe(object)}: ${c.label} ${problem}`),
  );
}

const ALLOWED_SECCOMP = ["RuntimeDefault", "Localhost"];

/**
 * Pod Security "restricted" contexts on every container, init containers included: runAsNonRoot
 * (on the container or the pod), allowPrivilegeEscalation false, capabilities drop ALL, and a
 * seccomp profile RuntimeDefault or Localhost (on the container or the pod). The one exception:
 * `Unconfined` on a pod annotated `agent-platform.io/seccomp-exception: io-uring` (TigerBeetle
 * and its clients need io_uring, which RuntimeDefault blocks).
 */
export function restrictedSecurityContext(object: KubeObject): string[] {
  return perContainer(object, ({ container }, template) => {
    const pod = template.spec?.securityContext;
    const own = container.securityContext;
    const problems: string[] = [];
    if ((own?.runAsNonRoot ?? pod?.runAsNonRoot) !== true) {
      problems.push("must set securityContext.runAsNonRoot: true (on the container or the pod)");
    }
    if (own?.allowPrivilegeEscalation !== false) {
      problems.push("must set securityContext.allowPrivilegeEscalation: false");
    }
    if (!(own?.capabilities?.drop ?? []).includes("ALL")) {
      problems.push('must drop all capabilities (securityContext.capabilities.drop: ["ALL"])');
    }
    const seccomp = own?.seccompProfile?.type ?? pod?.seccompProfile?.type;
    const exception = template.metadata?.annotations?.[SECCOMP_EXCEPTION_ANNOTATION];
    if (seccomp === undefined) {
      problems.push(
        "must set a seccomp profile, RuntimeDefault or Localhost (on the container or the pod)",
      );
    } else if (seccomp === "Unconfined") {
      if (exception !== SECCOMP_EXCEPTION_IO_URING) {
        problems.push(
          `has seccomp profile Unconfined, allowed only on a pod annotated ` +
            `${SECCOMP_EXCEPTION_ANNOTATION}: ${SECCOMP_EXCEPTION_IO_URING}`,
        );
      }
    } else if (!ALLOWED_SECCOMP.includes(seccomp)) {
      problems.push(`has seccomp profile ${seccomp}; allowed: RuntimeDefault, Localhost`);
    }
    return problems;
  });
}

const RESOURCE_FIELDS = [
  ["requests", "cpu"],
  ["requests", "memory"],
  ["requests", "ephemeral-storage"],
  ["limits", "cpu"],
  ["limits", "memory"],
  ["limits", "ephemeral-storage"],
] as const;

/**
 * CPU, memory and ephemeral-storage requests and limits on every container, init containers
 * included: without an ephemeral-storage request nothing is reserved for the pod's disk, and under
 * disk pressure the kubelet evicts such pods first.
 */
export function requestsAndLimits(object: KubeObject): string[] {
  return perContainer(object, ({ container }) => {
    const missing = RESOURCE_FIELDS.filter(
      ([group, resource]) => container.resources?.[group]?.[resource] === undefined,
    ).map(([group, resource]) => `resources.${group}.${resource}`);
    return missing.length === 0 ? [] : [`must set ${missing.join(", ")}`];
  });
}

const PROBES = ["startupProbe", "livenessProbe", "readinessProbe"] as const;

/**
 * Startup, liveness and readiness probes on every long-running container: the containers of
 * Deployments, StatefulSets, DaemonSets, ReplicaSets and of Pods that restart always, plus native
 * sidecars (init containers with `restartPolicy: Always`). Jobs, CronJobs and ordinary init
 * containers run to completion and need none.
 */
export function probes(object: KubeObject): string[] {
  const longRunning =
    LONG_RUNNING_KINDS.includes(object.kind) ||
    (object.kind === "Pod" && (object.spec?.restartPolicy ?? "Always") === "Always");
  if (!longRunning) return [];
  return perContainer(object, ({ container, init }) => {
    if (init && container.restartPolicy !== "Always") return [];
    const missing = PROBES.filter((probe) => container[probe] === undefined);
    return missing.length === 0 ? [] : [`must set ${missing.join(", ")}`];
  });
}

/**
 * Only pinned images in production (`isPinned` in `stacks/images.ts`, the rule the stack config
 * applies too): every container's image has a digest, or a tag that is a release version; a tag
 * such as `latest`, `production` or `3.12-slim` can be moved. An object's environment is its
 * `environment` annotation, which the program sets on every object from the stack's
 * `environment` config; an object without it is checked as production, so leaving the
 * annotation out never loosens the rule.
 */
export function immutableImageTags(object: KubeObject): string[] {
  const environment = object.metadata?.annotations?.[ENVIRONMENT_ANNOTATION] ?? "production";
  if (environment !== "production") return [];
  return perContainer(object, ({ container }) => {
    const image = container.image;
    if (image === undefined) return ["has no image"];
    const { tag, digest } = imageReference(image);
    if (digest) return [];
    if (tag === undefined) {
      return [`image "${image}" has no tag; production needs ${PINNED_EXPECTATION}`];
    }
    if (!isPinned(tag)) {
      return [
        `image "${image}" has the tag ${tag}, which can move; production needs ${PINNED_EXPECTATION}`,
      ];
    }
    return [];
  });
}

/** Whether a label selector (policy/v1 semantics: `{}` selects every pod) selects `labels`. */
export function selects(
  selector: LabelSelector | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (selector === undefined || selector === null) return false;
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (selector.matchExpressions ?? []).every(({ key, operator, values }) => {
    const value = labels[key];
    switch (operator) {
      case "In":
        return value !== undefined && (values ?? []).includes(value);
      case "NotIn":
        return value === undefined || !(values ?? []).includes(value);
      case "Exists":
        return value !== undefined;
      case "DoesNotExist":
        return value === undefined;
      default:
        return false;
    }
  });
  return byLabels && byExpressions;
}

/**
 * A PodDisruptionBudget for every workload that runs a pod, one replica included (a single pod
 * without one is evicted by a drain without anything saying so): one in the workload's namespace
 * whose selector selects the workload's pod template labels.
 */
export function podDisruptionBudgets(objects: readonly KubeObject[]): string[] {
  const budgets = objects.filter((o) => o.kind === "PodDisruptionBudget");
  return objects
    .filter((o) => REPLICATED_KINDS.includes(o.kind) && (o.spec?.replicas ?? 1) >= 1)
    .filter((workload) => {
      const labels = podTemplate(workload)?.metadata?.labels ?? {};
      return !budgets.some(
        (pdb) =>
          pdb.metadata?.namespace === workload.metadata?.namespace &&
          selects(pdb.spec?.selector, labels),
      );
    })
    .map(
      (workload) =>
        `${describe(workload)} runs ${plural(workload.spec?.replicas ?? 1, "replica", "replicas")} but no PodDisruptionBudget ` +
        `in its namespace selects its pods`,
    );
}

/** Whether a NetworkPolicy denies all ingress and egress of every pod of its namespace. */
function isDefaultDeny(policy: KubeObject): boolean {
  const spec = policy.spec ?? {};
  const podSelector: LabelSelector | undefined = spec.podSelector;
  const selectsAll =
    podSelector !== undefined &&
    Object.keys(podSelector.matchLabels ?? {}).length === 0 &&
    (podSelector.matchExpressions ?? []).length === 0;
  const types: readonly string[] = spec.policyTypes ?? [];
  return (
    selectsAll &&
    types.includes("Ingress") &&
    types.includes("Egress") &&
    (spec.ingress ?? []).length === 0 &&
    (spec.egress ?? []).length === 0
  );
}

/**
 * A default-deny NetworkPolicy (empty podSelector, policyTypes Ingress and Egress, no rules) in
 * every namespace the stack creates.
 */
export function defaultDenyNetworkPolicies(objects: readonly KubeObject[]): string[] {
  const denied = new Set(
    objects
      .filter((o) => o.kind === "NetworkPolicy" && isDefaultDeny(o))
      .map((o) => o.metadata?.namespace),
  );
  return objects
    .filter((o) => o.kind === "Namespace" && !denied.has(o.metadata?.name))
    .map(
      (ns) =>
        `${describe(ns)} has no default-deny NetworkPolicy ` +
        `(podSelector: {}, policyTypes: [Ingress, Egress], no rules)`,
    );
}

interface ObjectCheck {
  readonly name: string;
  readonly description: string;
  readonly check: (object: KubeObject) => string[];
}

interface StackCheck {
  readonly name: string;
  readonly description: string;
  readonly check: (objects: readonly KubeObject[]) => string[];
}

/** Checks of one object at a time. */
export const OBJECT_CHECKS: readonly ObjectCheck[] = [
  {
    name: "restricted-security-context",
    description:
      "Containers run as non-root, without privilege escalation, with all capabilities dropped " +
      "and seccomp RuntimeDefault or Localhost; Unconfined only on pods annotated " +
      `${SECCOMP_EXCEPTION_ANNOTATION}: ${SECCOMP_EXCEPTION_IO_URING}.`,
    check: restrictedSecurityContext,
  },
  {
    name: "requests-and-limits",
    description:
      "Every container, init containers included, sets CPU, memory and ephemeral-storage requests and limits.",
    check: requestsAndLimits,
  },
  {
    name: "probes",
    description: "Every long-running container has startup, liveness and readiness probes.",
    check: probes,
  },
  {
    name: "immutable-image-tags",
    description: "In production, every image is pinned: a release version or a digest.",
    check: immutableImageTags,
  },
];

/** Checks that need the whole stack. */
export const STACK_CHECKS: readonly StackCheck[] = [
  {
    name: "pod-disruption-budgets",
    description:
      "Every workload that runs a pod is selected by a PodDisruptionBudget (one replica: maxUnavailable 1, so a drain is explicit).",
    check: podDisruptionBudgets,
  },
  {
    name: "default-deny-network-policy",
    description: "Every namespace the stack creates has a default-deny NetworkPolicy.",
    check: defaultDenyNetworkPolicies,
  },
];
