import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Topology } from "../../stacks/topology";
import { appLabels, commonAnnotations, selectorLabels } from "./labels";
import { platformNamespace } from "./namespace";
import { PodFlow, PodGroup, allowPolicySpec, defaultDenyPolicy } from "./network";
import { PodDeclaration, hardenedPodSpec } from "./pod";
import { ROLLING_UPDATE, disruptionRule } from "../../stacks/availability";

/** What every platform workload's objects are named and annotated from. */
interface WorkloadContext {
  /** `staging` or `production`; written as the `environment` annotation on every object. */
  readonly environment: string;
  /** Names, namespaces, ports and URLs of the whole stack. */
  readonly topology: Topology;
}

/** Metadata every object of one workload carries. */
export interface WorkloadMeta {
  readonly namespace: pulumi.Input<string>;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

/** A ServiceAccount that holds no API token: none of the platform's services calls the API. */
export function tokenlessServiceAccount(
  resourceName: string,
  name: string,
  meta: WorkloadMeta,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.ServiceAccount {
  return new k8s.core.v1.ServiceAccount(
    resourceName,
    { metadata: { name, ...meta }, automountServiceAccountToken: false },
    opts,
  );
}

/** The namespace's default-deny policy plus the workload's allow policy from its calls. */
export function workloadNetworkPolicies(
  resourceName: string,
  name: string,
  self: PodGroup,
  flows: readonly PodFlow[],
  meta: WorkloadMeta,
  opts: pulumi.CustomResourceOptions,
): void {
  defaultDenyPolicy(`${resourceName}-default-deny`, meta.namespace, meta.annotations, opts);
  new k8s.networking.v1.NetworkPolicy(
    `${resourceName}-networkpolicy`,
    { metadata: { name, ...meta }, spec: allowPolicySpec(self, flows) },
    opts,
  );
}

/**
 * The spec of every Deployment, a platform service's or an agent's: the rollout that never drops
 * below the desired count (`ROLLING_UPDATE`), the selector on the app label, and the hardened pod.
 */
export function deploymentSpec(args: {
  readonly app: string;
  readonly replicas: number;
  readonly podMetadata: {
    readonly labels: Record<string, string>;
    readonly annotations: Record<string, string>;
  };
  readonly pod: PodDeclaration;
}): k8s.types.input.apps.v1.DeploymentSpec {
  return {
    replicas: args.replicas,
    selector: { matchLabels: selectorLabels(args.app) },
    strategy: { type: "RollingUpdate", rollingUpdate: { ...ROLLING_UPDATE } },
    template: { metadata: args.podMetadata, spec: hardenedPodSpec(args.pod) },
  };
}

/**
 * The PodDisruptionBudget spec of every workload (`disruptionRule`): `keep` is how many pods a
 * drain must leave when there are two or more, one unless the workload says otherwise (a
 * quorum). `selector` narrows the app label (a TigerBeetle replica's).
 */
export function disruptionBudgetSpec(
  app: string,
  replicas: number,
  keep?: number,
): k8s.types.input.policy.v1.PodDisruptionBudgetSpec {
  return { ...disruptionRule(replicas, keep), selector: { matchLabels: selectorLabels(app) } };
}

/** What every platform service's component starts with. */
export interface ServiceFoundation {
  /** `app.kubernetes.io/name` of its pods. */
  readonly app: string;
  /** Name of its Deployment, ServiceAccount, PDB and allow policy: `<app><suffix>`. */
  readonly objectName: string;
  readonly namespace: k8s.core.v1.Namespace;
  readonly meta: WorkloadMeta;
  readonly serviceAccount: k8s.core.v1.ServiceAccount;
}

/**
 * The namespace (with its Pod Security level), the metadata every object carries and the
 * tokenless ServiceAccount of platform service `key`, as children of `parent`.
 */
export function serviceFoundation(
  parent: pulumi.ComponentResource,
  name: string,
  key: string,
  args: WorkloadContext,
  podSecurity: "restricted" | "baseline" | "privileged",
): ServiceFoundation {
  const { app, namespace: namespaceName } = args.topology.workloads[key];
  const labels = appLabels(app);
  const annotations = commonAnnotations(args.environment);
  const objectName = `${app}${args.topology.suffix}`;
  const child = { parent };
  const namespace = platformNamespace(
    `${name}-namespace`,
    { name: namespaceName, podSecurity, labels, annotations },
    child,
  );
  const meta: WorkloadMeta = { namespace: namespace.metadata.name, labels, annotations };
  const serviceAccount = tokenlessServiceAccount(`${name}-serviceaccount`, objectName, meta, child);
  return { app, objectName, namespace, meta, serviceAccount };
}
