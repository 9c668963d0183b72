import * as pulumi from "@pulumi/pulumi";
import { TigerBeetle } from "./components/tigerbeetle";
import { DESTROY_GUARD_NAME, DestroyGuard } from "./components/destroy-guard";
import { deployKgents } from "./components/kgents";
import { PlatformService, ServiceOutputs } from "./components/platform-service";
import { preflight } from "./components/preflight";
import { STATELESS, StatelessKey, WORKLOADS } from "./stacks/catalog";
import { imageRegistryUnsetWarning } from "./stacks/config";
import { OUTPUTS_SCHEMA_VERSION, OutputsOf, StackOutputs } from "./stacks/outputs";

/**
 * The stack: validates all config first (nothing is registered when any of it is wrong), then
 * creates the services in start order and maps what they publish to the stack outputs. Pulumi
 * calls this function and exports what it returns.
 */
export = async function main() {
  const { config, topology, imageRegistry, agentPlan, budgets } = preflight();
  if (config.imageRegistry === undefined) {
    void pulumi.log.warn(imageRegistryUnsetWarning(config.stack));
  }

  const tigerbeetle = new TigerBeetle("tigerbeetle", {
    environment: config.environment,
    topology,
    settings: config.tigerbeetle,
  });

  // The stateless services in start order (WORKLOADS), each waiting for the one before it.
  const context = {
    config,
    tigerbeetle: {
      clusterId: tigerbeetle.clusterId,
      addresses: tigerbeetle.addresses,
      seccomp: config.tigerbeetle.seccomp,
    },
  };
  let previous: pulumi.Resource = tigerbeetle;
  const services = {} as { [K in StatelessKey]: ServiceOutputs<K> };
  const platformServices: PlatformService<StatelessKey>[] = [];
  for (const key of STATELESS) {
    const service = new PlatformService(
      topology.workloads[key].app,
      { key, environment: config.environment, topology, imageRegistry, context },
      { dependsOn: [previous] },
    );
    (services as Record<StatelessKey, ServiceOutputs<StatelessKey>>)[key] = service.outputs;
    platformServices.push(service);
    previous = service;
  }

  // The kgents objects wait for TigerBeetle's cluster record too: a refused change of the
  // ledger's identity (cluster ID, replica count) is then the update's first change, and stops it
  // before anything has changed (components/tigerbeetle.ts).
  const kgents = deployKgents(
    { environment: config.environment, topology, agents: agentPlan, budgets },
    { dependsOn: [tigerbeetle.clusterRecord] },
  );

  // Last: `pulumi destroy` is refused before its first delete (components/destroy-guard.ts).
  new DestroyGuard(DESTROY_GUARD_NAME, {
    resources: [tigerbeetle, ...platformServices, kgents.namespaces, kgents.agents],
    registered: [kgents.agents.objectResources],
  });

  // The outputs are a contract for dashboards (stacks/outputs.ts): the compiler holds this
  // object to it, and the tests check the rendered outputs against the committed JSON Schema.
  return {
    schemaVersion: OUTPUTS_SCHEMA_VERSION,
    environment: config.environment,
    startOrder: [...WORKLOADS],
    services: { tigerbeetle: tigerbeetle.outputs, ...services },
    agents: kgents.outputs,
    budgets: kgents.budgetOutputs,
  } satisfies OutputsOf<StackOutputs>;
};
