import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PlannedAgent } from "../kgents/plan";
import type { Problem } from "../stacks/problems";
import { SIDECAR_MODULE, configEnvName } from "../kgents/schema";
import { PORTS } from "../stacks/catalog";
import { Topology } from "../stacks/topology";
import { agentApp, agentEndpoint } from "../stacks/topology";
import { AGENT_STATE_SIZE_LIMIT } from "../stacks/schema-parts";
import { AGENT_API_VERSION, AGENT_CRD_NAME, AGENT_KIND, agentCrd } from "./agent-crd";
import { KEPT } from "./shared/kept";
import { GroupObject, configGroupChild } from "./shared/urns";
import { appLabels, commonAnnotations, podTemplateMetadata, selectorLabels } from "./shared/labels";
import { PodFlow, PodGroup, allowPolicySpec } from "./shared/network";
import { ContainerDeclaration, scratchVolume } from "./shared/pod";
import { deploymentSpec, disruptionBudgetSpec } from "./shared/workload";
import { LIVENESS, READINESS, STARTUP, execProbe, tcpProbe } from "./shared/probes";
import { preferSpreadAcrossNodes } from "./shared/scheduling";

type EnvVar = k8s.types.input.core.v1.EnvVar;
type NetworkPolicyEgressRule = k8s.types.input.networking.v1.NetworkPolicyEgressRule;

/** The label of an agent's objects and pods that names its genus. */
export const GENUS_LABEL = "kgents.io/genus";

/** The container that runs an agent's entrypoint, and its D-gent sidecar's. */
export const LOGIC_CONTAINER = "logic";
export const SIDECAR_CONTAINER = "d-gent";

/** Where the `state` emptyDir is mounted: the only writable path in an agent's pods. */
const STATE_PATH = "/state";

/**
 * What `networkPolicy.allowEgress: true` opens: every address outside the private, link-local
 * and carrier-grade NAT ranges, on any port. Pods, Services and nodes of the cluster (which
 * live in those ranges) stay closed, as does the cloud metadata endpoint 169.254.169.254;
 * other agents are reached only through `allowedPeers`.
 */
const PUBLIC_EGRESS_RULE: NetworkPolicyEgressRule = {
  to: [
    {
      ipBlock: {
        cidr: "0.0.0.0/0",
        except: [
          "10.0.0.0/8",
          "172.16.0.0/12",
          "192.168.0.0/16",
          "100.64.0.0/10",
          "169.254.0.0/16",
        ],
      },
    },
    { ipBlock: { cidr: "::/0", except: ["fc00::/7", "fe80::/10"] } },
  ],
};

type Deployment = k8s.types.input.apps.v1.Deployment;
type Service = k8s.types.input.core.v1.Service;
type NetworkPolicy = k8s.types.input.networking.v1.NetworkPolicy;
type PodDisruptionBudget = k8s.types.input.policy.v1.PodDisruptionBudget;

/** An object of a custom kind: here, an Agent. */
interface AgentObject {
  readonly apiVersion: typeof AGENT_API_VERSION;
  readonly kind: typeof AGENT_KIND;
  readonly metadata: k8s.types.input.meta.v1.ObjectMeta;
  readonly spec: Record<string, unknown>;
}

/** Every Kubernetes object of one agent, as plain data. */
interface AgentObjects {
  readonly deployment: Deployment;
  readonly service: Service;
  readonly networkPolicy: NetworkPolicy;
  readonly podDisruptionBudget: PodDisruptionBudget;
  readonly agent: AgentObject;
}

interface AgentObjectsArgs {
  /** Written as the `environment` annotation on every object. */
  readonly environment: string;
  readonly topology: Topology;
  /** The agent as this stack deploys it. */
  readonly agent: PlannedAgent;
}

/**
 * One kgents agent from its spec, as the operator built it and with its defects fixed:
 * Deployment `<genus>-gent` (`logic` container, optional `d-gent` sidecar, shared `state`
 * volume), ClusterIP Service `http` 8080, NetworkPolicy (callers in, peers and DNS out),
 * a PodDisruptionBudget (`disruptionRule`), and its Agent object. All of them live
 * in `kgents-agents<suffix>`; `Agents` deploys them.
 */
