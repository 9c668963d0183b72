import { strict as assert } from "assert";
import { RecordedResource, redactSecrets, runProgram } from "../../scripts/mock-runtime";
import {
  configCells,
  configTableKeys,
  serviceTableRows,
  trafficTableRows,
} from "../../scripts/readme-config";
import { toManifests } from "../../scripts/render-lib";
import { readStackFile } from "../../scripts/stack-file";
import { CATALOG, catalogProblems, flowsOf, platformRepositories } from "../../stacks/catalog";
import { PROJECT, loadStackConfig } from "../../stacks/config";
import { environmentDefaultsOf } from "../../stacks/defaults";
import { stackOutputsSchemaOf } from "../../stacks/outputs";
import { InvalidInputError } from "../../stacks/problems";
import { buildTopology, callUrls } from "../../stacks/topology";
import { auditLog } from "../audit-log";
import { DESTROY_GUARD_TYPE } from "../../components/destroy-guard";
import { DNS_EGRESS_RULE, at, one, stackRawConfig } from "../harness";

/**
 * A fifth platform service is one record, and nothing else: given only the audit log's record
 * (`test/audit-log.ts`), the stack gets its config keys and defaults, its production image rule,
 * its URLs and flows, its objects and both ends' NetworkPolicies, its outputs and its README rows.
 */
const catalog = { ...CATALOG, auditLog };

const SOCIETY_URL = "http://agent-society-staging.agent-society-staging.svc.cluster.local:3100";

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof InvalidInputError)
      return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  return [];
}

/** The staging stack of `catalog`, run whole under the mock runtime as `pulumi preview` runs it. */
async function stagingRun() {
  const file = readStackFile("staging");
  return runProgram({
    project: PROJECT,
    stack: "staging",
    config: file.config,
    secretKeys: file.secretKeys,
    preview: true,
    program: async () => {
      // Loaded inside the program, after the mocks (as index.ts is).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { deployPlatform } = require("../../components/platform");
      return deployPlatform(catalog);
    },
  });
}

