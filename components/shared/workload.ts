import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Topology, WorkloadKey } from "../../stacks/catalog";
import { appLabels, commonAnnotations, podTemplateAnnotations, selectorLabels } from "./labels";
import { platformNamespace } from "./namespace";
import { defaultDenyPolicy, workloadPolicySpec } from "./network";
import { preferSpreadAcrossNodes } from "./scheduling";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "./security";
import { pullPolicy } from "../../stacks/images";
import { SERVICE_TMP_SIZE_LIMIT } from "../../stacks/schema-parts";

/** What every platform workload's objects are named and annotated from. */
export interface WorkloadContext {
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

/** The namespace's default-deny policy plus the workload's allow policy from the traffic matrix. */
export function workloadNetworkPolicies(
  resourceName: string,
  name: string,
  key: WorkloadKey,
  topology: Topology,
  meta: WorkloadMeta,
  opts: pulumi.CustomResourceOptions,
): void {
  defaultDenyPolicy(`${resourceName}-default-deny`, meta.namespace, meta.annotations, opts);
  new k8s.networking.v1.NetworkPolicy(
    `${resourceName}-networkpolicy`,
    { metadata: { name, ...meta }, spec: workloadPolicySpec(key, topology) },
    opts,
  );
}

/** The one container of a stateless platform service. */
export interface ServiceContainer {
  readonly name: string;
  readonly image: string;
  readonly ports: readonly { name: string; containerPort: number }[];
  /** ConfigMap and Secret names, in order, loaded as environment variables. */
  readonly configMaps: readonly pulumi.Input<string>[];
  readonly secrets: readonly pulumi.Input<string>[];
  readonly resources: k8s.types.input.core.v1.ResourceRequirements;
  readonly startupProbe: k8s.types.input.core.v1.Probe;
  readonly livenessProbe: k8s.types.input.core.v1.Probe;
  readonly readinessProbe: k8s.types.input.core.v1.Probe;
}

/**
 * A stateless service's Deployment as every platform service has it: restricted security with a
 * read-only root filesystem (an emptyDir `/tmp` for scratch), no API token, preferred spread
 * over nodes, a rollout that never drops below the desired count (maxUnavailable 0, maxSurge 1),
 * and 30 s to stop. `seccompProfile` replaces RuntimeDefault only where a caller says why.
 */
export function statelessDeployment(
  resourceName: string,
  args: {
    readonly name: string;
    readonly app: string;
    readonly meta: WorkloadMeta;
    readonly replicas: number;
    readonly serviceAccountName: pulumi.Input<string>;
    readonly container: ServiceContainer;
    readonly seccompProfile?: k8s.types.input.core.v1.SeccompProfile;
    /** Annotations of the pod only, e.g. the io_uring seccomp exception (`ioUringPodAnnotations`). */
    readonly podAnnotations?: Record<string, string>;
  },
  opts: pulumi.CustomResourceOptions,
): k8s.apps.v1.Deployment {
  const { meta, container: c } = args;
  return new k8s.apps.v1.Deployment(
    resourceName,
    {
      metadata: { name: args.name, ...meta },
      spec: {
        replicas: args.replicas,
        selector: { matchLabels: selectorLabels(args.app) },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template: {
          metadata: {
            labels: meta.labels,
            annotations: { ...podTemplateAnnotations(meta.annotations), ...args.podAnnotations },
          },
          spec: {
            serviceAccountName: args.serviceAccountName,
            automountServiceAccountToken: false,
            terminationGracePeriodSeconds: 30,
            securityContext: restrictedPodSecurityContext(args.seccompProfile),
            affinity: preferSpreadAcrossNodes(args.app),
            containers: [
              {
                name: c.name,
                image: c.image,
                imagePullPolicy: pullPolicy(c.image),
                ports: c.ports.map((p) => ({ ...p, protocol: "TCP" })),
                envFrom: [
                  ...c.configMaps.map((name) => ({ configMapRef: { name } })),
                  ...c.secrets.map((name) => ({ secretRef: { name } })),
                ],
                resources: c.resources,
                securityContext: restrictedContainerSecurityContext(),
                startupProbe: c.startupProbe,
                livenessProbe: c.livenessProbe,
                readinessProbe: c.readinessProbe,
                volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
              },
            ],
            volumes: [{ name: "tmp", emptyDir: { sizeLimit: SERVICE_TMP_SIZE_LIMIT } }],
          },
        },
      },
    },
    opts,
  );
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
  key: WorkloadKey,
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