function agentObjects(args: AgentObjectsArgs): AgentObjects {
  const { agent, topology } = args;
  const app = agentApp(agent.genus);
  const labels = { ...appLabels(app, "agent"), [GENUS_LABEL]: agent.genus };
  const annotations = commonAnnotations(args.environment);
  const { service: name, namespace } = agentEndpoint(topology, agent.genus);
  const metadata = { name, namespace, labels, annotations };
  const identity: AgentIdentity = { app, labels, annotations, metadata };
  return {
    deployment: agentDeployment(identity, agent),
    service: agentService(identity),
    networkPolicy: agentNetworkPolicy(metadata, agent, topology),
    podDisruptionBudget: agentDisruptionBudget(identity, agent),
    agent: {
      apiVersion: AGENT_API_VERSION,
      kind: AGENT_KIND,
      metadata,
      spec: agentObjectSpec(agent),
    },
  };
}

/** What every object of one agent shares: its app name, labels, annotations and metadata. */
interface AgentIdentity {
  readonly app: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly metadata: k8s.types.input.meta.v1.ObjectMeta;
}

/** The agent's Deployment: its containers, spread across nodes, with the `state` scratch volume. */
function agentDeployment(identity: AgentIdentity, agent: PlannedAgent): Deployment {
  const { app, labels, annotations, metadata } = identity;
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata,
    spec: deploymentSpec({
      app,
      replicas: agent.replicas,
      podMetadata: podTemplateMetadata(labels, annotations),
      pod: {
        terminationGracePeriodSeconds: 30,
        placement: { affinity: preferSpreadAcrossNodes(app) },
        containers: agentContainers(agent),
        volumes: [scratchVolume("state", AGENT_STATE_SIZE_LIMIT)],
      },
    }),
  };
}

/** The agent's ClusterIP Service: `http` on 8080. */
function agentService({ app, metadata }: AgentIdentity): Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata,
    spec: {
      type: "ClusterIP",
      selector: selectorLabels(app),
      ports: [{ name: "http", port: PORTS.kgentsHttp, targetPort: "http", protocol: "TCP" }],
    },
  };
}

/** The agent's NetworkPolicy: its calls (`agentFlows`), and public egress if the spec allows it. */
function agentNetworkPolicy(
  metadata: AgentIdentity["metadata"],
  agent: PlannedAgent,
  topology: Topology,
): NetworkPolicy {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata,
    spec: allowPolicySpec(
      agentGroup(topology, agent.genus),
      agentFlows(agent, topology),
      agent.spec.networkPolicy.allowEgress ? [PUBLIC_EGRESS_RULE] : [],
    ),
  };
}

/**
 * Every agent, as every platform service, has a budget: with one replica it allows the
 * eviction (a drain is explicit, never blocked for good), with more it keeps one pod serving.
 */
function agentDisruptionBudget(
  { app, metadata }: AgentIdentity,
  agent: PlannedAgent,
): PodDisruptionBudget {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata,
    spec: disruptionBudgetSpec(app, agent.replicas),
  };
}

/**
 * Largest agent object, as JSON. The API server takes requests up to 3 MiB and etcd values up to
 * 1.5 MiB; a spec file is at most 64 KiB, so this is a margin that names the spec, not a limit
 * that shipped specs come near.
 */
const MAX_OBJECT_BYTES = 256 * 1024;

/**
 * Agent objects larger than `limit` bytes, as problems naming the spec, the object and the limit.
 * Runs before any resource is registered (index.ts).
 */
export function checkAgentObjectSizes(
  args: Omit<AgentObjectsArgs, "agent"> & { readonly agents: readonly PlannedAgent[] },
  limit: number = MAX_OBJECT_BYTES,
): Problem[] {
  const problems: Problem[] = [];
  for (const agent of args.agents) {
    const objects = agentObjects({ environment: args.environment, topology: args.topology, agent });
    for (const object of Object.values(objects) as { kind: string; metadata: { name: string } }[]) {
      const bytes = Buffer.byteLength(JSON.stringify(object), "utf8");
      if (bytes > limit) {
        problems.push({
          source: agent.spec.file,
          path: "(object)",
          message: `expected each Kubernetes object of an agent to be at most ${limit} bytes; given the ${object.kind} ${object.metadata.name} of ${bytes} bytes (shorten config)`,
        });
      }
    }
  }
  return problems;
}

export interface AgentsArgs {
  readonly environment: string;
  readonly topology: Topology;
  /** The agents this stack deploys (`planAgents`). */
  readonly agents: readonly PlannedAgent[];
  /** The kgents namespaces with their quotas, LimitRanges and policies: created first. */
  readonly namespaces: pulumi.Resource;
}

