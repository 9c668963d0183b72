import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { AgentSocietyConfig } from "../stacks/schema";
import { PORTS, urlOf } from "../stacks/topology";
import { selectorLabels } from "./shared/labels";
import { LIVENESS, READINESS, STARTUP, httpGetProbe } from "./shared/probes";
import { PLATFORM_REPOSITORIES, imageRef } from "../stacks/images";
import {
  PlatformServiceArgs,
  serviceFoundation,
  statelessDeployment,
  workloadNetworkPolicies,
} from "./shared/workload";

export interface AgentSocietyArgs extends PlatformServiceArgs {
  /** Validated settings of this service. */
  readonly settings: AgentSocietyConfig;
  /** `NOSTR_SECRET_KEY`, 64 hex characters, as a secret Output. */
  readonly nostrSecretKey: pulumi.Input<string>;
  /**
   * The connector's admin API key (the connector's `ADMIN_API_KEY`), as a secret Output:
   * agent-society manages channels on the admin API (`CONNECTOR_ADMIN_URL`), which refuses calls
   * without it. Given as `CONNECTOR_ADMIN_API_KEY`, named after `CONNECTOR_ADMIN_URL` (README,
   * agent-society: the domain notes name no variable).
   */
  readonly connectorAdminApiKey: pulumi.Input<string>;
}

/**
 * agent-society: the business-logic server (BLS, HTTP on 3100) and the Nostr relay (WebSocket
 * on 7100) in one pod, as Story 23.2 deploys it, in its own namespace with a default-deny
 * NetworkPolicy, a PodDisruptionBudget and the restricted pod security level.
 */
export class AgentSociety extends pulumi.ComponentResource {
  public readonly namespace: k8s.core.v1.Namespace;
  public readonly deployment: k8s.apps.v1.Deployment;
  public readonly service: k8s.core.v1.Service;
  public readonly relayService: k8s.core.v1.Service;
  /** The image the Deployment runs. */
  public readonly image: string;

  constructor(name: string, args: AgentSocietyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("agent-platform:index:AgentSociety", name, {}, opts);
    const { topology, settings } = args;
    const child = { parent: this };
    const foundation = serviceFoundation(this, name, "agentSociety", args, "restricted");
    const { app, objectName, meta, serviceAccount } = foundation;
    this.namespace = foundation.namespace;
    this.image = imageRef(
      args.imageRegistry,
      PLATFORM_REPOSITORIES.agentSociety,
      settings.imageTag,
    );

    // ConfigMap and Secret are auto-named: a change creates a new object with a new name,
    // which changes the Deployment's envFrom and so rolls the pods onto the new values.
    const config = new k8s.core.v1.ConfigMap(
      `${name}-config`,
      {
        metadata: meta,
        data: {
          BLS_PORT: String(PORTS.agentSocietyHttp),
          WS_PORT: String(PORTS.agentSocietyWs),
          ASSET_CODE: settings.assetCode,
          ASSET_SCALE: String(settings.assetScale),
          BASE_PRICE_PER_BYTE: String(settings.basePricePerByte),
          CONNECTOR_ADMIN_URL: urlOf(topology.connector.admin, "http"),
          AGENT_RUNTIME_URL: urlOf(topology.agentRuntime.http, "http"),
          LOG_LEVEL: args.logLevel,
          NODE_ID: settings.nodeId,
          SUPPORTED_CHAINS: settings.supportedChains.join(","),
          SETTLEMENT_TIMEOUT: String(settings.settlementTimeout),
          INITIAL_DEPOSIT: String(settings.initialDeposit),
          // agent-society exits at start without an ILP address.
          ILP_ADDRESS: settings.ilpAddress,
          // Arweave uploads need outbound HTTPS, which the NetworkPolicy does not allow.
          ARDRIVE_ENABLED: "false",
        },
      },
      child,
    );

    const secret = new k8s.core.v1.Secret(
      `${name}-secrets`,
      {
        metadata: meta,
        type: "Opaque",
        stringData: {
          NOSTR_SECRET_KEY: args.nostrSecretKey,
          CONNECTOR_ADMIN_API_KEY: args.connectorAdminApiKey,
        },
      },
      child,
    );

    this.deployment = statelessDeployment(
      `${name}-deployment`,
      {
        name: objectName,
        app: app,
        meta,
        replicas: settings.replicas,
        serviceAccountName: serviceAccount.metadata.name,
        container: {
          name: "agent-society",
          image: this.image,
          ports: [
            { name: "http", containerPort: PORTS.agentSocietyHttp },
            { name: "ws", containerPort: PORTS.agentSocietyWs },
          ],
          configMaps: [config.metadata.name],
          secrets: [secret.metadata.name],
          resources: settings.resources,
          startupProbe: httpGetProbe("/health", "http", STARTUP),
          livenessProbe: httpGetProbe("/health", "http", LIVENESS),
          readinessProbe: httpGetProbe("/health", "http", READINESS),
        },
      },
      child,
    );

    this.service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: topology.agentSociety.bls.service, ...meta },
        spec: {
          type: "ClusterIP",
          selector: selectorLabels(app),
          ports: [
            {
              name: "http",
              port: topology.agentSociety.bls.port,
              targetPort: "http",
              protocol: "TCP",
            },
          ],
        },
      },
      child,
    );

    this.relayService = new k8s.core.v1.Service(
      `${name}-relay-service`,
      {
        metadata: { name: topology.agentSociety.relay.service, ...meta },
        spec: {
          clusterIP: "None",
          selector: selectorLabels(app),
          ports: [
            {
              name: "ws",
              port: topology.agentSociety.relay.port,
              targetPort: "ws",
              protocol: "TCP",
            },
          ],
        },
      },
      child,
    );

    new k8s.policy.v1.PodDisruptionBudget(
      `${name}-pdb`,
      {
        metadata: { name: objectName, ...meta },
        spec: {
          ...disruptionRule(args.settings.replicas),
          selector: { matchLabels: selectorLabels(app) },
        },
      },
      child,
    );

    workloadNetworkPolicies(name, objectName, "agentSociety", topology, meta, child);

    this.registerOutputs({});
  }
}

/**
 * Story 23.2's `minAvailable: 1` where it is safe: with two or more replicas a drain evicts one
 * pod at a time and one always serves. With one replica (staging) `minAvailable: 1` would block
 * every drain and node upgrade for good, so the budget becomes `maxUnavailable: 1`: the pod may
 * be evicted, and the Deployment starts it again elsewhere.
 */
export function disruptionRule(replicas: number): { minAvailable: 1 } | { maxUnavailable: 1 } {
  return replicas >= 2 ? { minAvailable: 1 } : { maxUnavailable: 1 };
}
