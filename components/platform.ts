import * as pulumi from "@pulumi/pulumi";
import { Catalog, flowsOf, startOrder, statelessKeys } from "../stacks/catalog";
import { imageRegistryUnsetWarning } from "../stacks/config";
import type { LoadedStackConfig } from "../stacks/config";
import type { StatelessSettings } from "../stacks/record";
import type { Topology } from "../stacks/topology";
import { OUTPUTS_SCHEMA_VERSION, OutputsOf, StackOutputsOf } from "../stacks/outputs";
import { DESTROY_GUARD_NAME, DestroyGuard } from "./destroy-guard";
import { deployKgents } from "./kgents";
import { PlatformService, ServiceOutputs } from "./platform-service";
import { preflight } from "./preflight";
import { TigerBeetle } from "./tigerbeetle";

/**
 * The whole stack for a catalog: validates all config first (nothing is registered when any of it
 * is wrong), then creates TigerBeetle and every stateless service in the catalog's start order,
 * each waiting for the one before it, then the kgents agents and the destroy guard, and returns
 * the stack outputs. `index.ts` runs it with the shipped catalog; a test runs it with a catalog of
 * its own (a fifth service is one record).
 */
export async function deployPlatform(catalog: Catalog) {
  const { config, topology, imageRegistry, agentPlan, budgets } = preflight(
    undefined,
    undefined,
    catalog,
  );
  if (config.imageRegistry === undefined) {
    void pulumi.log.warn(imageRegistryUnsetWarning(config.stack));
  }
  const flows = flowsOf(catalog);
  const tigerbeetle = new TigerBeetle("tigerbeetle", {
    environment: config.environment,
    topology,
    flows,
    settings: config.tigerbeetle,
  });

  const { services, components } = deployServices(catalog, {
    config,
    topology,
    imageRegistry,
    after: tigerbeetle,
  });

  // The kgents objects wait for TigerBeetle's cluster record too: a refused change of the
  // ledger's identity (cluster ID, replica count) is then the update's first change, and stops it
  // before anything has changed (components/tigerbeetle.ts).
  const kgents = deployKgents(
    { environment: config.environment, topology, agents: agentPlan, budgets },
    { dependsOn: [tigerbeetle.clusterRecord] },
  );

  // Last: `pulumi destroy` is refused before its first delete (components/destroy-guard.ts).
  new DestroyGuard(DESTROY_GUARD_NAME, {
    resources: [tigerbeetle, ...components, kgents.namespaces, kgents.agents],
    registered: [kgents.agents.objectResources],
  });

  return {
    schemaVersion: OUTPUTS_SCHEMA_VERSION,
    environment: config.environment,
    startOrder: startOrder(catalog),
    services: { tigerbeetle: tigerbeetle.outputs, ...services },
    agents: kgents.outputs,
    budgets: kgents.budgetOutputs,
  } satisfies OutputsOf<StackOutputsOf<Catalog>>;
}

/**
 * Every stateless service of the catalog, in start order, each waiting for the one before it (the
 * first for `after`, the ledger), with what its record's `run` may use.
 */
function deployServices(
  catalog: Catalog,
  args: {
    readonly config: LoadedStackConfig;
    readonly topology: Topology;
    readonly imageRegistry: string;
    readonly after: TigerBeetle;
  },
) {
  const { config, topology, imageRegistry } = args;
  const context = {
    stack: { logLevel: config.logLevel, secrets: config.secrets },
    tigerbeetle: {
      clusterId: args.after.clusterId,
      addresses: args.after.addresses,
      seccomp: config.tigerbeetle.seccomp,
    },
  };
  // The schema derived from the same catalog checked every section (stacks/schema.ts).
  const sections = config as unknown as Readonly<Record<string, StatelessSettings>>;
  let previous: pulumi.Resource = args.after;
  const services: Record<string, ServiceOutputs> = {};
  const components: PlatformService[] = [];
  for (const key of statelessKeys(catalog)) {
    const service = new PlatformService(
      topology.workloads[key].app,
      {
        ...{ key, catalog, settings: sections[key], environment: config.environment },
        ...{ topology, imageRegistry, context },
      },
      { dependsOn: [previous] },
    );
    services[key] = service.outputs;
    components.push(service);
    previous = service;
  }
  return { services, components };
}
