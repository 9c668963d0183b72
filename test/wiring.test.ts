import { strict as assert } from "assert";
import type { Manifest } from "../scripts/render-lib";
import { STACKS, at, ofKind, one, render } from "./harness";

/** Every URL in every ConfigMap names a Service, and a port of it, that the same render contains. */

const URL =
  /^(?:https?|wss?):\/\/([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local:([0-9]+)(?:\/.*)?$/;

/** `KEY=value` for every value of every ConfigMap that looks like a URL or a cluster host. */
function urls(manifests: readonly Manifest[]): { where: string; url: string }[] {
  return ofKind(manifests, "ConfigMap").flatMap((cm) =>
    Object.entries((cm as { data?: Record<string, string> }).data ?? {})
      .filter(([, value]) => /:\/\/|svc\.cluster\.local/.test(value))
      .map(([key, url]) => ({ where: `${cm.metadata.namespace}/${cm.metadata.name} ${key}`, url })),
  );
}

/** What is wrong with one URL, or undefined when it names a Service port of the render. */
function brokenTarget(manifests: readonly Manifest[], url: string): string | undefined {
  const match = URL.exec(url);
  if (match === null) return "not a cluster Service URL";
  const [, service, namespace, port] = match;
  const target = manifests.find(
    (m) =>
      m.kind === "Service" && m.metadata.name === service && m.metadata.namespace === namespace,
  ) as { spec: { ports: { port: number }[] } } | undefined;
  if (target === undefined) return `no Service ${namespace}/${service}`;
  if (!target.spec.ports.some((p) => p.port === Number(port))) {
    return `Service ${namespace}/${service} has no port ${port}`;
  }
  return undefined;
}

describe("wiring", () => {
  for (const stack of STACKS) {
    it(`${stack}: every ConfigMap URL names a Service and port of the same render`, async () => {
      const { manifests } = await render(stack);
      const found = urls(manifests);
      const problems = found
        .map(({ where, url }) => [where, url, brokenTarget(manifests, url)])
        .filter(([, , problem]) => problem !== undefined);
      assert.deepEqual(problems, []);
      // The URLs the services are given, by key: all of them are checked above.
      assert.deepEqual(found.map((f) => f.where.replace(/^.*-config-[0-9a-f]+ /, "")).sort(), [
        "AGENT_RUNTIME_URL",
        "BUSINESS_LOGIC_URL",
        "CONNECTOR_ADMIN_URL",
        "CONNECTOR_BTP_URL",
        "LOCAL_DELIVERY_URL",
      ]);
    });

    it(`${stack}: TIGERBEETLE_REPLICAS lists every replica Service's cluster IP in order`, async () => {
      const { manifests } = await render(stack);
      const connectorConfig = ofKind(manifests, "ConfigMap").find((m) =>
        m.metadata.name!.startsWith("connector-config-"),
      )!;
      const replicaIps = [...Array(stack === "production" ? 6 : 3).keys()].map((i) => {
        const name = `tigerbeetle-${i}${stack === "staging" ? "-staging" : ""}`;
        return `${at(one(manifests, "Service", name), "spec", "clusterIP")}:3000`;
      });
      assert.equal(at(connectorConfig, "data", "TIGERBEETLE_REPLICAS"), replicaIps.join(","));
      assert.equal(replicaIps.length, stack === "production" ? 6 : 3);
    });
  }

  it("the check finds a URL whose Service or port is not in the render", async () => {
    const { manifests } = await render("staging");
    assert.equal(
      brokenTarget(manifests, "http://agent-society.agent-society.svc.cluster.local:3100"),
      "no Service agent-society/agent-society",
    );
    assert.equal(
      brokenTarget(
        manifests,
        "http://connector-staging.agent-runtime-staging.svc.cluster.local:9999",
      ),
      "Service agent-runtime-staging/connector-staging has no port 9999",
    );
    assert.equal(
      brokenTarget(
        manifests,
        "http://connector-staging.agent-runtime-staging.svc.cluster.local:8081",
      ),
      undefined,
    );
  });
});