describe("a fifth service is one record", () => {
  let run: Awaited<ReturnType<typeof stagingRun>>;
  before(async () => {
    run = await stagingRun();
  });

  it("is a consistent catalog, and starts last", () => {
    assert.deepEqual(catalogProblems(catalog), []);
    assert.deepEqual(run.outputs.startOrder, [
      "tigerbeetle",
      "agentSociety",
      "agentRuntime",
      "connector",
      "auditLog",
    ]);
  });

  it("gets its config section: its keys, its defaults per environment, its validation", () => {
    const staging = loadStackConfig(stackRawConfig("staging"), catalog) as unknown as Record<
      string,
      unknown
    >;
    assert.deepEqual(staging.auditLog, { ...auditLog.defaults.staging });
    assert.deepEqual(
      (environmentDefaultsOf(catalog).production as Record<string, unknown>).auditLog,
      auditLog.defaults.production,
    );
    const bad = stackRawConfig("staging", (v) => {
      v.auditLog = JSON.stringify({ retentionDays: 0, replica: 2 });
    });
    assert.deepEqual(
      problemsOf(() => loadStackConfig(bad, catalog)),
      [
        "agent-platform:auditLog.retentionDays: expected >= 1; given 0",
        "agent-platform:auditLog.replica: unknown key; allowed keys: imageTag, replicas, resources, retentionDays",
      ],
    );
  });

  it("gets the production image rule, and the registry's list of repositories", () => {
    const unpinned = stackRawConfig("production", (v) => {
      v.auditLog = JSON.stringify({ imageTag: "latest" });
    });
    assert.deepEqual(
      problemsOf(() => loadStackConfig(unpinned, catalog)),
      [
        'agent-platform:auditLog.imageTag: expected a pinned version such as "1.4.2" or a digest "sha256:<64 hex>" in production (a tag that is not a release version can be moved to another image); given "latest"',
      ],
    );
    const unset = stackRawConfig("production");
    assert.deepEqual(
      problemsOf(() => loadStackConfig(unset, catalog)),
      [
        'agent-platform:auditLog.imageTag: expected an image tag: production has no default, so name a pinned version such as "1.4.2" or a digest "sha256:<64 hex>"; given nothing',
      ],
    );
    assert.deepEqual(platformRepositories(catalog), [
      "agent-society",
      "agent-runtime/core",
      "agent-runtime/connector",
      "audit-log",
      "kgents",
    ]);
  });

  it("gets its URLs and its flows from its calls", () => {
    const topology = buildTopology({ namespaceSuffix: "-staging" }, catalog);
    assert.deepEqual(callUrls(topology, "auditLog", catalog), { BUSINESS_LOGIC_URL: SOCIETY_URL });
    assert.deepEqual(flowsOf(catalog).slice(-1), [
      {
        from: "auditLog",
        to: "agentSociety",
        port: 3100,
        why: "the audit log reads payments from business logic",
      },
    ]);
  });

  it("gets its objects, hardened as every service's, after the connector", () => {
    const manifests = toManifests(run.resources);
    const ns = "audit-log-staging";
    const deployment = one(manifests, "Deployment", "audit-log-staging", ns);
    const container = at(deployment, "spec", "template", "spec", "containers", 0);
    assert.equal(container.image, "image-registry-not-set.invalid/audit-log:staging");
    assert.deepEqual(container.securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
    });
    assert.deepEqual(container.ports, [{ name: "http", containerPort: 9000, protocol: "TCP" }]);
    const config = manifests.find((m) => m.kind === "ConfigMap" && m.metadata.namespace === ns)!;
    assert.deepEqual(config.data, {
      RETENTION_DAYS: "7",
      BUSINESS_LOGIC_URL: SOCIETY_URL,
      LOG_LEVEL: "debug",
    });
    assert.deepEqual(at(one(manifests, "PodDisruptionBudget", "audit-log-staging", ns), "spec"), {
      maxUnavailable: 1,
      selector: { matchLabels: { "app.kubernetes.io/name": "audit-log" } },
    });
    assert.deepEqual(
      manifests
        .filter((m) => m.metadata.namespace === ns || m.metadata.name === ns)
        .map((m) => m.kind)
        .sort(),
      [
        "ConfigMap",
        "Deployment",
        "Namespace",
        "NetworkPolicy",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "Secret",
        "Service",
        "ServiceAccount",
      ],
    );
    // It waits for the connector, the service before it.
    const audit = run.resources.find((r) => r.type === "agent-platform:index:AuditLog")!;
    assert.ok(
      audit.dependencies.some((urn) =>
        isChildOf(run.resources, urn, "agent-platform:index:Connector"),
      ),
    );
    // And the destroy guard waits for every one of its objects: a destroy refuses first.
    const guard = run.resources.find((r) => r.type === DESTROY_GUARD_TYPE)!;
    const objects = run.resources.filter(
      (r) => r.custom && isChildOf(run.resources, r.urn, "agent-platform:index:AuditLog"),
    );
    assert.equal(objects.length, 9);
    assert.deepEqual(
      objects.filter((r) => !guard.dependencies.includes(r.urn)).map((r) => r.urn),
      [],
    );
  });

  it("gets both ends of its call in the NetworkPolicies", () => {
    const manifests = toManifests(run.resources);
    const own = at(one(manifests, "NetworkPolicy", "audit-log-staging"), "spec");
    assert.deepEqual(own.ingress, []);
    assert.deepEqual(own.egress, [
      DNS_EGRESS_RULE,
      {
        to: [
          {
            namespaceSelector: {
              matchLabels: { "kubernetes.io/metadata.name": "agent-society-staging" },
            },
            podSelector: { matchLabels: { "app.kubernetes.io/name": "agent-society" } },
          },
        ],
        ports: [{ protocol: "TCP", port: 3100 }],
      },
    ]);
    const society = at(one(manifests, "NetworkPolicy", "agent-society-staging"), "spec");
    const http = society.ingress.find(
      (r: { ports: { port: number }[] }) => r.ports[0].port === 3100,
    );
    assert.deepEqual(
      http.from.map(
        (p: { podSelector: { matchLabels: Record<string, string> } }) =>
          p.podSelector.matchLabels["app.kubernetes.io/name"],
      ),
      ["agent-runtime", "audit-log"],
    );
  });

  it("gets its outputs, in the contract of its catalog", () => {
    const services = run.outputs.services as Record<string, unknown>;
    assert.deepEqual(services.auditLog, {
      namespace: "audit-log-staging",
      image: "image-registry-not-set.invalid/audit-log:staging",
      replicas: 1,
      endpoints: { http: "http://audit-log-staging.audit-log-staging.svc.cluster.local:9000" },
    });
    const schema = stackOutputsSchemaOf(catalog);
    const outputs = redactSecrets(run.outputs) as { services: Record<string, unknown> };
    assert.ok(schema.safeParse(outputs).success);
    // The contract requires it: outputs without it are refused.
    const others = Object.fromEntries(
      Object.entries(outputs.services).filter(([key]) => key !== "auditLog"),
    );
    const without = schema.safeParse({ ...outputs, services: others });
    assert.deepEqual(
      without.success ? [] : without.error.issues.map((i) => [i.path.join("."), i.code]),
      [["services.auditLog", "invalid_type"]],
    );
  });

  it("gets its README rows: configuration keys and cells, the services and traffic tables", () => {
    const keys = configTableKeys(catalog).filter((k) => k.startsWith("auditLog."));
    assert.deepEqual(keys, [
      "auditLog.imageTag",
      "auditLog.replicas",
      "auditLog.resources",
      "auditLog.retentionDays",
    ]);
    const cells = configCells("production", catalog);
    assert.equal(cells.get("auditLog.retentionDays"), "`365`");
    assert.equal(cells.get("auditLog.imageTag"), "unset");
    assert.deepEqual(serviceTableRows(catalog).slice(-1), [
      ["`auditLog`", "audit log of payments", "`audit-log`", "http 9000", "http: `audit-log`"],
    ]);
    assert.deepEqual(trafficTableRows(catalog).slice(-1), [
      ["audit-log", "agent-society", "3100", "the audit log reads payments from business logic"],
    ]);
  });
});

/** Whether `urn` is a child (at any depth) of a component of `type`. */
function isChildOf(resources: readonly RecordedResource[], urn: string, type: string): boolean {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  for (let r = byUrn.get(urn); r !== undefined; r = byUrn.get(r.parent)) {
    if (r.type === type) return true;
  }
  return false;
}
