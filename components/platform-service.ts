import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  CATALOG,
  EndpointKey,
  PortName,
  ServiceRecord,
  Topology,
  WorkloadKey,
  callUrls,
  endpointUrls,
} from "../stacks/catalog";
import { imageRef } from "../stacks/images";
import type { Resources } from "../stacks/schema";
import { selectorLabels } from "./shared/labels";
import { LIVENESS, READINESS, STARTUP, httpGetProbe } from "./shared/probes";
import { serviceFoundation, statelessDeployment, workloadNetworkPolicies } from "./shared/workload";

/** The platform services that run as a Deployment (TigerBeetle has a component of its own). */
export type StatelessKey = Exclude<WorkloadKey, "tigerbeetle">;

/** An HTTP GET probe on one of the service's named ports. */
export interface HttpProbe<K extends StatelessKey> {
  readonly path: string;
  readonly port: PortName<K>;
}

/**
 * How one stateless platform service runs: what a `components/services.ts` entry builds from the
 * stack config. Where it lives, its ports, Services and calls are its catalog record's.
 */
export interface ServiceDefinition<K extends StatelessKey> {
  readonly key: K;
  /** The component's type token (kept stable: it is part of every child's URN). */
  readonly componentType: string;
  /** The container's name. */
  readonly container: string;
  /** Repository under `imageRegistry` (`PLATFORM_REPOSITORIES`), and its tag or digest. */
  readonly repository: string;
  readonly imageTag: string;
  readonly replicas: number;
  readonly resources: Resources;
  /**
   * The ConfigMap, loaded as environment variables. Its URLs are the record's calls
   * (`callUrls`), and must be all of them: the component refuses a URL without its call.
   */
  readonly env: Readonly<Record<string, pulumi.Input<string>>>;
  /** The Secret, loaded after the ConfigMap; values are secret Outputs. */
  readonly secrets: Readonly<Record<string, pulumi.Input<string>>>;
  readonly probes: {
    readonly startup: HttpProbe<K>;
    readonly liveness: HttpProbe<K>;
    readonly readiness: HttpProbe<K>;
  };
  /** The namespace's Pod Security level: `restricted` unless the definition says why not. */
  readonly podSecurity: "restricted" | "baseline" | "privileged";
  /** Replaces RuntimeDefault, for a reason the definition gives (the connector's io_uring). */
  readonly seccompProfile?: k8s.types.input.core.v1.SeccompProfile;
  readonly podAnnotations?: Record<string, string>;
  /** The PodDisruptionBudget's rule. */
  readonly disruption: { readonly minAvailable: 1 } | { readonly maxUnavailable: 1 };
}

export interface PlatformServiceArgs<K extends StatelessKey> {
  /** `staging` or `production`; written as the `environment` annotation on every object. */
  readonly environment: string;
  readonly topology: Topology;
  /** Registry of the platform's images (`IMAGE_REGISTRY_UNSET` when the stack sets none). */
  readonly imageRegistry: string;
  readonly definition: ServiceDefinition<K>;
}

/** What a platform service publishes: its stack outputs under `services.<key>`. */
export interface ServiceOutputs<K extends StatelessKey> {
  readonly namespace: string;
  readonly image: string;
  readonly replicas: number;
  readonly endpoints: Record<EndpointKey<K>, string>;
}

/**
 * One stateless platform service, rendered from its catalog record and its definition: a
 * namespace with its Pod Security level, a tokenless ServiceAccount, an auto-named ConfigMap and
 * Secret (a changed value creates a new object and so rolls the pods), the Deployment
 * (`statelessDeployment`), one Service per Service name of the record's endpoints (ClusterIP, or
 * headless), a PodDisruptionBudget, and the default-deny and allow NetworkPolicies of the traffic
 * matrix.
 */
export class PlatformService<K extends StatelessKey> extends pulumi.ComponentResource {
  public readonly namespace: k8s.core.v1.Namespace;
  public readonly deployment: k8s.apps.v1.Deployment;
  /** The Services, by name. */
  public readonly services: Record<string, k8s.core.v1.Service>;
  public readonly image: string;
  /** Its stack outputs. */
  public readonly outputs: ServiceOutputs<K>;

