import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  CATALOG,
  EndpointKey,
  RunContext,
  RunSpec,
  ServiceRecord,
  StatelessKey,
  WorkloadKey,
} from "../stacks/catalog";
import { Topology, callUrls, endpointUrls } from "../stacks/topology";
import { imageRef } from "../stacks/images";

import { selectorLabels } from "./shared/labels";
import { LIVENESS, READINESS, STARTUP, httpGetProbe } from "./shared/probes";
import { serviceFoundation, statelessDeployment, workloadNetworkPolicies } from "./shared/workload";

export interface PlatformServiceArgs<K extends StatelessKey> {
  readonly key: K;
  /** `staging` or `production`; written as the `environment` annotation on every object. */
  readonly environment: string;
  readonly topology: Topology;
  /** Registry of the platform's images (`IMAGE_REGISTRY_UNSET` when the stack sets none). */
  readonly imageRegistry: string;
  /** What the record's `run` may use; `urls` are filled in from the record's calls. */
  readonly context: Omit<RunContext, "urls">;
}

/** What a platform service publishes: its stack outputs under `services.<key>`. */
export interface ServiceOutputs<K extends WorkloadKey> {
  readonly namespace: string;
  readonly image: string;
  readonly replicas: number;
  readonly endpoints: Record<EndpointKey<K>, string>;
}

/**
 * One stateless platform service, rendered from its catalog record: a namespace with its Pod
 * Security level, a tokenless ServiceAccount, an auto-named ConfigMap and Secret (a changed
 * value creates a new object and so rolls the pods), the Deployment (`statelessDeployment`), one
 * Service per Service name of the record's endpoints (ClusterIP, or headless), a
 * PodDisruptionBudget, and the default-deny and allow NetworkPolicies of the traffic matrix.
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
    const { key, topology } = args;
    const record: ServiceRecord = CATALOG[key];
    const urls: Record<string, string> = callUrls(topology, key);
    const run = record.run!({ ...args.context, urls });
    super(componentType(key), name, {}, opts);
    const child = { parent: this };
    checkRun(key, run, urls);

    const foundation = serviceFoundation(this, name, key, args, run.podSecurity);
    const { app, objectName, meta, serviceAccount } = foundation;
    this.namespace = foundation.namespace;
    this.image = imageRef(args.imageRegistry, run.repository, run.imageTag);

    const config = new k8s.core.v1.ConfigMap(
      `${name}-config`,
      { metadata: meta, data: { ...run.env } },
      child,
    );
    const secret = new k8s.core.v1.Secret(
      `${name}-secrets`,
      { metadata: meta, type: "Opaque", stringData: { ...run.secrets } },
      child,
    );

    const probe = (p: { path: string; port: string }, timing: typeof STARTUP) =>
      httpGetProbe(p.path, p.port, timing);
    this.deployment = statelessDeployment(
      `${name}-deployment`,
      {
        name: objectName,
        app,
        meta,
        replicas: run.replicas,
        serviceAccountName: serviceAccount.metadata.name,
        seccompProfile: run.seccompProfile,
        podAnnotations: run.podAnnotations,
        container: {
          name: record.app,
          image: this.image,
          ports: Object.entries(record.ports).map(([portName, containerPort]) => ({
            name: portName,
            containerPort,
          })),
          configMaps: [config.metadata.name],
          secrets: [secret.metadata.name],
          resources: run.resources,
          startupProbe: probe(run.probes.startup, STARTUP),
          livenessProbe: probe(run.probes.liveness, LIVENESS),
          readinessProbe: probe(run.probes.readiness, READINESS),
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
      const endpoint = (topology.endpoints[key] as Record<string, { service: string }>)[firstKey];
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
        spec: { ...run.disruption, selector: { matchLabels: selectorLabels(app) } },
      },
      child,
    );

    workloadNetworkPolicies(name, objectName, key, topology, meta, child);

    this.outputs = {
      namespace: topology.workloads[key].namespace,
      image: this.image,
      replicas: run.replicas,
      endpoints: endpointUrls(topology, key),
    };
    this.registerOutputs(this.outputs);
  }
}

/** `agent-platform:index:AgentSociety` for `agentSociety`: stable, it is in every child's URN. */
export function componentType(key: StatelessKey): string {
  return `agent-platform:index:${key[0].toUpperCase()}${key.slice(1)}`;
}

const CLUSTER_URL = /^[a-z]+:\/\/[^/]*\.svc\.cluster\.local(:[0-9]+)?/;

/**
 * What a record's `run` gave, checked against the record: its URLs are exactly its calls' (every
 * call's URL under its variable, and no other cluster URL: a URL without its call would have no
 * NetworkPolicy rule and be blocked), and its probes name ports it has.
 */
export function checkRun(key: WorkloadKey, run: RunSpec, urls: Record<string, string>): void {
  const problems: string[] = [];
  for (const [env, url] of Object.entries(urls)) {
    if (run.env[env] !== url)
      problems.push(`${env} (a call of the catalog) is not ${url} in its env`);
  }
  for (const [env, value] of Object.entries(run.env)) {
    if (typeof value === "string" && CLUSTER_URL.test(value) && !(env in urls)) {
      problems.push(`${env} holds a cluster URL but is not a call of the catalog`);
    }
  }
  const ports: Readonly<Record<string, number>> = CATALOG[key].ports;
  for (const [kind, probe] of Object.entries(run.probes)) {
    if (!(probe.port in ports))
      problems.push(`the ${kind} probe names no port of it: ${probe.port}`);
  }
  if (problems.length > 0) {
    throw new Error(`service ${key}: ${problems.join("; ")} (stacks/catalog.ts)`);
  }
}
