import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { AgentRuntimeConfig } from "../stacks/schema";
import { PORTS, urlOf } from "../stacks/topology";
import { PLATFORM_REPOSITORIES, imageRef } from "../stacks/images";
import { selectorLabels } from "./shared/labels";
import { LIVENESS, READINESS, STARTUP, httpGetProbe } from "./shared/probes";
import {
  PlatformServiceArgs,
  serviceFoundation,
  onePodAtATimeBudget,
  statelessDeployment,
  workloadNetworkPolicies,
} from "./shared/workload";

export interface AgentRuntimeArgs extends PlatformServiceArgs {
  readonly settings: AgentRuntimeConfig;
  /** `CONNECTOR_BTP_AUTH_TOKEN`: the token the connector knows as BTP_PEER_AGENT_RUNTIME_SECRET. */
  readonly btpAuthToken: pulumi.Input<string>;
}

/**
 * agent-runtime (`agent-runtime/core`): the ILP middleware. It takes packets from the connector
 * (local delivery, POST /ilp/packets), asks agent-society's business logic about them, and
 * sends payments for agent-society (POST /ilp/send) over its BTP link to the connector.
 */
export class AgentRuntime extends pulumi.ComponentResource {
  public readonly namespace: k8s.core.v1.Namespace;
  public readonly deployment: k8s.apps.v1.Deployment;
  public readonly service: k8s.core.v1.Service;
  public readonly image: string;

  constructor(name: string, args: AgentRuntimeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("agent-platform:index:AgentRuntime", name, {}, opts);
    const { topology, settings } = args;
    const child = { parent: this };
    const { app, objectName, namespace, meta, serviceAccount } = serviceFoundation(
      this,
      name,
      "agentRuntime",
      args,
      "restricted",
    );
    this.namespace = namespace;
    this.image = imageRef(
      args.imageRegistry,
      PLATFORM_REPOSITORIES.agentRuntime,
      settings.imageTag,
    );

    // Auto-named, like agent-society's: a changed value rolls the pods.
    const config = new k8s.core.v1.ConfigMap(
      `${name}-config`,
      {
        metadata: meta,
        data: {
          PORT: String(PORTS.agentRuntimeHttp),
          NODE_ID: settings.nodeId,
          LOG_LEVEL: args.logLevel,
          BASE_ADDRESS: settings.baseAddress,
          BUSINESS_LOGIC_URL: urlOf(topology.agentSociety.bls, "http"),
          BUSINESS_LOGIC_TIMEOUT: String(settings.businessLogicTimeoutMs),
          CONNECTOR_BTP_URL: urlOf(topology.connector.btp, "ws"),
          CONNECTOR_BTP_MAX_RETRIES: String(settings.btpMaxRetries),
          SPSP_ENABLED: String(settings.spspEnabled),
          SESSION_TTL_MS: String(settings.sessionTtlMs),
        },
      },
      child,
    );
    const secret = new k8s.core.v1.Secret(
      `${name}-secrets`,
      {
        metadata: meta,
        type: "Opaque",
        stringData: { CONNECTOR_BTP_AUTH_TOKEN: args.btpAuthToken },
      },
      child,
    );

    this.deployment = statelessDeployment(
      `${name}-deployment`,
      {
        name: objectName,
        app,
        meta,
        replicas: settings.replicas,
        serviceAccountName: serviceAccount.metadata.name,
        container: {
          name: "agent-runtime",
          image: this.image,
          ports: [{ name: "http", containerPort: PORTS.agentRuntimeHttp }],
          configMaps: [config.metadata.name],
          secrets: [secret.metadata.name],
          resources: settings.resources,
          startupProbe: httpGetProbe("/health", "http", STARTUP),
          livenessProbe: httpGetProbe("/health", "http", LIVENESS),
          readinessProbe: httpGetProbe("/ready", "http", READINESS),
        },
      },
      child,
    );

    const http = topology.agentRuntime.http;
    this.service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: http.service, ...meta },
        spec: {
          type: "ClusterIP",
          selector: selectorLabels(app),
          ports: [{ name: "http", port: http.port, targetPort: "http", protocol: "TCP" }],
        },
      },
      child,
    );

    onePodAtATimeBudget(`${name}-pdb`, objectName, app, meta, child);
    workloadNetworkPolicies(name, objectName, "agentRuntime", topology, meta, child);
    this.registerOutputs({});
  }
}
