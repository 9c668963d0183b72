import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Topology, endpointUrls } from "../stacks/catalog";
import { TigerBeetleConfig, quorumSize } from "../stacks/tigerbeetle";
import {
  appLabels,
  commonAnnotations,
  podTemplateAnnotations,
  selectorLabels,
} from "./shared/labels";
import { KEPT, formerType } from "./shared/kept";
import { keptNamespace } from "./shared/namespace";
import { WorkloadMeta, tokenlessServiceAccount, workloadNetworkPolicies } from "./shared/workload";
import { ioUringPodAnnotations, ioUringPodSecurityLevel } from "./shared/security";
import {
  PodContext,
  REPLICA_LABEL,
  formatPodSpec,
  replicaAddresses,
  replicaPodSpec,
  TIGERBEETLE_PORT,
} from "./tigerbeetle-replica";

/** The official TigerBeetle image; not under `imageRegistry`, which is for the platform's own. */
export const TIGERBEETLE_REPOSITORY = "ghcr.io/tigerbeetle/tigerbeetle";

export interface TigerBeetleArgs {
  /** `staging` or `production`: production protects the StatefulSets and Services. */
  readonly environment: string;
  /** Names, namespaces and ports of the whole stack. */
  readonly topology: Topology;
  /** Validated settings (`agent-platform:tigerbeetle`). */
  readonly settings: TigerBeetleConfig;
}

/**
 * The TigerBeetle ledger: one StatefulSet (replicas: 1) and one ClusterIP Service per replica.
 * TigerBeetle's `--addresses` takes IP literals only, so every replica is given the same ordered
 * list of its peers' Service IPs (known to Pulumi once the Services exist, stable for their
 * lifetime) with its own slot as `0.0.0.0:3000`; no hostname ever reaches it, and no shell wraps
 * the server (tini stays PID 1).
 *
 * The cluster's fixed settings (cluster ID, replica count) are recorded in an immutable,
 * protected ConfigMap that every Service and StatefulSet depends on: changing either makes the
 * engine plan a replacement of a protected resource, which it refuses before touching anything
 * that depends on it.
 */
export class TigerBeetle extends pulumi.ComponentResource {
  /** Kept (`shared/kept.ts`): deleting a namespace would delete the data claims in it. */
  public readonly namespace: k8s.core.v1.NamespacePatch;
  /** Comma-separated `ip:port` of every replica in replica order: what TigerBeetle clients take (TB_ADDRESSES / TIGERBEETLE_REPLICAS). */
  public readonly addresses: pulumi.Output<string>;
  /** `--cluster`, a decimal string. */
  public readonly clusterId: string;
  public readonly replicaCount: number;
  public readonly image: string;
  /** The immutable record of the settings fixed at format time; kept with the data it describes. */
  public readonly clusterRecord: k8s.core.v1.ConfigMapPatch;
  /** Per replica, in replica order. */
  public readonly replicaServices: k8s.core.v1.Service[];
  public readonly statefulSets: k8s.apps.v1.StatefulSet[];
  /** Each replica's data volume claim, in replica order; kept. */
  public readonly dataClaims: k8s.core.v1.PersistentVolumeClaimPatch[];
  /** The bootstrap format Jobs: one per replica with `bootstrap: true`, none otherwise; kept. */
  public readonly formatJobs: k8s.batch.v1.JobPatch[];
  /** Headless Service over all replicas (the StatefulSets' `serviceName`). */
  public readonly headlessService: k8s.core.v1.Service;
  /** Its stack outputs (`services.tigerbeetle`). */
  public readonly outputs: {
    readonly namespace: string;
    readonly image: string;
    readonly replicas: number;
    readonly clusterId: string;
    /** `headless`: DNS over all replicas only; clients need `addresses`. */
    readonly endpoints: { readonly headless: string };
    /** What TigerBeetle clients take: every replica's `ip:3000`, in replica order. */
    readonly addresses: pulumi.Output<string>;
  };

