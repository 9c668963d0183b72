import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Flow } from "../stacks/catalog";
import { imageOf } from "../stacks/images";
import {
  TIGERBEETLE_PORT,
  TigerBeetleConfig,
  tigerbeetle as ledgerRecord,
} from "../stacks/services/tigerbeetle";
import { Topology, endpointUrls } from "../stacks/topology";
import { appLabels, commonAnnotations } from "./shared/labels";
import { serviceFlows } from "./shared/network";
import { tokenlessServiceAccount, workloadNetworkPolicies } from "./shared/workload";
import {
  LedgerContext,
  clusterRecord,
  dataClaimName,
  dataClaims,
  formatJobs,
  headlessService,
  ledgerNamespace,
  quorumBudget,
  replicaServices,
  replicaStatefulSets,
  warnOfBootstrap,
} from "./tigerbeetle-objects";
import { PodContext } from "./tigerbeetle-replica";

export interface TigerBeetleArgs {
  /** `staging` or `production`: production protects the StatefulSets and Services. */
  readonly environment: string;
  /** Names, namespaces and ports of the whole stack. */
  readonly topology: Topology;
  /** The traffic matrix (`flowsOf` of the catalog): who may call the replicas. */
  readonly flows: readonly Flow[];
  /** Validated settings (`agent-platform:tigerbeetle`). */
  readonly settings: TigerBeetleConfig;
}

/** TigerBeetle's type token: the ledger's resources are its children. */
export const TIGERBEETLE_TYPE = "agent-platform:index:TigerBeetle";

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
    readonly endpoints: Readonly<Record<string, string>>;
    /** What TigerBeetle clients take: every replica's `ip:3000`, in replica order. */
    readonly addresses: pulumi.Output<string>;
  };

  constructor(name: string, args: TigerBeetleArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TIGERBEETLE_TYPE, name, {}, opts);
    const { topology, settings } = args;
    const placement = topology.workloads.tigerbeetle;
    this.clusterId = settings.clusterId;
    this.replicaCount = settings.replicaCount;
    // The official image, by tag or digest (its record's `image`: not under `imageRegistry`).
    this.image = imageOf(ledgerRecord.image, "", settings.imageTag);
    const { namespace, ctx } = ledgerContext(name, this, args);
    this.namespace = namespace;
    this.clusterRecord = clusterRecord(ctx);
    // Everything else waits for the record: a refused change of the ledger's identity is the
    // update's first change, so it stops the update before anything has changed (deployPlatform
    // makes the rest of the stack wait for it too).
    const afterRecord = { parent: this, dependsOn: [this.clusterRecord] };
    const replicas = deployReplicas(ctx, {
      headlessName: topology.endpoints.tigerbeetle.headless.service,
      image: this.image,
      record: this.clusterRecord,
      afterRecord,
    });
    this.headlessService = replicas.headlessService;
    this.replicaServices = replicas.replicaServices;
    this.addresses = replicas.addresses;
    this.dataClaims = replicas.dataClaims;
    this.formatJobs = replicas.formatJobs;
    this.statefulSets = replicas.statefulSets;
    quorumBudget(ctx, afterRecord);
    const flows = serviceFlows(topology, args.flows);
    workloadNetworkPolicies(name, ctx.objectName, placement, flows, ctx.meta, afterRecord);
    warnOfBootstrap(settings, this);

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
 * The ledger's namespace (kept), and what every object of the ledger is made with: its names,
 * settings, labels and annotations, and whether production protects it.
 */
function ledgerContext(
  name: string,
  parent: TigerBeetle,
  args: TigerBeetleArgs,
): { namespace: k8s.core.v1.NamespacePatch; ctx: LedgerContext } {
  const { topology, settings } = args;
  const placement = topology.workloads.tigerbeetle;
  const labels = appLabels(placement.app);
  const annotations = commonAnnotations(args.environment);
  // Production: `pulumi destroy` and replacements of the StatefulSets and replica Services are
  // refused. Staging may be torn down and rebuilt. What holds data is kept in every environment
  // (`shared/kept.ts`): the namespace, the cluster record, the claims and the format Jobs.
  const protectInProduction = args.environment === "production" ? { protect: true } : {};

  const namespace = ledgerNamespace(name, parent, placement.namespace, settings, {
    labels,
    annotations,
    protectInProduction,
  });
  const ctx: LedgerContext = {
    ...{ name, parent, settings, suffix: topology.suffix, app: placement.app },
    objectName: `${placement.app}${topology.suffix}`,
    meta: { namespace: namespace.metadata.name, labels, annotations },
    protectInProduction,
  };
  return { namespace, ctx };
}

/**
 * The ServiceAccount, the Services, the data claims, the format Jobs and the StatefulSets.
 * TigerBeetle's `--addresses` takes IP literals: each replica is given every replica Service's
 * cluster IP, in replica order.
 */
function deployReplicas(
  ctx: LedgerContext,
  args: {
    readonly headlessName: string;
    readonly image: string;
    readonly record: pulumi.Resource;
    readonly afterRecord: pulumi.CustomResourceOptions;
  },
) {
  // TigerBeetle never calls the Kubernetes API.
  const serviceAccountName = ctx.objectName;
  const sa = tokenlessServiceAccount(
    `${ctx.name}-serviceaccount`,
    serviceAccountName,
    ctx.meta,
    args.afterRecord,
  );
  const headless = headlessService(ctx, args.headlessName, args.afterRecord);
  const services = replicaServices(ctx, args.afterRecord);
  const ips = pulumi.all(services.map(assignedClusterIp));
  const claims = dataClaims(ctx, args.record);
  const pod = (i: number): PodContext => ({
    settings: ctx.settings,
    serviceAccountName,
    image: args.image,
    claimName: dataClaimName(ctx, i),
  });
  const ready = (i: number) => [args.record, sa, claims[i]];
  const jobs = formatJobs(ctx, pod, ready);
  const statefulSets = replicaStatefulSets(ctx, {
    serviceName: headless.metadata.name,
    ips,
    pod,
    dependsOn: (i) => [...ready(i), ...jobs],
  });
  return {
    headlessService: headless,
    replicaServices: services,
    addresses: ips.apply((list) => list.map((ip) => `${ip}:${TIGERBEETLE_PORT}`).join(",")),
    dataClaims: claims,
    formatJobs: jobs,
    statefulSets,
  };
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
