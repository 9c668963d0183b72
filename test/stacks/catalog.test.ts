import { strict as assert } from "assert";
import { checkRun } from "../../components/platform-service";
import { allowPolicySpec, serviceFlows } from "../../components/shared/network";
import {
  CATALOG,
  Catalog,
  FLOWS,
  catalogProblems,
  flowsOf,
  statelessRecord,
} from "../../stacks/catalog";
import type { RunContext, StatelessSettings } from "../../stacks/record";
import type { ConnectorConfig } from "../../stacks/services/connector";
import { buildTopology, callUrls } from "../../stacks/topology";
import { loadStackConfig } from "../../stacks/config";
import { stackRawConfig } from "../harness";

/** The service catalog: one record per service, and what is derived from it. */

const topology = buildTopology({ namespaceSuffix: "-staging" }, CATALOG);

function context(): RunContext<StatelessSettings> & { settings: ConnectorConfig } {
  const config = loadStackConfig(stackRawConfig("staging"));
  return {
    settings: config.connector,
    stack: { logLevel: config.logLevel, secrets: config.secrets },
    urls: callUrls(topology, "connector", CATALOG),
    tigerbeetle: { clusterId: "1", addresses: "10.0.0.1:3000", seccomp: { type: "unconfined" } },
  };
}

/** The shipped catalog with one more call: the connector calls agent-society's business logic. */
function withExtraCall(): Catalog {
  return {
    ...CATALOG,
    connector: {
      ...CATALOG.connector,
      calls: [
        ...CATALOG.connector.calls,
        { to: "agentSociety", endpoint: "http", env: "BLS_URL", why: "a test call" },
      ],
    },
  };
}

describe("service catalog", () => {
  it("is consistent: every call and endpoint names what exists, each variable once", () => {
    assert.deepEqual(catalogProblems(CATALOG), []);
    const broken: Catalog = {
      ...CATALOG,
      agentRuntime: {
        ...CATALOG.agentRuntime,
        calls: [
          ...CATALOG.agentRuntime.calls,
          { to: "connector", endpoint: "metrics", why: "x" },
          { to: "connector", endpoint: "admin", env: "CONNECTOR_BTP_URL", why: "y" },
        ],
      },
    };
    assert.deepEqual(catalogProblems(broken), [
      "agentRuntime calls connector.metrics: no such endpoint",
      "agentRuntime: two calls give CONNECTOR_BTP_URL",
    ]);
  });

  it("derives the traffic matrix from the calls, with the called port", () => {
    assert.deepEqual(
      FLOWS.map((f) => `${f.from} -> ${f.to}:${f.port}`),
      [
        "tigerbeetle -> tigerbeetle:3000",
        "agentSociety -> agentSociety:7100",
        "agentSociety -> connector:8081",
        "agentSociety -> agentRuntime:3100",
        "agentRuntime -> agentSociety:3100",
        "agentRuntime -> agentSociety:7100",
        "agentRuntime -> connector:4000",
        "connector -> tigerbeetle:3000",
        "connector -> agentRuntime:3100",
      ],
    );
  });

  it("derives each service's URLs from its calls, with the stack's suffix", () => {
    assert.deepEqual(callUrls(topology, "agentSociety", CATALOG), {
      CONNECTOR_ADMIN_URL: "http://connector-staging.agent-runtime-staging.svc.cluster.local:8081",
      AGENT_RUNTIME_URL:
        "http://agent-runtime-staging.agent-runtime-core-staging.svc.cluster.local:3100",
    });
    assert.deepEqual(callUrls(topology, "connector", CATALOG), {
      LOCAL_DELIVERY_URL:
        "http://agent-runtime-staging.agent-runtime-core-staging.svc.cluster.local:3100",
    });
  });

  it("a call added to one record reaches the URLs, the flows and both NetworkPolicies", () => {
    const catalog = withExtraCall();
    const extended = buildTopology({ namespaceSuffix: "-staging" }, catalog);
    const urls: Record<string, string> = callUrls(extended, "connector", catalog);
    assert.equal(
      urls.BLS_URL,
      "http://agent-society-staging.agent-society-staging.svc.cluster.local:3100",
    );
    const flows = flowsOf(catalog);
    assert.equal(flows.length, FLOWS.length + 1);
    const egress = allowPolicySpec(extended.workloads.connector, serviceFlows(extended, flows))
      .egress as {
      to: { namespaceSelector: { matchLabels: Record<string, string> } }[];
      ports: { port: number }[];
    }[];
    assert.ok(
      egress.some(
        (r) =>
          r.ports[0].port === 3100 &&
          r.to.some(
            (p) =>
              p.namespaceSelector.matchLabels["kubernetes.io/metadata.name"] ===
              "agent-society-staging",
          ),
      ),
      "the connector may call agent-society on 3100",
    );
    const ingress = allowPolicySpec(extended.workloads.agentSociety, serviceFlows(extended, flows))
      .ingress as {
      from: { podSelector: { matchLabels: Record<string, string> } }[];
      ports: { port: number }[];
    }[];
    const http = ingress.find((r) => r.ports[0].port === 3100)!;
    assert.deepEqual(
      http.from.map((p) => p.podSelector.matchLabels["app.kubernetes.io/name"]),
      ["agent-runtime", "connector"],
    );
  });

  it("a URL cannot exist without its call: the component refuses one, and a call without its URL", () => {
    const urls = callUrls(topology, "connector", CATALOG);
    const record = statelessRecord(CATALOG, "connector");
    const run = record.run(context());
    checkRun("connector", record, run, urls);
    const extra = {
      ...run,
      env: {
        ...run.env,
        BUSINESS_LOGIC_URL:
          "http://agent-society-staging.agent-society-staging.svc.cluster.local:3100",
      },
    };
    assert.throws(
      () => checkRun("connector", record, extra, urls),
      new Error(
        "service connector: BUSINESS_LOGIC_URL holds a cluster URL but is not a call of the catalog (its record, stacks/services/)",
      ),
    );
    const withoutUrl = Object.fromEntries(
      Object.entries(run.env).filter(([key]) => key !== "LOCAL_DELIVERY_URL"),
    );
    assert.throws(
      () => checkRun("connector", record, { ...run, env: withoutUrl }, urls),
      new Error(
        "service connector: LOCAL_DELIVERY_URL (a call of the catalog) is not http://agent-runtime-staging.agent-runtime-core-staging.svc.cluster.local:3100 in its env (its record, stacks/services/)",
      ),
    );
    const badProbe = { ...run.probes, readiness: { path: "/ready", port: "metrics" } };
    assert.throws(
      () => checkRun("connector", record, { ...run, probes: badProbe }, urls),
      new Error(
        "service connector: the readiness probe names no port of it: metrics (its record, stacks/services/)",
      ),
    );
  });
});