/**
 * The Agent CRD, then every deployed agent's objects (`agentObjects`) in one `yaml/v2`
 * ConfigGroup. The Kubernetes provider registers each object of the group as a resource of its
 * own kind, named `agents:<namespace>/<name>`, shown and diffed one by one in `pulumi preview`.
 * Every object names its namespace, so the provider need not ask the cluster whether the Agent
 * kind is namespaced before the CRD exists (provider 4.32 and later, pulumi/pulumi-kubernetes#4400).
 *
 * The CRD is cluster-wide, and staging and production may share a cluster: both stacks declare
 * it, and neither may delete it from under the other (deleting a CRD deletes every Agent object
 * of every stack). So it is a kept object (`shared/kept.ts`): a `CustomResourceDefinitionPatch`
 * that each stack applies with a field manager of its own, whichever comes first creating it and
 * the other adopting it, and that `pulumi destroy` leaves in place. It belongs to the cluster,
 * not to a stack; removing it is a deliberate `kubectl delete crd agents.kgents.io` once no stack
 * uses it (README, "Destroy and teardown").
 *
 * Why a ConfigGroup rather than one typed resource per object: the Node.js SDK registers each
 * resource through many promises and a protobuf round trip, which made a thousand agents take
 * half a minute to preview or render; the provider registers them natively instead. And why a
 * `yaml` text rather than `objs`: the SDK encodes a nested input value node by node, which alone
 * cost two seconds for a thousand agents, where a string crosses as one value. The text holds
 * one JSON object per line, which the provider's YAML-or-JSON decoder reads as a stream.
 * No object needs resource options of its own: agents keep no data (`state` is an emptyDir) and
 * no secrets.
 */
export class Agents extends pulumi.ComponentResource {
  public readonly crd: k8s.apiextensions.v1.CustomResourceDefinitionPatch;
  public readonly objects: k8s.yaml.v2.ConfigGroup;
  /**
   * The group's objects, by URN (as the provider names them): what `dependsOn` needs to wait for
   * each of them, since the SDK does not see what the provider registers as the group's children.
   */
  public readonly objectResources: pulumi.Output<pulumi.Resource[]>;

  constructor(name: string, args: AgentsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("agent-platform:index:Agents", name, {}, opts);
    const { environment, topology } = args;
    this.crd = new k8s.apiextensions.v1.CustomResourceDefinitionPatch(AGENT_CRD_NAME, agentCrd(), {
      parent: this,
      ...KEPT,
      // Before, the CRD was an object of the ConfigGroup: the alias makes the engine update it in
      // place rather than delete it under its old name, which would delete every Agent object.
      aliases: [formerCrdUrn()],
    });
    const objects: object[] = [];
    for (const agent of args.agents) {
      objects.push(...Object.values(agentObjects({ environment, topology, agent })));
    }
    this.objects = new k8s.yaml.v2.ConfigGroup(
      AGENTS_RESOURCE_PREFIX,
      { yaml: jsonStream(objects), resourcePrefix: AGENTS_RESOURCE_PREFIX },
      { parent: this, dependsOn: [args.namespaces, this.crd] },
    );
    this.objectResources = this.objects.urn.apply((groupUrn) =>
      objects.map(
        (o) =>
          new pulumi.DependencyResource(
            configGroupChild(groupUrn, AGENTS_RESOURCE_PREFIX, o as GroupObject).urn,
          ),
      ),
    );
    this.registerOutputs({});
  }
}

/** The URN the CRD had as an object of the `agents` ConfigGroup under the top-level `Agents`. */
function formerCrdUrn(): string {
  const types = [
    "agent-platform:index:Agents",
    "kubernetes:yaml/v2:ConfigGroup",
    "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
  ].join("$");
  const name = `${AGENTS_RESOURCE_PREFIX}:${AGENT_CRD_NAME}`;
  return `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${types}::${name}`;
}

/** The ConfigGroup's name, and the prefix of its objects' resource names. */
const AGENTS_RESOURCE_PREFIX = "agents";

/** One JSON object per line: YAML's superset of JSON, as a stream the provider decodes. */
function jsonStream(objects: readonly object[]): string {
  return objects.map((o) => JSON.stringify(o)).join("\n");
}

/**
 * The d-gent sidecar listens on no port and documents no health endpoint; what it needs is its
 * writable state volume, so its probes check exactly that, with the Python the container runs
 * (its image need not have a shell). Probes are required on every long-running container
 * (policy pack, `probes`).
 */
const SIDECAR_HEALTH_COMMAND = [
  "python",
  "-c",
  `import os, sys; sys.exit(0 if os.access("${STATE_PATH}", os.W_OK) else 1)`,
] as const;
/** Starting Python under the sidecar's small CPU limit can take more than STARTUP's 1 s. */
const SIDECAR_PROBE_TIMEOUT = { timeoutSeconds: 5 };

