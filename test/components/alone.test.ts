import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { RecordedResource, runProgram } from "../../scripts/mock-runtime";
import { CATALOG, FLOWS } from "../../stacks/catalog";
import { buildTopology } from "../../stacks/topology";
import type { LoadedStackConfig } from "../../stacks/config";
import { ENVIRONMENT_DEFAULTS } from "../../stacks/defaults";
import type { StackConfig } from "../../stacks/schema";

/**
 * Components built alone, under the mock runtime: what each registers and publishes without the
 * rest of the stack (PlatformService one catalog record at a time, and TigerBeetle). The
 * whole-stack tests beside them check the same components in the rendered stacks.
 */

const topology = buildTopology({ namespaceSuffix: "-test" }, CATALOG);

function config(): LoadedStackConfig {
  const defaults = ENVIRONMENT_DEFAULTS.staging as unknown as StackConfig;
  return {
    ...defaults,
    environment: "staging",
    stack: "test",
    tigerbeetle: { ...defaults.tigerbeetle, clusterId: "1" },
    secrets: {
      nostrSecretKey: pulumi.secret("a".repeat(64)),
      connectorAdminApiKey: pulumi.secret("b".repeat(64)),
      btpAuthToken: pulumi.secret("c".repeat(64)),
    },
  };
}

/** Runs `program` alone under the mock runtime, as stack `test`. */
function runAlone(program: () => Promise<Record<string, unknown>>) {
  return runProgram({
    project: "agent-platform",
    stack: "test",
    config: {},
    secretKeys: [],
    program,
  });
}

/** Runs a program that builds only `PlatformService` for `key`. */
async function alone(key: "agentSociety" | "agentRuntime" | "connector") {
  let outputs: unknown;
  const run = await runAlone(async () => {
    // Loaded inside the program, after the mocks (as index.ts is).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { PlatformService } = require("../../components/platform-service");
    const settings = config();
    const service = new PlatformService(`${key}-alone`, {
      key,
      catalog: CATALOG,
      settings: settings[key],
      environment: "staging",
      topology,
      imageRegistry: "registry.test/acme",
      context: {
        stack: { logLevel: settings.logLevel, secrets: settings.secrets },
        tigerbeetle: {
          clusterId: "1",
          addresses: "10.1.0.1:3000",
          seccomp: { type: "unconfined" },
        },
      },
    });
    outputs = service.outputs;
    return {};
  });
  return { run, outputs };
}

const kinds = (resources: readonly RecordedResource[]) =>
  resources
    .filter((r) => r.custom)
    .map(
      (r) =>
        `${String(r.state.kind)} ${String((r.state.metadata as { name?: string }).name ?? "(auto)")}`,
    )
    .sort();

describe("PlatformService, one record alone", () => {
  it("agentRuntime: exactly its objects, named from the catalog, and its outputs", async () => {
    const { run, outputs } = await alone("agentRuntime");
    const component = run.resources.find((r) => !r.custom)!;
    assert.equal(component.type, "agent-platform:index:AgentRuntime");
    assert.deepEqual(kinds(run.resources), [
      "ConfigMap agentRuntime-alone-config-" + hashOf(run, "ConfigMap"),
      "Deployment agent-runtime-test",
      "Namespace agent-runtime-core-test",
      "NetworkPolicy agent-runtime-test",
      "NetworkPolicy default-deny",
      "PodDisruptionBudget agent-runtime-test",
      "Secret agentRuntime-alone-secrets-" + hashOf(run, "Secret"),
      "Service agent-runtime-test",
      "ServiceAccount agent-runtime-test",
    ]);
    assert.deepEqual(outputs, {
      namespace: "agent-runtime-core-test",
      image: "registry.test/acme/agent-runtime/core:staging",
      replicas: 1,
      endpoints: {
        http: "http://agent-runtime-test.agent-runtime-core-test.svc.cluster.local:3100",
      },
    });
    // Every child is parented to the component.
    for (const r of run.resources.filter((r) => r.custom)) assert.equal(r.parent, component.urn);
  });

  it("agentSociety: one Service per Service name of its endpoints, the relay headless", async () => {
    const { run } = await alone("agentSociety");
    const services = run.resources
      .filter((r) => r.state.kind === "Service")
      .map((s) => {
        const spec = s.inputs.spec as { clusterIP?: string; type?: string };
        return [s.name, (s.inputs.metadata as { name: string }).name, spec.clusterIP ?? spec.type];
      })
      .sort();
    assert.deepEqual(services, [
      ["agentSociety-alone-relay-service", "agent-society-relay-test", "None"],
      ["agentSociety-alone-service", "agent-society-test", "ClusterIP"],
    ]);
  });

  it("connector: container ports and Service ports are the record's named ports", async () => {
    const { run } = await alone("connector");
    const deployment = run.resources.find((r) => r.state.kind === "Deployment")!;
    const container = (
      deployment.state.spec as { template: { spec: { containers: { ports: unknown[] }[] } } }
    ).template.spec.containers[0];
    const named = Object.entries(CATALOG.connector.ports).map(([name, containerPort]) => ({
      name,
      containerPort,
      protocol: "TCP",
    }));
    assert.deepEqual(container.ports, named);
    const service = run.resources.find((r) => r.state.kind === "Service")!;
    assert.deepEqual(
      (
        service.state.spec as { ports: { name: string; port: number; targetPort: string }[] }
      ).ports.map((p) => `${p.name} ${p.port} -> ${p.targetPort}`),
      ["btp 4000 -> btp", "health 8080 -> health", "admin 8081 -> admin"],
    );
  });
});

/** The 8-hex suffix the provider stand-in gave an auto-named object of `kind`. */
function hashOf(run: { resources: readonly RecordedResource[] }, kind: string): string {
  const r = run.resources.find((r) => r.state.kind === kind)!;
  return (r.state.metadata as { name: string }).name.split("-").pop()!;
}

describe("TigerBeetle, alone", () => {
  it("registers its replicas' objects and publishes its outputs, without the rest of the stack", async () => {
    let outputs: Record<string, unknown> = {};
    const run = await runAlone(async () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { TigerBeetle } = require("../../components/tigerbeetle");
      const tigerbeetle = new TigerBeetle("tb-alone", {
        environment: "staging",
        topology,
        flows: FLOWS,
        settings: { ...config().tigerbeetle, replicaCount: 1 },
      });
      outputs = tigerbeetle.outputs;
      return { addresses: tigerbeetle.outputs.addresses };
    });
    const count = (kind: string) => run.resources.filter((r) => r.state.kind === kind).length;
    assert.deepEqual(
      ["Namespace", "ConfigMap", "PersistentVolumeClaim", "Service", "StatefulSet", "Job"].map(
        count,
      ),
      [1, 1, 1, 2, 1, 0],
    );
    const { addresses, ...rest } = outputs;
    assert.deepEqual(rest, {
      namespace: "tigerbeetle-test",
      image: "ghcr.io/tigerbeetle/tigerbeetle:0.16.68",
      replicas: 1,
      clusterId: "1",
      endpoints: { headless: "tigerbeetle-test.tigerbeetle-test.svc.cluster.local:3000" },
    });
    const replica = run.resources.find(
      (r) => r.name === "tb-alone-replica-0" && r.state.kind === "Service",
    )!;
    assert.equal(
      run.outputs.addresses,
      `${(replica.state.spec as { clusterIP: string }).clusterIP}:3000`,
    );
    assert.ok(pulumi.Output.isInstance(addresses));
  });
});
