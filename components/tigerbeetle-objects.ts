import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ioUringException } from "../stacks/io-uring";
import { TIGERBEETLE_PORT, TigerBeetleConfig, quorumSize } from "../stacks/services/tigerbeetle";
import { appLabels, podTemplateMetadata, selectorLabels } from "./shared/labels";
import { KEPT, formerType } from "./shared/kept";
import { keptNamespace } from "./shared/namespace";
import { WorkloadMeta, disruptionBudgetSpec } from "./shared/workload";
import {
  PodContext,
  REPLICA_LABEL,
  formatPodSpec,
  replicaAddresses,
  replicaPodSpec,
} from "./tigerbeetle-replica";

/**
 * The ledger's objects, one named step each, in the order `TigerBeetle` creates them (README,
 * "TigerBeetle"): the cluster record, the Services, the data claims, the format Jobs, the
 * replicas' StatefulSets and the quorum's disruption budget.
 */

/** What every step names and labels its objects from. */
export interface LedgerContext {
  /** The component's name: the prefix of every child's resource name. */
  readonly name: string;
  readonly parent: pulumi.ComponentResource;
  readonly settings: TigerBeetleConfig;
  /** The stack's suffix of object names, e.g. `-staging`. */
  readonly suffix: string;
  /** The name of the ledger's own objects (its ServiceAccount, policy, PDB): `tigerbeetle-staging`. */
  readonly objectName: string;
  readonly app: string;
  readonly meta: WorkloadMeta;
  /** `{ protect: true }` in production, where replacements of replicas are refused. */
  readonly protectInProduction: { readonly protect?: boolean };
}

/**
 * The ledger's namespace, kept (`shared/kept.ts`): deleting a namespace would delete the data
 * claims in it. Its Pod Security level: io_uring needs Unconfined seccomp or a Localhost profile,
 * and "baseline"/"restricted" forbid Unconfined (`ioUringException`).
 */
export function ledgerNamespace(
  name: string,
  parent: pulumi.ComponentResource,
  namespace: string,
  settings: TigerBeetleConfig,
  args: Pick<WorkloadMeta, "labels" | "annotations"> & Pick<LedgerContext, "protectInProduction">,
): k8s.core.v1.NamespacePatch {
  return keptNamespace(
    `${name}-namespace`,
    {
      name: namespace,
      podSecurity: ioUringException(settings.seccomp).podSecurity,
      labels: args.labels,
      annotations: args.annotations,
    },
    { parent, ...args.protectInProduction },
  );
}

/** The warning of an update that formats (`bootstrap: true`), shown in its preview. */
export function warnOfBootstrap(settings: TigerBeetleConfig, resource: pulumi.Resource): void {
  if (!settings.bootstrap) return;
  void pulumi.log.warn(
    "tigerbeetle.bootstrap is true: this update formats every replica that has no data " +
      "file yet, once. Set it back to false once the cluster runs (README, Bootstrap).",
    resource,
  );
}

/** The replica numbers, 0 to `replicaCount - 1`. */
function replicaNumbers(settings: TigerBeetleConfig): number[] {
  return [...Array(settings.replicaCount).keys()];
}

/**
 * The immutable record of the settings fixed at format time, protected in every environment: a
 * change of cluster ID or replica count would need a replacement, which the engine refuses for a
 * protected resource. Kept: after a destroy, the next `up` applies the same record again, and a
 * record of other settings is refused by the API server (the object is immutable) before any
 * replica starts.
 */
export function clusterRecord(ctx: LedgerContext): k8s.core.v1.ConfigMapPatch {
  const { settings, meta } = ctx;
  return new k8s.core.v1.ConfigMapPatch(
    `${ctx.name}-cluster`,
    {
      metadata: { name: `tigerbeetle-cluster${ctx.suffix}`, ...meta },
      immutable: true,
      data: { clusterId: settings.clusterId, replicaCount: String(settings.replicaCount) },
    },
    {
      parent: ctx.parent,
      protect: true,
      replaceOnChanges: ["data", "immutable"],
      ...KEPT,
      ...formerType("kubernetes:core/v1:ConfigMap"),
    },
  );
}

