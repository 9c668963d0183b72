import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Catalog, flowsOf, statelessRecord } from "../stacks/catalog";
import { imageOf } from "../stacks/images";
import type {
  HttpProbe,
  RunContext,
  RunSpec,
  ServiceRecord,
  StatelessSettings,
} from "../stacks/record";
import { Topology, callUrls, endpointUrls } from "../stacks/topology";
import { podTemplateMetadata, selectorLabels } from "./shared/labels";
import { serviceFlows } from "./shared/network";
import { PodDeclaration, scratchVolume } from "./shared/pod";
import { LIVENESS, READINESS, STARTUP, ProbeTiming, httpGetProbe } from "./shared/probes";
import { preferSpreadAcrossNodes } from "./shared/scheduling";
import {
  WorkloadMeta,
  deploymentSpec,
  disruptionBudgetSpec,
  ServiceFoundation,
  serviceFoundation,
  workloadNetworkPolicies,
} from "./shared/workload";
import { SERVICE_TMP_SIZE_LIMIT } from "../stacks/schema-parts";

export interface PlatformServiceArgs {
  /** Its key in the catalog: its record, its config section, its type token. */
  readonly key: string;
  /** The catalog it is part of: its record, and the calls its URLs and policies come from. */
  readonly catalog: Catalog;
  /** Its config section, validated, with its environment's defaults. */
  readonly settings: StatelessSettings;
  /** `staging` or `production`; written as the `environment` annotation on every object. */
  readonly environment: string;
  readonly topology: Topology;
  /** Registry of the platform's images (`IMAGE_REGISTRY_UNSET` when the stack sets none). */
  readonly imageRegistry: string;
  /** What the record's `run` may use besides its settings and URLs. */
  readonly context: Pick<RunContext<StatelessSettings>, "stack" | "tigerbeetle">;
}

/** What a platform service publishes: its stack outputs under `services.<key>`. */
export interface ServiceOutputs {
  readonly namespace: string;
  readonly image: string;
  readonly replicas: number;
  /** Its endpoints' URLs, by the keys of its record's `endpoints`. */
  readonly endpoints: Record<string, string>;
}

/**
 * One stateless platform service, rendered from its catalog record: a namespace with its Pod
 * Security level, a tokenless ServiceAccount, an auto-named ConfigMap and Secret (a changed
 * value creates a new object and so rolls the pods), the Deployment (`deploymentSpec`, its pod
 * from `servicePod`), one Service per Service name of the record's endpoints (ClusterIP, or
 * headless), a PodDisruptionBudget, and the default-deny and allow NetworkPolicies of the
 * traffic matrix.
 */
export class PlatformService extends pulumi.ComponentResource {
  public readonly namespace: k8s.core.v1.Namespace;
  public readonly deployment: k8s.apps.v1.Deployment;
  /** The Services, by name. */
  public readonly services: Record<string, k8s.core.v1.Service>;
  public readonly image: string;
  /** Its stack outputs. */
  public readonly outputs: ServiceOutputs;

  constructor(name: string, args: PlatformServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    const { key, catalog, settings, topology } = args;
    const record = statelessRecord(catalog, key);
    const urls = callUrls(topology, key, catalog);
    const run = record.run({ ...args.context, settings, urls });
    super(componentType(key), name, {}, opts);
    const child = { parent: this };
    checkRun(key, record, run, urls);

    const foundation = serviceFoundation(this, name, key, args, run.podSecurity);
    const { app, objectName, meta, serviceAccount } = foundation;
    this.namespace = foundation.namespace;
    this.image = imageOf(record.image, args.imageRegistry, settings.imageTag);

    const envFrom = environmentObjects(name, meta, run, child);
    const pod = servicePod(
      record,
      run,
      settings,
      this.image,
      serviceAccount.metadata.name,
      envFrom,
    );
    this.deployment = serviceDeployment(name, foundation, settings.replicas, run, pod, child);
    this.services = serviceObjects(name, record, topology.endpoints[key], app, meta, child);
    disruptionBudget(name, foundation, settings.replicas, child);
    workloadNetworkPolicies(
      name,
      objectName,
      topology.workloads[key],
      serviceFlows(topology, flowsOf(catalog)),
      meta,
      child,
    );

    this.outputs = {
      namespace: topology.workloads[key].namespace,
      image: this.image,
      replicas: settings.replicas,
      endpoints: endpointUrls(topology, key),
    };
    this.registerOutputs(this.outputs);
  }
}

/** What `serviceFoundation` gives that the Deployment and the budget are named and labelled by. */
type Foundation = Pick<ServiceFoundation, "app" | "objectName" | "meta">;

/** The service's Deployment of `pod`, with the record's pod annotations on its template. */
function serviceDeployment(
  name: string,
  { app, objectName, meta }: Foundation,
  replicas: number,
  run: RunSpec,
  pod: PodDeclaration,
  opts: pulumi.CustomResourceOptions,
): k8s.apps.v1.Deployment {
  return new k8s.apps.v1.Deployment(
    `${name}-deployment`,
    {
      metadata: { name: objectName, ...meta },
      spec: deploymentSpec({
        app,
        replicas,
        podMetadata: podTemplateMetadata(meta.labels, meta.annotations, run.podAnnotations),
        pod,
      }),
    },
    opts,
  );
}