  constructor(name: string, args: PlatformServiceArgs<K>, opts?: pulumi.ComponentResourceOptions) {
    const { definition: d, topology } = args;
    super(d.componentType, name, {}, opts);
    const record: ServiceRecord = CATALOG[d.key];
    const child = { parent: this };
    checkUrls(d, topology);

    const foundation = serviceFoundation(this, name, d.key, args, d.podSecurity);
    const { app, objectName, meta, serviceAccount } = foundation;
    this.namespace = foundation.namespace;
    this.image = imageRef(args.imageRegistry, d.repository, d.imageTag);

    const config = new k8s.core.v1.ConfigMap(
      `${name}-config`,
      { metadata: meta, data: { ...d.env } },
      child,
    );
    const secret = new k8s.core.v1.Secret(
      `${name}-secrets`,
      { metadata: meta, type: "Opaque", stringData: { ...d.secrets } },
      child,
    );

    this.deployment = statelessDeployment(
      `${name}-deployment`,
      {
        name: objectName,
        app,
        meta,
        replicas: d.replicas,
        serviceAccountName: serviceAccount.metadata.name,
        seccompProfile: d.seccompProfile,
        podAnnotations: d.podAnnotations,
        container: {
          name: d.container,
          image: this.image,
          ports: Object.entries(record.ports).map(([portName, containerPort]) => ({
            name: portName,
            containerPort,
          })),
          configMaps: [config.metadata.name],
          secrets: [secret.metadata.name],
          resources: d.resources,
          startupProbe: httpGetProbe(d.probes.startup.path, d.probes.startup.port, STARTUP),
          livenessProbe: httpGetProbe(d.probes.liveness.path, d.probes.liveness.port, LIVENESS),
          readinessProbe: httpGetProbe(d.probes.readiness.path, d.probes.readiness.port, READINESS),
        },
      },
      child,
    );

    // One Service per Service name; the first is `<name>-service`, another `<name>-<endpoint>-service`.
    this.services = {};
    const endpoints = Object.entries(record.endpoints);
    const serviceNames = [...new Set(endpoints.map(([, e]) => e.service))];
    for (const [i, serviceName] of serviceNames.entries()) {
      const served = endpoints.filter(([, e]) => e.service === serviceName);
      const [firstKey, first] = served[0];
      const spec = {
        ...(first.headless === true ? { clusterIP: "None" } : { type: "ClusterIP" }),
        selector: selectorLabels(app),
        ports: served.map(([, e]) => ({
          name: e.port,
          port: record.ports[e.port],
          targetPort: e.port,
          protocol: "TCP",
        })),
      };
      const endpoint = (topology.endpoints[d.key] as Record<string, { service: string }>)[firstKey];
      this.services[serviceName] = new k8s.core.v1.Service(
        i === 0 ? `${name}-service` : `${name}-${firstKey}-service`,
        { metadata: { name: endpoint.service, ...meta }, spec },
        child,
      );
    }

    new k8s.policy.v1.PodDisruptionBudget(
      `${name}-pdb`,
      {
        metadata: { name: objectName, ...meta },
        spec: { ...d.disruption, selector: { matchLabels: selectorLabels(app) } },
      },
      child,
    );

    workloadNetworkPolicies(name, objectName, d.key, topology, meta, child);

    this.outputs = {
      namespace: topology.workloads[d.key].namespace,
      image: this.image,
      replicas: d.replicas,
      endpoints: endpointUrls(topology, d.key),
    };
    this.registerOutputs(this.outputs);
  }
}

const CLUSTER_URL = /^[a-z]+:\/\/[^/]*\.svc\.cluster\.local(:[0-9]+)?/;

/**
 * The definition's URLs are exactly its calls': every call's URL under its variable, and no
 * other cluster URL. A URL written without its call would have no NetworkPolicy rule and be
 * blocked; a call without its URL would open a port nobody uses.
 */
export function checkUrls<K extends StatelessKey>(
  d: ServiceDefinition<K>,
  topology: Topology,
): void {
  const problems: string[] = [];
  const urls: Record<string, string> = callUrls(topology, d.key);
  const envs = new Set(Object.keys(urls));
  for (const env of envs) {
    if (d.env[env] !== urls[env]) {
      problems.push(`${env} (a call of the catalog) is not ${urls[env]} in its env`);
    }
  }
  for (const [key, value] of Object.entries(d.env)) {
    if (typeof value === "string" && CLUSTER_URL.test(value) && !envs.has(key)) {
      problems.push(`${key} holds a cluster URL but is not a call of the catalog`);
    }
  }
  if (problems.length > 0) {
    throw new Error(`service ${d.key}: ${problems.join("; ")} (stacks/catalog.ts, calls)`);
  }
}
