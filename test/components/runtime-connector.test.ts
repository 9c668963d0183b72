import { strict as assert } from "assert";
import { Manifest } from "../../scripts/render-lib";
import { at, editedObject, one, ofKind, render } from "../harness";

/** agent-runtime and the connector, with exact values, in both stacks. */

const EXPECTED = {
  staging: {
    s: "-staging",
    replicas: 1,
    tag: "staging",
    logLevel: "debug",
    baseAddress: "test.agent-platform.agent-runtime",
  },
  production: {
    s: "",
    replicas: 2,
    tag: "1.0.0",
    logLevel: "info",
    baseAddress: "g.agent-platform.agent-runtime",
  },
} as const;

for (const stack of ["staging", "production"] as const) {
  const { s, replicas, tag, logLevel, baseAddress } = EXPECTED[stack];
  const runtimeNs = `agent-runtime-core${s}`;
  const connectorNs = `agent-runtime${s}`;

  describe(`agent-runtime and connector (${stack})`, () => {
    let manifests: Manifest[];
    const kindsIn = (ns: string) =>
      manifests
        .filter(
          (m) => m.metadata.namespace === ns || (m.kind === "Namespace" && m.metadata.name === ns),
        )
        .map((m) => m.kind)
        .sort();
    const configOf = (prefix: string, ns: string) =>
      ofKind(manifests, "ConfigMap").find(
        (m) => m.metadata.namespace === ns && m.metadata.name!.startsWith(prefix),
      )!;
    before(async () => {
      manifests = (await render(stack)).manifests;
    });

    it("each has namespace, ServiceAccount, ConfigMap, Secret, Deployment, Service, PDB and two policies", () => {
      const kinds = [
        "ConfigMap",
        "Deployment",
        "Namespace",
        "NetworkPolicy",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "Secret",
        "Service",
        "ServiceAccount",
      ];
      assert.deepEqual(kindsIn(runtimeNs), kinds);
      assert.deepEqual(kindsIn(connectorNs), kinds);
    });

    it("agent-runtime's config: business logic at agent-society, BTP to the connector", () => {
      assert.deepEqual(at(configOf("agent-runtime-config-", runtimeNs), "data"), {
        PORT: "3100",
        NODE_ID: "agent-runtime",
        LOG_LEVEL: logLevel,
        BASE_ADDRESS: baseAddress,
        BUSINESS_LOGIC_URL: `http://agent-society${s}.agent-society${s}.svc.cluster.local:3100`,
        BUSINESS_LOGIC_TIMEOUT: "5000",
        CONNECTOR_BTP_URL: `ws://connector${s}.agent-runtime${s}.svc.cluster.local:4000`,
        CONNECTOR_BTP_MAX_RETRIES: "10",
        SPSP_ENABLED: "true",
        SESSION_TTL_MS: "3600000",
      });
    });

    it("the connector's config: admin API on 8081, local delivery to agent-runtime, TigerBeetle", () => {
      const data = at(configOf("connector-config-", connectorNs), "data");
      const { TIGERBEETLE_REPLICAS, ...rest } = data;
      assert.match(TIGERBEETLE_REPLICAS, /^(\d+\.\d+\.\d+\.\d+:3000)(,\d+\.\d+\.\d+\.\d+:3000)*$/);
      assert.deepEqual(rest, {
        NODE_ID: "connector",
        LOG_LEVEL: logLevel,
        BTP_SERVER_PORT: "4000",
        HEALTH_CHECK_PORT: "8080",
        ADMIN_API_ENABLED: "true",
        ADMIN_API_PORT: "8081",
        SETTLEMENT_ENABLED: "false",
        SETTLEMENT_PREFERENCE: "evm",
        SETTLEMENT_THRESHOLD: "1000000",
        TIGERBEETLE_CLUSTER_ID:
          stack === "production" ? "174411305360383197744508619207744553274" : "48151623420815",
        LOCAL_DELIVERY_ENABLED: "true",
        LOCAL_DELIVERY_URL: `http://agent-runtime${s}.agent-runtime-core${s}.svc.cluster.local:3100`,
      });
    });

    it("secrets: the BTP token in both, the admin key in the connector's, all redacted", () => {
      const secret = (ns: string) =>
        ofKind(manifests, "Secret").find((m) => m.metadata.namespace === ns)!;
      assert.deepEqual(at(secret(runtimeNs), "stringData"), {
        CONNECTOR_BTP_AUTH_TOKEN: "[secret]",
      });
      assert.deepEqual(at(secret(connectorNs), "stringData"), {
        ADMIN_API_KEY: "[secret]",
        BTP_PEER_AGENT_RUNTIME_SECRET: "[secret]",
      });
    });

    it("Deployments: image, replicas, ports, probes, envFrom, rollout, restricted security", () => {
      const runtime = one(manifests, "Deployment", `agent-runtime${s}`, runtimeNs);
      const connector = one(manifests, "Deployment", `connector${s}`, connectorNs);
      for (const d of [runtime, connector]) {
        assert.equal(at(d, "spec", "replicas"), replicas);
        assert.deepEqual(at(d, "spec", "strategy"), {
          type: "RollingUpdate",
          rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
        });
        const pod = at(d, "spec", "template", "spec");
        assert.equal(pod.automountServiceAccountToken, false);
        assert.equal(pod.terminationGracePeriodSeconds, 30);
        assert.deepEqual(pod.containers[0].securityContext, {
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ["ALL"] },
        });
        assert.deepEqual(
          pod.containers[0].envFrom.map((e: Record<string, unknown>) => Object.keys(e)[0]),
          ["configMapRef", "secretRef"],
        );
      }
      const rc = at(runtime, "spec", "template", "spec", "containers", 0);
      assert.equal(rc.image, `image-registry-not-set.invalid/agent-runtime/core:${tag}`);
      assert.deepEqual(rc.ports, [{ name: "http", containerPort: 3100, protocol: "TCP" }]);
      assert.deepEqual(rc.resources, {
        requests: { cpu: "100m", memory: "128Mi", "ephemeral-storage": "128Mi" },
        limits: { cpu: "500m", memory: "256Mi", "ephemeral-storage": "512Mi" },
      });
      assert.deepEqual(rc.readinessProbe.httpGet, { path: "/ready", port: "http" });
      assert.deepEqual(rc.livenessProbe.httpGet, { path: "/health", port: "http" });
      assert.deepEqual(rc.startupProbe.httpGet, { path: "/health", port: "http" });
      assert.deepEqual(
        at(runtime, "spec", "template", "spec", "securityContext", "seccompProfile"),
        {
          type: "RuntimeDefault",
        },
      );

      const cc = at(connector, "spec", "template", "spec", "containers", 0);
      assert.equal(cc.image, `image-registry-not-set.invalid/agent-runtime/connector:${tag}`);
      assert.deepEqual(cc.ports, [
        { name: "btp", containerPort: 4000, protocol: "TCP" },
        { name: "health", containerPort: 8080, protocol: "TCP" },
        { name: "admin", containerPort: 8081, protocol: "TCP" },
      ]);
      assert.deepEqual(cc.resources, {
        requests: { cpu: "250m", memory: "512Mi", "ephemeral-storage": "128Mi" },
        limits: { cpu: "1000m", memory: "1Gi", "ephemeral-storage": "512Mi" },
      });
      assert.deepEqual(cc.startupProbe.httpGet, { path: "/health", port: "health" });
      assert.deepEqual(cc.livenessProbe.httpGet, { path: "/health/live", port: "health" });
      assert.deepEqual(cc.readinessProbe.httpGet, { path: "/health/ready", port: "health" });
      // The TigerBeetle client needs io_uring: the same profile as TigerBeetle's pods.
      assert.deepEqual(
        at(connector, "spec", "template", "spec", "securityContext", "seccompProfile"),
        {
          type: "Unconfined",
        },
      );
      assert.equal(
        at(
          one(manifests, "Namespace", connectorNs),
          "metadata",
          "labels",
          "pod-security.kubernetes.io/enforce",
        ),
        "privileged",
      );
      assert.equal(
        at(
          one(manifests, "Namespace", runtimeNs),
          "metadata",
          "labels",
          "pod-security.kubernetes.io/enforce",
        ),
        "restricted",
      );
    });

    it("Services: agent-runtime 3100; connector btp 4000, health 8080, admin 8081", () => {
      assert.deepEqual(
        at(one(manifests, "Service", `agent-runtime${s}`, runtimeNs), "spec", "ports"),
        [{ name: "http", port: 3100, targetPort: "http", protocol: "TCP" }],
      );
      assert.deepEqual(
        at(one(manifests, "Service", `connector${s}`, connectorNs), "spec", "ports"),
        [
          { name: "btp", port: 4000, targetPort: "btp", protocol: "TCP" },
          { name: "health", port: 8080, targetPort: "health", protocol: "TCP" },
          { name: "admin", port: 8081, targetPort: "admin", protocol: "TCP" },
        ],
      );
    });

    it("PDBs: the one disruption rule (one pod always serves; a single replica may be drained)", () => {
      for (const [name, ns, app] of [
        [`agent-runtime${s}`, runtimeNs, "agent-runtime"],
        [`connector${s}`, connectorNs, "connector"],
      ]) {
        assert.deepEqual(at(one(manifests, "PodDisruptionBudget", name, ns), "spec"), {
          ...(replicas >= 2 ? { minAvailable: 1 } : { maxUnavailable: 1 }),
          selector: { matchLabels: { "app.kubernetes.io/name": app } },
        });
      }
    });
  });
}

describe("connector: a localhost seccomp profile", () => {
  it("applies to the connector too, and keeps its namespace restricted", async () => {
    const tigerbeetle = editedObject("production", "tigerbeetle", (v) => {
      v.seccomp = { type: "localhost", localhostProfile: "profiles/io-uring.json" };
    });
    const { manifests } = await render("production", { tigerbeetle });
    const connector = one(manifests, "Deployment", "connector", "agent-runtime");
    assert.deepEqual(
      at(connector, "spec", "template", "spec", "securityContext", "seccompProfile"),
      {
        type: "Localhost",
        localhostProfile: "profiles/io-uring.json",
      },
    );
    assert.equal(
      at(
        one(manifests, "Namespace", "agent-runtime"),
        "metadata",
        "labels",
        "pod-security.kubernetes.io/enforce",
      ),
      "restricted",
    );
  });
});
