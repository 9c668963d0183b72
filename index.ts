import { AgentRuntime } from "./components/agent-runtime";
import { AgentSociety } from "./components/agent-society";
import { Connector } from "./components/connector";
import { TigerBeetle } from "./components/tigerbeetle";
import { checkAgentObjectSizes } from "./components/agent";
import { deployKgents } from "./components/kgents";
import * as pulumi from "@pulumi/pulumi";
import { IMAGE_REGISTRY_UNSET } from "./stacks/images";
import { IMAGE_REGISTRY_UNSET_WARNING } from "./stacks/config";
import { InvalidInputError } from "./stacks/problems";
import { checkBudgets } from "./spec/budget";
import { planAgents } from "./spec/plan";
import { loadInputs } from "./stacks/inputs";
import { OUTPUTS_SCHEMA_VERSION, OutputsOf, StackOutputs } from "./stacks/outputs";
import { WORKLOADS, buildTopology, urlOf } from "./stacks/topology";

/**
 * The stack: validates all config first (nothing is registered when any of it is wrong), then
 * creates the services in start order. Pulumi calls this function and exports what it returns.
 */
export = async function main() {
  const { config, specs } = loadInputs();
  const topology = buildTopology(config);
  // Unset only in a preview (`pulumi up` refuses, stacks/config.ts): shown, never deployed.
  const registry = config.imageRegistry ?? IMAGE_REGISTRY_UNSET;
  if (config.imageRegistry === undefined) void pulumi.log.warn(IMAGE_REGISTRY_UNSET_WARNING);
  const agentPlan = planAgents(config.agents, specs, config.stack, registry);
  // A plan that does not fit its namespace's budget stops here, before any resource exists.
  const budgets = checkBudgets(config.budgets, agentPlan, topology, config.stack);
  const oversized = checkAgentObjectSizes({
    environment: config.environment,
    topology,
    agents: agentPlan,
  });
  if (oversized.length > 0) throw new InvalidInputError("Agent objects too large", oversized);

  const common = {
    environment: config.environment,
    topology,
    imageRegistry: registry,
    logLevel: config.logLevel,
  };

  const tigerbeetle = new TigerBeetle("tigerbeetle", {
    environment: config.environment,
    topology,
    settings: config.tigerbeetle,
  });

  const agentSociety = new AgentSociety(
    "agent-society",
    {
      ...common,
      settings: config.agentSociety,
      nostrSecretKey: config.secrets.nostrSecretKey,
      connectorAdminApiKey: config.secrets.connectorAdminApiKey,
    },
    { dependsOn: [tigerbeetle] },
  );

  const agentRuntime = new AgentRuntime(
    "agent-runtime",
    {
      ...common,
      settings: config.agentRuntime,
      btpAuthToken: config.secrets.btpAuthToken,
    },
    { dependsOn: [agentSociety] },
  );

  const connector = new Connector(
    "connector",
    {
      ...common,
      settings: config.connector,
      tigerbeetle: {
        clusterId: tigerbeetle.clusterId,
        addresses: tigerbeetle.addresses,
        seccomp: config.tigerbeetle.seccomp,
      },
      adminApiKey: config.secrets.connectorAdminApiKey,
      btpAuthToken: config.secrets.btpAuthToken,
    },
    { dependsOn: [agentRuntime] },
  );
  const kgents = deployKgents({
    environment: config.environment,
    topology,
    agents: agentPlan,
    budgets,
  });

  // The outputs are a contract for dashboards (stacks/outputs.ts): the compiler holds this
  // object to it, and the tests check the rendered outputs against the committed JSON Schema.
  return {
    schemaVersion: OUTPUTS_SCHEMA_VERSION,
    environment: config.environment,
    startOrder: [...WORKLOADS],
    services: {
      tigerbeetle: {
        namespace: tigerbeetle.namespace.metadata.name,
        image: tigerbeetle.image,
        replicas: tigerbeetle.replicaCount,
        clusterId: tigerbeetle.clusterId,
        endpoints: {
          /** Headless Service over all replicas (DNS only: clients need `addresses`). */
          headless: `${topology.tigerbeetle.client.host}:${topology.tigerbeetle.client.port}`,
        },
        /** What TigerBeetle clients take: every replica's `ip:3000`, in replica order. */
        addresses: tigerbeetle.addresses,
      },
      agentSociety: {
        namespace: agentSociety.namespace.metadata.name,
        image: agentSociety.image,
        replicas: config.agentSociety.replicas,
        endpoints: {
          http: urlOf(topology.agentSociety.bls, "http"),
          relay: urlOf(topology.agentSociety.relay, "ws"),
        },
      },
      agentRuntime: {
        namespace: agentRuntime.namespace.metadata.name,
        image: agentRuntime.image,
        replicas: config.agentRuntime.replicas,
        endpoints: { http: urlOf(topology.agentRuntime.http, "http") },
      },
      connector: {
        namespace: connector.namespace.metadata.name,
        image: connector.image,
        replicas: config.connector.replicas,
        endpoints: {
          btp: urlOf(topology.connector.btp, "ws"),
          health: urlOf(topology.connector.health, "http"),
          admin: urlOf(topology.connector.admin, "http"),
        },
      },
    },
    agents: kgents.outputs,
    budgets: kgents.budgetOutputs,
  } satisfies OutputsOf<StackOutputs>;
};