/** The service's PodDisruptionBudget (`disruptionBudgetSpec`). */
function disruptionBudget(
  name: string,
  { app, objectName, meta }: Foundation,
  replicas: number,
  opts: pulumi.CustomResourceOptions,
): void {
  const budget = disruptionBudgetSpec(app, replicas);
  new k8s.policy.v1.PodDisruptionBudget(
    `${name}-pdb`,
    { metadata: { name: objectName, ...meta }, spec: budget },
    opts,
  );
}

/**
 * The auto-named ConfigMap and Secret of `run` (a changed value creates a new object, and so rolls
 * the pods), as the container's environment: the ConfigMap first, then the Secret.
 */
function environmentObjects(
  name: string,
  meta: WorkloadMeta,
  run: RunSpec,
  opts: pulumi.CustomResourceOptions,
): k8s.types.input.core.v1.EnvFromSource[] {
  const config = new k8s.core.v1.ConfigMap(
    `${name}-config`,
    { metadata: meta, data: { ...run.env } },
    opts,
  );
  const secret = new k8s.core.v1.Secret(
    `${name}-secrets`,
    { metadata: meta, type: "Opaque", stringData: { ...run.secrets } },
    opts,
  );
  return [
    { configMapRef: { name: config.metadata.name } },
    { secretRef: { name: secret.metadata.name } },
  ];
}

/**
 * The pod of a stateless service: its one container, named after its app, with the record's
 * ports, the ConfigMap then the Secret as its environment, its resources and HTTP probes, and a
 * `/tmp` scratch volume beside the read-only root filesystem; preferred spread over nodes, 30 s
 * to stop. `seccompProfile` replaces RuntimeDefault only where the record says why.
 */
function servicePod(
  record: ServiceRecord,
  run: RunSpec,
  settings: StatelessSettings,
  image: string,
  serviceAccountName: pulumi.Input<string>,
  envFrom: k8s.types.input.core.v1.EnvFromSource[],
): PodDeclaration {
  const probe = (p: HttpProbe, timing: ProbeTiming) => httpGetProbe(p.path, p.port, timing);
  return {
    serviceAccountName,
    terminationGracePeriodSeconds: 30,
    seccompProfile: run.seccompProfile,
    placement: { affinity: preferSpreadAcrossNodes(record.app) },
    containers: [
      {
        name: record.app,
        image,
        ports: Object.entries(record.ports).map(([portName, containerPort]) => ({
          name: portName,
          containerPort,
        })),
        envFrom,
        resources: settings.resources,
        probes: {
          startup: probe(run.probes.startup, STARTUP),
          liveness: probe(run.probes.liveness, LIVENESS),
          readiness: probe(run.probes.readiness, READINESS),
        },
        volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
      },
    ],
    volumes: [scratchVolume("tmp", SERVICE_TMP_SIZE_LIMIT)],
  };
}

/**
 * One Service per Service name of the record's endpoints (ClusterIP, or headless), by name: the
 * first is `<name>-service`, another `<name>-<endpoint>-service`.
 */
function serviceObjects(
  name: string,
  record: ServiceRecord,
  endpoints: Readonly<Record<string, { readonly service: string }>>,
  app: string,
  meta: WorkloadMeta,
  opts: pulumi.CustomResourceOptions,
): Record<string, k8s.core.v1.Service> {
  const services: Record<string, k8s.core.v1.Service> = {};
  const declared = Object.entries(record.endpoints);
  const serviceNames = [...new Set(declared.map(([, e]) => e.service))];
  for (const [i, serviceName] of serviceNames.entries()) {
    const served = declared.filter(([, e]) => e.service === serviceName);
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
    services[serviceName] = new k8s.core.v1.Service(
      i === 0 ? `${name}-service` : `${name}-${firstKey}-service`,
      { metadata: { name: endpoints[firstKey].service, ...meta }, spec },
      opts,
    );
  }
  return services;
}

/** `agent-platform:index:AgentSociety` for `agentSociety`: stable, it is in every child's URN. */
function componentType(key: string): string {
  return `agent-platform:index:${key[0].toUpperCase()}${key.slice(1)}`;
}

const CLUSTER_URL = /^[a-z]+:\/\/[^/]*\.svc\.cluster\.local(:[0-9]+)?/;

/**
 * What a record's `run` gave, checked against the record: its URLs are exactly its calls' (every
 * call's URL under its variable, and no other cluster URL: a URL without its call would have no
 * NetworkPolicy rule and be blocked), and its probes name ports it has.
 */
export function checkRun(
  key: string,
  record: ServiceRecord,
  run: RunSpec,
  urls: Record<string, string>,
): void {
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
  const ports = record.ports;
  for (const [kind, probe] of Object.entries(run.probes)) {
    if (!(probe.port in ports))
      problems.push(`the ${kind} probe names no port of it: ${probe.port}`);
  }
  if (problems.length > 0) {
    throw new Error(`service ${key}: ${problems.join("; ")} (its record, stacks/services/)`);
  }
}
