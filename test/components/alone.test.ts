import { DNS_EGRESS_RULE } from "../harness";
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { PlatformService } from "../../components/platform-service";
import { TigerBeetle } from "../../components/tigerbeetle";
import { CATALOG, Catalog, flowsOf } from "../../stacks/catalog";
import type { LoadedStackConfig } from "../../stacks/config";
import { ENVIRONMENT_DEFAULTS } from "../../stacks/defaults";
import type { StackConfig } from "../../stacks/schema";
import { buildTopology } from "../../stacks/topology";
import { auditLog } from "../audit-log";
import { MockedResource, underPublicMocks, valueOf } from "../public-mocks";

/**
 * Components built alone, under Pulumi's public mocks: each with the arguments a test gives it
 * (a catalog of its own included), what it registers and what it publishes, without the rest of
 * the stack. The whole-stack tests beside them check the same components in the rendered stacks.
 */

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

/** `PlatformService` for `key` of `catalog`, built alone. */
function platformService(catalog: Catalog, key: string, settings: unknown) {
  const stack = config();
  return new PlatformService(`${key}-alone`, {
    key,
    catalog,
    settings: settings as LoadedStackConfig["agentRuntime"],
    environment: "staging",
    topology: buildTopology({ namespaceSuffix: "-test" }, catalog),
    imageRegistry: "registry.test/acme",
    context: {
      stack: { logLevel: stack.logLevel, secrets: stack.secrets },
      tigerbeetle: { clusterId: "1", addresses: "10.1.0.1:3000", seccomp: { type: "unconfined" } },
    },
  });
}

/** `Kind name` of each custom resource, `(auto)` where the provider would name it. */
const kinds = (resources: readonly MockedResource[]) =>
  resources
    .filter((r) => r.custom)
    .map((r) => `${r.inputs.kind} ${r.inputs.metadata?.name ?? "(auto)"}`)
    .sort();

describe("PlatformService, one record alone (public mocks)", () => {
  it("agentRuntime: exactly its objects, named from the catalog, and its outputs", async () => {
    const { resources, built } = await underPublicMocks(() =>
      platformService(CATALOG, "agentRuntime", config().agentRuntime),
    );
    assert.deepEqual(
      resources.filter((r) => !r.custom).map((r) => r.type),
      ["agent-platform:index:AgentRuntime"],
    );
    assert.deepEqual(kinds(resources), [
      "ConfigMap (auto)",
      "Deployment agent-runtime-test",
      "Namespace agent-runtime-core-test",
      "NetworkPolicy agent-runtime-test",
      "NetworkPolicy default-deny",
      "PodDisruptionBudget agent-runtime-test",
      "Secret (auto)",
      "Service agent-runtime-test",
      "ServiceAccount agent-runtime-test",
    ]);
    assert.deepEqual(built.outputs, {
      namespace: "agent-runtime-core-test",
      image: "registry.test/acme/agent-runtime/core:staging",
      replicas: 1,
      endpoints: {
        http: "http://agent-runtime-test.agent-runtime-core-test.svc.cluster.local:3100",
      },
    });
    // Its children are parented to it: their URNs carry its type.
    assert.match(
      await valueOf(built.deployment.urn),
      /::agent-platform:index:AgentRuntime\$kubernetes:apps\/v1:Deployment::/,
    );
  });

  it("agentSociety: one Service per Service name of its endpoints, the relay headless", async () => {
    const { resources } = await underPublicMocks(() =>
      platformService(CATALOG, "agentSociety", config().agentSociety),
    );
    const services = resources
      .filter((r) => r.type === "kubernetes:core/v1:Service")
      .map((s) => [s.name, s.inputs.metadata.name, s.inputs.spec.clusterIP ?? s.inputs.spec.type])
      .sort();
    assert.deepEqual(services, [
      ["agentSociety-alone-relay-service", "agent-society-relay-test", "None"],
      ["agentSociety-alone-service", "agent-society-test", "ClusterIP"],
    ]);
  });

  it("connector: container ports and Service ports are the record's named ports", async () => {
    const { resources } = await underPublicMocks(() =>
      platformService(CATALOG, "connector", config().connector),
    );
    const deployment = resources.find((r) => r.type === "kubernetes:apps/v1:Deployment")!;
    assert.deepEqual(deployment.inputs.spec.template.spec.containers[0].ports, [
      { name: "btp", containerPort: 4000, protocol: "TCP" },
      { name: "health", containerPort: 8080, protocol: "TCP" },
      { name: "admin", containerPort: 8081, protocol: "TCP" },
    ]);
    const service = resources.find((r) => r.type === "kubernetes:core/v1:Service")!;
    assert.deepEqual(
      service.inputs.spec.ports.map(
        (p: { name: string; port: number; targetPort: string }) =>
          `${p.name} ${p.port} -> ${p.targetPort}`,
      ),
      ["btp 4000 -> btp", "health 8080 -> health", "admin 8081 -> admin"],
    );
  });

  it("a record of the test's own catalog: its URLs, its policy and its type token", async () => {
    const catalog = { ...CATALOG, auditLog };
    const { resources, built } = await underPublicMocks(() =>
      platformService(catalog, "auditLog", auditLog.defaults.staging),
    );
    assert.deepEqual(
      resources.filter((r) => !r.custom).map((r) => r.type),
      ["agent-platform:index:AuditLog"],
    );
    const configMap = resources.find((r) => r.type === "kubernetes:core/v1:ConfigMap")!;
    assert.equal(
      configMap.inputs.data.BUSINESS_LOGIC_URL,
      "http://agent-society-test.agent-society-test.svc.cluster.local:3100",
    );
    const policy = resources.find((r) => r.name === "auditLog-alone-networkpolicy")!;
    assert.deepEqual(policy.inputs.spec.egress, [
      DNS_EGRESS_RULE,
      {
        to: [
          {
            namespaceSelector: {
              matchLabels: { "kubernetes.io/metadata.name": "agent-society-test" },
            },
            podSelector: { matchLabels: { "app.kubernetes.io/name": "agent-society" } },
          },
        ],
        ports: [{ protocol: "TCP", port: 3100 }],
      },
    ]);
    assert.equal(built.outputs.image, "registry.test/acme/audit-log:staging");
  });
});

describe("TigerBeetle, alone (public mocks)", () => {
  it("registers its replicas' objects and publishes its outputs, without the rest of the stack", async () => {
    const { resources, built } = await underPublicMocks(
      () =>
        new TigerBeetle("tb-alone", {
          environment: "staging",
          topology: buildTopology({ namespaceSuffix: "-test" }, CATALOG),
          flows: flowsOf(CATALOG),
          settings: { ...config().tigerbeetle, replicaCount: 1 },
        }),
    );
    const count = (kind: string) => resources.filter((r) => r.inputs.kind === kind).length;
    assert.deepEqual(
      ["Namespace", "ConfigMap", "PersistentVolumeClaim", "Service", "StatefulSet", "Job"].map(
        count,
      ),
      [1, 1, 1, 2, 1, 0],
    );
    const { addresses, ...rest } = built.outputs;
    assert.deepEqual(rest, {
      namespace: "tigerbeetle-test",
      image: "ghcr.io/tigerbeetle/tigerbeetle:0.16.68",
      replicas: 1,
      clusterId: "1",
      endpoints: { headless: "tigerbeetle-test.tigerbeetle-test.svc.cluster.local:3000" },
    });
    // The one replica Service's cluster IP, the only one the mocks gave (the headless has none).
    assert.equal(await valueOf(addresses), "10.0.0.1:3000");
  });
});