  constructor(name: string, args: TigerBeetleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("agent-platform:index:TigerBeetle", name, {}, opts);
    const { topology, settings } = args;
    const placement = topology.workloads.tigerbeetle;
    const app = placement.app;
    const labels = appLabels(app);
    const annotations = commonAnnotations(args.environment);
    const suffix = topology.suffix;
    const production = args.environment === "production";
    this.clusterId = settings.clusterId;
    this.replicaCount = settings.replicaCount;
    this.image = `${TIGERBEETLE_REPOSITORY}:${settings.imageTag}`;
    const child = { parent: this };
    // Production: `pulumi destroy` and replacements of the StatefulSets and replica Services are
    // refused. Staging may be torn down and rebuilt. What holds data is kept in every environment
    // (`shared/kept.ts`): the namespace, the cluster record, the claims and the format Jobs.
    const protectInProduction = production ? { protect: true } : {};

    // Pod Security level: io_uring needs Unconfined seccomp or a Localhost profile, and
    // "baseline"/"restricted" forbid Unconfined; see ioUringPodSecurityLevel.
    this.namespace = keptNamespace(
      `${name}-namespace`,
      {
        name: placement.namespace,
        podSecurity: ioUringPodSecurityLevel(settings.seccomp),
        labels,
        annotations,
      },
      { ...child, ...protectInProduction },
    );
    const namespace = this.namespace.metadata.name;

    // Immutable and protected in every environment: a change of cluster ID or replica count
    // would need a replacement, which the engine refuses for a protected resource. Kept: after a
    // destroy, the next `up` applies the same record again, and a record of other settings is
    // refused by the API server (the object is immutable) before any replica starts.
    this.clusterRecord = new k8s.core.v1.ConfigMapPatch(
      `${name}-cluster`,
      {
        metadata: { name: `tigerbeetle-cluster${suffix}`, namespace, labels, annotations },
        immutable: true,
        data: {
          clusterId: settings.clusterId,
          replicaCount: String(settings.replicaCount),
        },
      },
      {
        parent: this,
        protect: true,
        replaceOnChanges: ["data", "immutable"],
        ...KEPT,
        ...formerType("kubernetes:core/v1:ConfigMap"),
      },
    );
    // Everything else waits for the record: a refused change of the ledger's identity is the
    // update's first change, so it stops the update before anything has changed (index.ts makes
    // the rest of the stack wait for it too).
    const afterRecord = { parent: this, dependsOn: [this.clusterRecord] };

    const meta: WorkloadMeta = { namespace, labels, annotations };
    // TigerBeetle never calls the Kubernetes API.
    const serviceAccount = tokenlessServiceAccount(
      `${name}-serviceaccount`,
      `tigerbeetle${suffix}`,
      meta,
      afterRecord,
    );

    const port = {
      name: "tigerbeetle",
      port: TIGERBEETLE_PORT,
      targetPort: "tigerbeetle",
      protocol: "TCP",
    };
    this.headlessService = new k8s.core.v1.Service(
      `${name}-headless`,
      {
        metadata: {
          name: topology.endpoints.tigerbeetle.headless.service,
          namespace,
          labels,
          annotations,
        },
        spec: {
          clusterIP: "None",
          // Replicas must find each other before any of them is ready.
          publishNotReadyAddresses: true,
          selector: selectorLabels(app),
          ports: [port],
        },
      },
      afterRecord,
    );

    const replicas = [...Array(settings.replicaCount).keys()];
    // One stable ClusterIP per replica. Its IP is part of every replica's --addresses, so in
    // production the Service is protected: a new Service would get a new IP.
    this.replicaServices = replicas.map(
      (i) =>
        new k8s.core.v1.Service(
          `${name}-replica-${i}`,
          {
            metadata: { name: `tigerbeetle-${i}${suffix}`, namespace, labels, annotations },
            spec: {
              type: "ClusterIP",
              publishNotReadyAddresses: true,
              selector: { ...selectorLabels(app), [REPLICA_LABEL]: String(i) },
              ports: [port],
            },
          },
          { ...afterRecord, ...protectInProduction },
        ),
    );
    const ips = pulumi.all(this.replicaServices.map(assignedClusterIp));
    this.addresses = ips.apply((list) => list.map((ip) => `${ip}:${TIGERBEETLE_PORT}`).join(","));

    // Each replica's data volume is a claim of its own, kept in every environment: not deleted
    // by `pulumi destroy`, by a replacement, or when a StatefulSet goes, and adopted with its
    // volume by the next `up`. In production it is also protected, so a plan that would replace
    // it (a new storage class) is refused.
    const dataClaimName = (i: number) => `tigerbeetle-data-${i}${suffix}`;
    this.dataClaims = replicas.map(
      (i) =>
        new k8s.core.v1.PersistentVolumeClaimPatch(
          `${name}-data-${i}`,
          {
            metadata: {
              name: dataClaimName(i),
              namespace,
              labels: { ...labels, [REPLICA_LABEL]: String(i) },
              annotations,
            },
            spec: {
              accessModes: ["ReadWriteOnce"],
              ...(settings.storage.className === ""
                ? {}
                : { storageClassName: settings.storage.className }),
              resources: { requests: { storage: settings.storage.size } },
            },
          },
          {
            parent: this,
            dependsOn: [this.clusterRecord],
            ...KEPT,
            ...protectInProduction,
            ...formerType("kubernetes:core/v1:PersistentVolumeClaim"),
          },
        ),
    );
    const podContext = (i: number): PodContext => ({
      settings,
      serviceAccountName: `tigerbeetle${suffix}`,
      image: this.image,
      claimName: dataClaimName(i),
    });

    // Bootstrap only: one Job per replica formats its data file, before any replica starts
    // (Pulumi waits for a Job to complete, and the StatefulSets depend on the Jobs). A Job runs
    // once: `ignoreChanges` keeps Pulumi from ever replacing it (a replacement would run it
    // again), and it is kept: the finished Job stays in the cluster when `bootstrap` goes back to
    // false or the stack is destroyed, and a later bootstrap adopts it rather than failing on it.
    // Replica pods themselves never format.
    const formatApp = `${app}-format`;
    this.formatJobs = settings.bootstrap
      ? replicas.map((i) => {
          const jobLabels = { ...appLabels(formatApp, app), [REPLICA_LABEL]: String(i) };
          return new k8s.batch.v1.JobPatch(
            `${name}-format-${i}`,
            {
              metadata: {
                name: `tigerbeetle-format-${i}${suffix}`,
                namespace,
                labels: jobLabels,
                annotations,
              },
              spec: {
                // A failed format is for the operator to look at, not to retry.
                backoffLimit: 0,
                template: {
                  metadata: {
                    labels: jobLabels,
                    annotations: {
                      ...podTemplateAnnotations(annotations),
                      ...ioUringPodAnnotations(settings.seccomp),
                    },
                  },
                  spec: formatPodSpec(podContext(i), formatApp, i),
                },
              },
            },
            {
              parent: this,
              dependsOn: [this.clusterRecord, serviceAccount, this.dataClaims[i]],
              ignoreChanges: ["spec", "metadata"],
              ...KEPT,
              ...formerType("kubernetes:batch/v1:Job"),
            },
          );
        })
      : [];

    // One replica at a time: each StatefulSet depends on the one before it, so the engine starts
    // replica i's update only after replica i-1's has finished, and the provider finishes a
    // StatefulSet update only when its pod is back, ready and current. Without the chain Pulumi
    // updates all six at once, and any change to image, resources or seccomp restarts every
    // replica together: the ledger loses its quorum. (A PodDisruptionBudget limits evictions,
    // not rollouts.)
    this.statefulSets = [];
    for (const i of replicas) {
      const podLabels = { ...labels, [REPLICA_LABEL]: String(i) };
      const previous = this.statefulSets.slice(-1);
      const statefulSet = new k8s.apps.v1.StatefulSet(
        `${name}-replica-${i}`,
        {
          metadata: {
            name: `tigerbeetle-${i}${suffix}`,
            namespace,
            labels: podLabels,
            annotations,
          },
          spec: {
            // One pod per StatefulSet: at most one process ever holds a replica's data file.
            replicas: 1,
            serviceName: this.headlessService.metadata.name,
            selector: { matchLabels: { ...selectorLabels(app), [REPLICA_LABEL]: String(i) } },
            updateStrategy: { type: "RollingUpdate" },
            template: {
              // The io_uring seccomp exception, named on the pod (policy pack, README).
              metadata: {
                labels: podLabels,
                annotations: {
                  ...podTemplateAnnotations(annotations),
                  ...ioUringPodAnnotations(settings.seccomp),
                },
              },
              spec: ips.apply((list) =>
                replicaPodSpec(podContext(i), app, i, replicaAddresses(list, i)),
              ),
            },
          },
        },
        {
          parent: this,
          dependsOn: [
            this.clusterRecord,
            serviceAccount,
            this.dataClaims[i],
            ...this.formatJobs,
            ...previous,
          ],
          ...protectInProduction,
        },
      );
      this.statefulSets.push(statefulSet);
    }

    // A majority of replicas stays up through voluntary disruptions (drains, upgrades).
    new k8s.policy.v1.PodDisruptionBudget(
      `${name}-pdb`,
      {
        metadata: { name: `tigerbeetle${suffix}`, namespace, labels, annotations },
        spec: {
          minAvailable: quorumSize(settings.replicaCount),
          selector: { matchLabels: selectorLabels(app) },
        },
      },
      afterRecord,
    );

    workloadNetworkPolicies(
      name,
      `tigerbeetle${suffix}`,
      "tigerbeetle",
      topology,
      meta,
      afterRecord,
    );

    if (settings.bootstrap) {
      void pulumi.log.warn(
        "tigerbeetle.bootstrap is true: this update formats every replica that has no data " +
          "file yet, once. Set it back to false once the cluster runs (README, Bootstrap).",
        this,
      );
    }

    this.outputs = {
      namespace: placement.namespace,
      image: this.image,
      replicas: this.replicaCount,
      clusterId: this.clusterId,
      endpoints: endpointUrls(topology, "tigerbeetle"),
      addresses: this.addresses,
    };
    this.registerOutputs(this.outputs);
  }
}

/**
 * A Service's cluster IP, unknown until the API server has assigned one. A preview of a new
 * Service is a server-side dry run, which assigns none, and the provider then reports no
 * `clusterIP` at all: the IP, the addresses built from it and the pod specs that carry them must
 * show as unknown in the preview, never as the string "undefined".
 */
export function assignedClusterIp(service: k8s.core.v1.Service): pulumi.Output<string> {
  return service.spec.clusterIP.apply((ip): pulumi.Output<string> => {
    if (typeof ip === "string" && ip !== "") return pulumi.output(ip);
    if (pulumi.runtime.isDryRun()) return pulumi.output(pulumi.unknown) as pulumi.Output<string>;
    throw new pulumi.ResourceError("the Service has no cluster IP after its creation", service);
  });
}
