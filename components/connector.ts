import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ConnectorConfig } from "../stacks/schema";
import type { IoUringSeccomp } from "../stacks/tigerbeetle";
import { PORTS, urlOf } from "../stacks/topology";
import { PLATFORM_REPOSITORIES, imageRef } from "../stacks/images";
import { selectorLabels } from "./shared/labels";
import { LIVENESS, READINESS, STARTUP, httpGetProbe } from "./shared/probes";
import {
  ioUringPodAnnotations,
  ioUringPodSecurityLevel,
  ioUringSeccompProfile,
} from "./shared/security";
import {
  PlatformServiceArgs,
  serviceFoundation,
  onePodAtATimeBudget,
  statelessDeployment,
  workloadNetworkPolicies,
} from "./shared/workload";

export interface ConnectorArgs extends PlatformServiceArgs {
  readonly settings: ConnectorConfig;
  /** The TigerBeetle cluster the connector keeps its accounts in. */
  readonly tigerbeetle: {
    readonly clusterId: string;
    /** Every replica's `ip:3000` in replica order (`TIGERBEETLE_REPLICAS`). */
    readonly addresses: pulumi.Input<string>;
    /** The connector runs a TigerBeetle client, which needs io_uring too. */
    readonly seccomp: IoUringSeccomp;
  };
  /** `ADMIN_API_KEY`. */
  readonly adminApiKey: pulumi.Input<string>;
  /** `BTP_PEER_AGENT_RUNTIME_SECRET`: agent-runtime's CONNECTOR_BTP_AUTH_TOKEN. */
  readonly btpAuthToken: pulumi.Input<string>;
}

/**
 * The ILP connector (`agent-runtime/connector`): BTP on 4000 for agent-runtime, health on 8080,
 * the admin API on 8081 for agent-society, accounts in TigerBeetle, and local delivery of
 * incoming packets to agent-runtime.
 */
export class Connector extends pulumi.ComponentResource {
  public readonly namespace: k8s.core.v1.Namespace;
  public readonly deployment: k8s.apps.v1.Deployment;
  public readonly service: k8s.core.v1.Service;
  public readonly image: string;

  constructor(name: string, args: ConnectorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("agent-platform:index:Connector", name, {}, opts);
    const { topology, settings } = args;
    const child = { parent: this };
    // The TigerBeetle client uses io_uring: same seccomp choice, and Pod Security level, as
    // TigerBeetle's own namespace (see ioUringPodSecurityLevel and the README, "io_uring").
    const { app, objectName, namespace, meta, serviceAccount } = serviceFoundation(
      this,
      name,
      "connector",
      args,
      ioUringPodSecurityLevel(args.tigerbeetle.seccomp),
    );
    this.namespace = namespace;
    this.image = imageRef(args.imageRegistry, PLATFORM_REPOSITORIES.connector, settings.imageTag);

    const config = new k8s.core.v1.ConfigMap(
      `${name}-config`,
      {
        metadata: meta,
        data: {
          NODE_ID: settings.nodeId,
          LOG_LEVEL: args.logLevel,
          BTP_SERVER_PORT: String(PORTS.connectorBtp),
          HEALTH_CHECK_PORT: String(PORTS.connectorHealth),
          // The admin API is off unless enabled; agent-society manages channels through it.
          ADMIN_API_ENABLED: "true",
          ADMIN_API_PORT: String(PORTS.connectorAdmin),
          // Settlement needs outbound HTTPS to chain RPCs, which the NetworkPolicy does not allow.
          SETTLEMENT_ENABLED: "false",
          SETTLEMENT_PREFERENCE: settings.settlementPreference,
          SETTLEMENT_THRESHOLD: String(settings.settlementThreshold),
          TIGERBEETLE_CLUSTER_ID: args.tigerbeetle.clusterId,
          TIGERBEETLE_REPLICAS: args.tigerbeetle.addresses,
          LOCAL_DELIVERY_ENABLED: "true",
          LOCAL_DELIVERY_URL: urlOf(topology.agentRuntime.http, "http"),
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
          ADMIN_API_KEY: args.adminApiKey,
          BTP_PEER_AGENT_RUNTIME_SECRET: args.btpAuthToken,
        },
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
        seccompProfile: ioUringSeccompProfile(args.tigerbeetle.seccomp),
        podAnnotations: ioUringPodAnnotations(args.tigerbeetle.seccomp),
        container: {
          name: "connector",
          image: this.image,
          ports: [
            { name: "btp", containerPort: PORTS.connectorBtp },
            { name: "health", containerPort: PORTS.connectorHealth },
            { name: "admin", containerPort: PORTS.connectorAdmin },
          ],
          configMaps: [config.metadata.name],
          secrets: [secret.metadata.name],
          resources: settings.resources,
          startupProbe: httpGetProbe("/health", "health", STARTUP),
          livenessProbe: httpGetProbe("/health/live", "health", LIVENESS),
          // 503 until TigerBeetle answers: no traffic before the ledger is reachable.
          readinessProbe: httpGetProbe("/health/ready", "health", READINESS),
        },
      },
      child,
    );

    const { btp, health, admin } = topology.connector;
    this.service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: btp.service, ...meta },
        spec: {
          type: "ClusterIP",
          selector: selectorLabels(app),
          ports: [
            { name: "btp", port: btp.port, targetPort: "btp", protocol: "TCP" },
            { name: "health", port: health.port, targetPort: "health", protocol: "TCP" },
            { name: "admin", port: admin.port, targetPort: "admin", protocol: "TCP" },
          ],
        },
      },
      child,
    );

    onePodAtATimeBudget(`${name}-pdb`, objectName, app, meta, child);
    workloadNetworkPolicies(name, objectName, "connector", topology, meta, child);
    this.registerOutputs({});
  }
}