const SERVICE_PORT = {
  name: "tigerbeetle",
  port: TIGERBEETLE_PORT,
  targetPort: "tigerbeetle",
  protocol: "TCP",
};

/** The headless Service over all replicas: the StatefulSets' `serviceName`. */
export function headlessService(
  ctx: LedgerContext,
  serviceName: string,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Service {
  return new k8s.core.v1.Service(
    `${ctx.name}-headless`,
    {
      metadata: { name: serviceName, ...ctx.meta },
      spec: {
        clusterIP: "None",
        // Replicas must find each other before any of them is ready.
        publishNotReadyAddresses: true,
        selector: selectorLabels(ctx.app),
        ports: [SERVICE_PORT],
      },
    },
    opts,
  );
}

/**
 * One stable ClusterIP Service per replica. Its IP is part of every replica's `--addresses`, so in
 * production it is protected: a new Service would get a new IP.
 */
export function replicaServices(
  ctx: LedgerContext,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Service[] {
  return replicaNumbers(ctx.settings).map(
    (i) =>
      new k8s.core.v1.Service(
        `${ctx.name}-replica-${i}`,
        {
          metadata: { name: `tigerbeetle-${i}${ctx.suffix}`, ...ctx.meta },
          spec: {
            type: "ClusterIP",
            publishNotReadyAddresses: true,
            selector: { ...selectorLabels(ctx.app), [REPLICA_LABEL]: String(i) },
            ports: [SERVICE_PORT],
          },
        },
        { ...opts, ...ctx.protectInProduction },
      ),
  );
}

/** The claim of replica `i`'s data volume. */
export function dataClaimName(ctx: LedgerContext, i: number): string {
  return `tigerbeetle-data-${i}${ctx.suffix}`;
}

/**
 * Each replica's data volume is a claim of its own, kept in every environment: not deleted by
 * `pulumi destroy`, by a replacement, or when a StatefulSet goes, and adopted with its volume by
 * the next `up`. In production it is also protected, so a plan that would replace it (a new
 * storage class) is refused.
 */
export function dataClaims(
  ctx: LedgerContext,
  record: pulumi.Resource,
): k8s.core.v1.PersistentVolumeClaimPatch[] {
  const { storage } = ctx.settings;
  return replicaNumbers(ctx.settings).map(
    (i) =>
      new k8s.core.v1.PersistentVolumeClaimPatch(
        `${ctx.name}-data-${i}`,
        {
          metadata: {
            ...ctx.meta,
            name: dataClaimName(ctx, i),
            labels: { ...ctx.meta.labels, [REPLICA_LABEL]: String(i) },
          },
          spec: {
            accessModes: ["ReadWriteOnce"],
            ...(storage.className === "" ? {} : { storageClassName: storage.className }),
            resources: { requests: { storage: storage.size } },
          },
        },
        {
          parent: ctx.parent,
          dependsOn: [record],
          ...KEPT,
          ...ctx.protectInProduction,
          ...formerType("kubernetes:core/v1:PersistentVolumeClaim"),
        },
      ),
  );
}

/**
 * Bootstrap only: one Job per replica formats its data file, before any replica starts (Pulumi
 * waits for a Job to complete, and the StatefulSets depend on the Jobs). A Job runs once:
 * `ignoreChanges` keeps Pulumi from ever replacing it (a replacement would run it again), and it
 * is kept: the finished Job stays in the cluster when `bootstrap` goes back to false or the stack
 * is destroyed, and a later bootstrap adopts it rather than failing on it. Replica pods themselves
 * never format.
 */
export function formatJobs(
  ctx: LedgerContext,
  pod: (i: number) => PodContext,
  dependsOn: (i: number) => pulumi.Resource[],
): k8s.batch.v1.JobPatch[] {
  if (!ctx.settings.bootstrap) return [];
  const formatApp = `${ctx.app}-format`;
  return replicaNumbers(ctx.settings).map((i) => {
    const labels = { ...appLabels(formatApp, ctx.app), [REPLICA_LABEL]: String(i) };
    return new k8s.batch.v1.JobPatch(
      `${ctx.name}-format-${i}`,
      {
        metadata: { ...ctx.meta, name: `tigerbeetle-format-${i}${ctx.suffix}`, labels },
        spec: {
          // A failed format is for the operator to look at, not to retry.
          backoffLimit: 0,
          template: {
            metadata: podTemplateMetadata(
              labels,
              ctx.meta.annotations,
              ioUringException(ctx.settings.seccomp).podAnnotations,
            ),
            spec: formatPodSpec(pod(i), formatApp, i),
          },
        },
      },
      {
        parent: ctx.parent,
        dependsOn: dependsOn(i),
        ignoreChanges: ["spec", "metadata"],
        ...KEPT,
        ...formerType("kubernetes:batch/v1:Job"),
      },
    );
  });
}

/**
 * One StatefulSet per replica, one replica at a time: each depends on the one before it, so the
 * engine starts replica i's update only after replica i-1's has finished, and the provider
 * finishes a StatefulSet update only when its pod is back, ready and current. Without the chain
 * Pulumi updates all of them at once, and any change to image, resources or seccomp restarts every
 * replica together: the ledger loses its quorum. (A PodDisruptionBudget limits evictions, not
 * rollouts.)
 */
export function replicaStatefulSets(
  ctx: LedgerContext,
  args: {
    readonly serviceName: pulumi.Input<string>;
    /** Every replica Service's cluster IP, in replica order. */
    readonly ips: pulumi.Output<string[]>;
    readonly pod: (i: number) => PodContext;
    readonly dependsOn: (i: number) => pulumi.Resource[];
  },
): k8s.apps.v1.StatefulSet[] {
  const statefulSets: k8s.apps.v1.StatefulSet[] = [];
  for (const i of replicaNumbers(ctx.settings)) {
    const labels = { ...ctx.meta.labels, [REPLICA_LABEL]: String(i) };
    const statefulSet = new k8s.apps.v1.StatefulSet(
      `${ctx.name}-replica-${i}`,
      {
        metadata: { ...ctx.meta, name: `tigerbeetle-${i}${ctx.suffix}`, labels },
        spec: {
          // One pod per StatefulSet: at most one process ever holds a replica's data file.
          replicas: 1,
          serviceName: args.serviceName,
          selector: { matchLabels: { ...selectorLabels(ctx.app), [REPLICA_LABEL]: String(i) } },
          updateStrategy: { type: "RollingUpdate" },
          template: {
            // The io_uring seccomp exception, named on the pod (policy pack, README).
            metadata: podTemplateMetadata(
              labels,
              ctx.meta.annotations,
              ioUringException(ctx.settings.seccomp).podAnnotations,
            ),
            spec: args.ips.apply((list) =>
              replicaPodSpec(args.pod(i), ctx.app, i, replicaAddresses(list, i)),
            ),
          },
        },
      },
      {
        parent: ctx.parent,
        dependsOn: [...args.dependsOn(i), ...statefulSets.slice(-1)],
        ...ctx.protectInProduction,
      },
    );
    statefulSets.push(statefulSet);
  }
  return statefulSets;
}

/** A majority of replicas stays up through voluntary disruptions (drains, upgrades). */
export function quorumBudget(
  ctx: LedgerContext,
  opts: pulumi.CustomResourceOptions,
): k8s.policy.v1.PodDisruptionBudget {
  const replicas = ctx.settings.replicaCount;
  return new k8s.policy.v1.PodDisruptionBudget(
    `${ctx.name}-pdb`,
    {
      metadata: { name: ctx.objectName, ...ctx.meta },
      spec: disruptionBudgetSpec(ctx.app, replicas, quorumSize(replicas)),
    },
    opts,
  );
}