/**
 * An environment value exactly as the spec wrote it. Kubernetes expands `$(NAME)` in `env[].value`
 * and reduces `$$` to `$`, so every `$` is doubled: `$(KGENTS_GENUS)` reaches the container as
 * those 15 characters, not as the genus.
 */
export function escapeEnvValue(value: string): string {
  return value.replaceAll("$", "$$$$");
}

/** The `logic` container and, when enabled, the `d-gent` sidecar. */
export function agentContainers(agent: PlannedAgent): ContainerDeclaration[] {
  const stateMount = { name: "state", mountPath: STATE_PATH };
  const baseEnv: EnvVar[] = [
    { name: "KGENTS_GENUS", value: agent.genus },
    { name: "KGENTS_STATE_PATH", value: STATE_PATH },
    // Root filesystems are read-only: no bytecode cache, temporary files under /state.
    { name: "PYTHONDONTWRITEBYTECODE", value: "1" },
    { name: "TMPDIR", value: STATE_PATH },
  ];
  const configEnv: EnvVar[] = Object.keys(agent.spec.config)
    .sort()
    .map((key) => ({
      name: configEnvName(key),
      value: escapeEnvValue(String(agent.spec.config[key])),
    }));

  const logic: ContainerDeclaration = {
    name: LOGIC_CONTAINER,
    image: agent.image,
    command: ["python", "-m", agent.spec.entrypoint],
    ports: [{ name: "http", containerPort: PORTS.kgentsHttp }],
    env: [...baseEnv, ...configEnv],
    resources: agent.resources,
    // kgents agents document no health endpoint; a TCP check on the HTTP port is the contract.
    probes: {
      startup: tcpProbe("http", STARTUP),
      liveness: tcpProbe("http", LIVENESS),
      readiness: tcpProbe("http", READINESS),
    },
    volumeMounts: [stateMount],
  };
  if (!agent.sidecar.enabled) return [logic];
  const sidecar: ContainerDeclaration = {
    name: SIDECAR_CONTAINER,
    image: agent.sidecar.image,
    command: ["python", "-m", SIDECAR_MODULE],
    env: baseEnv,
    resources: agent.sidecar.resources,
    probes: {
      startup: execProbe(SIDECAR_HEALTH_COMMAND, { ...STARTUP, ...SIDECAR_PROBE_TIMEOUT }),
      liveness: execProbe(SIDECAR_HEALTH_COMMAND, { ...LIVENESS, ...SIDECAR_PROBE_TIMEOUT }),
      readiness: execProbe(SIDECAR_HEALTH_COMMAND, { ...READINESS, ...SIDECAR_PROBE_TIMEOUT }),
    },
    volumeMounts: [stateMount],
  };
  return [logic, sidecar];
}

/** The pods of a kgents agent, as one end of a call. */
function agentGroup(topology: Topology, genus: string): PodGroup {
  return { namespace: topology.kgents.agents, app: agentApp(genus) };
}

/**
 * An agent's calls, declared as every call is (`allowPolicySpec`): in on 8080 from the deployed
 * agents that list it as a peer, out on 8080 to its peers. With no callers nothing may connect;
 * `allowEgress` adds `PUBLIC_EGRESS_RULE` beside them.
 */
function agentFlows(agent: PlannedAgent, topology: Topology): PodFlow[] {
  const self = agentGroup(topology, agent.genus);
  const port = PORTS.kgentsHttp;
  return [
    ...agent.callers.map((genus) => ({ from: agentGroup(topology, genus), to: self, port })),
    ...agent.peers.map((genus) => ({ from: self, to: agentGroup(topology, genus), port })),
  ];
}

/** The Agent object's spec: the spec as deployed, config values as the strings pods see. */
function agentObjectSpec(agent: PlannedAgent): Record<string, unknown> {
  return {
    genus: agent.genus,
    name: agent.name,
    image: agent.image,
    replicas: agent.replicas,
    resources: agent.resources,
    sidecar: agent.sidecar.enabled
      ? { enabled: true, image: agent.sidecar.image, resources: agent.sidecar.resources }
      : { enabled: false },
    entrypoint: agent.spec.entrypoint,
    config: Object.fromEntries(
      Object.keys(agent.spec.config)
        .sort()
        .map((key) => [key, String(agent.spec.config[key])]),
    ),
    networkPolicy: {
      allowEgress: agent.spec.networkPolicy.allowEgress,
      allowedPeers: [...agent.peers],
    },
  };
}
