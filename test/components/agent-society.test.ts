import { strict as assert } from "assert";
import { disruptionRule } from "../../stacks/availability";
import { Manifest } from "../../scripts/render-lib";
import { isSecretValue } from "../../scripts/mock-runtime";
import { at, editedObject, one, ofKind, render } from "../harness";

/** Story 23.2's acceptance criteria, asserted on what each stack renders. */

const EXPECTED = {
  staging: {
    namespace: "agent-society-staging",
    name: "agent-society-staging",
    relay: "agent-society-relay-staging",
    replicas: 1,
    // No registry in the stack file: shown under the placeholder, refused by `pulumi up`.
    image: "image-registry-not-set.invalid/agent-society:staging",
    logLevel: "debug",
    ilpAddress: "test.agent-platform.agent-society",
    resources: {
      requests: { cpu: "100m", memory: "128Mi", "ephemeral-storage": "128Mi" },
      limits: { cpu: "500m", memory: "256Mi", "ephemeral-storage": "512Mi" },
    },
    runtimeNamespace: "agent-runtime-core-staging",
    connectorNamespace: "agent-runtime-staging",
    connectorAdminUrl: "http://connector-staging.agent-runtime-staging.svc.cluster.local:8081",
    agentRuntimeUrl:
      "http://agent-runtime-staging.agent-runtime-core-staging.svc.cluster.local:3100",
  },
  production: {
    namespace: "agent-society",
    name: "agent-society",
    relay: "agent-society-relay",
    replicas: 2,
    image: "image-registry-not-set.invalid/agent-society:1.0.0",
    logLevel: "info",
    ilpAddress: "g.agent-platform.agent-society",
    resources: {
      requests: { cpu: "250m", memory: "256Mi", "ephemeral-storage": "128Mi" },
      limits: { cpu: "1000m", memory: "512Mi", "ephemeral-storage": "512Mi" },
    },
    runtimeNamespace: "agent-runtime-core",
    connectorNamespace: "agent-runtime",
    connectorAdminUrl: "http://connector.agent-runtime.svc.cluster.local:8081",
    agentRuntimeUrl: "http://agent-runtime.agent-runtime-core.svc.cluster.local:3100",
  },
} as const;

const SELECTOR = { "app.kubernetes.io/name": "agent-society" };

function peer(namespace: string, app: string) {
  return {
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
    podSelector: { matchLabels: { "app.kubernetes.io/name": app } },
  };
}

for (const stack of ["staging", "production"] as const) {
  const want = EXPECTED[stack];

  describe(`agent-society (${stack})`, () => {
    let manifests: Manifest[];
    let inNamespace: Manifest[];
    before(async () => {
      manifests = (await render(stack)).manifests;
      inNamespace = manifests.filter(
        (m) => m.metadata.namespace === want.namespace || m.metadata.name === want.namespace,
      );
    });

    it("creates exactly the story's objects in its own namespace", () => {
      const kinds = inNamespace.map((m) => m.kind).sort();
      assert.deepEqual(kinds, [
        "ConfigMap",
        "Deployment",
        "Namespace",
        "NetworkPolicy",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "Secret",
        "Service",
        "Service",
        "ServiceAccount",
      ]);
    });

    it("namespace enforces the restricted Pod Security level and carries the environment", () => {
      const ns = one(manifests, "Namespace", want.namespace);
      assert.equal(
        ns.metadata.labels && at(ns, "metadata", "labels", "pod-security.kubernetes.io/enforce"),
        "restricted",
      );
      assert.deepEqual(ns.metadata.annotations, {
        environment: stack,
        "pulumi.com/patchForce": "true",
      });
    });

    it("every object carries the recommended labels and the environment annotation", () => {
      for (const m of inNamespace.filter((o) => o.metadata.name !== "default-deny")) {
        assert.deepEqual(
          {
            name: at(m, "metadata", "labels", "app.kubernetes.io/name"),
            component: at(m, "metadata", "labels", "app.kubernetes.io/component"),
            partOf: at(m, "metadata", "labels", "app.kubernetes.io/part-of"),
            managedBy: at(m, "metadata", "labels", "app.kubernetes.io/managed-by"),
          },
          {
            name: "agent-society",
            component: "agent-society",
            partOf: "agent-runtime",
            managedBy: "pulumi",
          },
          `${m.kind} ${m.metadata.name}`,
        );
        assert.equal(
          at(m, "metadata", "annotations", "environment"),
          stack,
          `${m.kind} ${m.metadata.name}`,
        );
      }
    });

    it("AC 3: the pod has ports http 3100 and ws 7100", () => {
      const container = at(
        one(manifests, "Deployment", want.name, want.namespace),
        "spec",
        "template",
        "spec",
        "containers",
        0,
      );
      assert.deepEqual(container.ports, [
        { name: "http", containerPort: 3100, protocol: "TCP" },
        { name: "ws", containerPort: 7100, protocol: "TCP" },
      ]);
    });

    it("Deployment: replicas, image, resources, strategy, grace period, anti-affinity, envFrom", () => {
      const deployment = one(manifests, "Deployment", want.name, want.namespace);
      const spec = at(deployment, "spec");
      const pod = at(spec, "template", "spec");
      const container = pod.containers[0];
      assert.equal(spec.replicas, want.replicas);
      assert.deepEqual(spec.selector, { matchLabels: SELECTOR });
      assert.equal(
        at(spec, "template", "metadata", "labels", "app.kubernetes.io/name"),
        "agent-society",
      );
      assert.deepEqual(spec.strategy, {
        type: "RollingUpdate",
        rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
      });
      assert.equal(pod.terminationGracePeriodSeconds, 30);
      assert.equal(pod.serviceAccountName, want.name);
      assert.equal(pod.containers.length, 1);
      assert.equal(container.image, want.image);
      assert.deepEqual(container.resources, want.resources);
      assert.deepEqual(pod.affinity, {
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 100,
              podAffinityTerm: {
                topologyKey: "kubernetes.io/hostname",
                labelSelector: { matchLabels: SELECTOR },
              },
            },
          ],
        },
      });
      const configMap = ofKind(inNamespace, "ConfigMap")[0];
      const secret = ofKind(inNamespace, "Secret")[0];
      assert.deepEqual(container.envFrom, [
        { configMapRef: { name: configMap.metadata.name } },
        { secretRef: { name: secret.metadata.name } },
      ]);
    });

    it("probes on /health with the story's exact timings", () => {
      const container = at(
        one(manifests, "Deployment", want.name, want.namespace),
        "spec",
        "template",
        "spec",
        "containers",
        0,
      );
      const httpGet = { path: "/health", port: "http" };
      assert.deepEqual(container.startupProbe, {
        httpGet,
        initialDelaySeconds: 5,
        periodSeconds: 5,
        timeoutSeconds: 1,
        failureThreshold: 12,
      });
      assert.deepEqual(container.livenessProbe, {
        httpGet,
        initialDelaySeconds: 10,
        periodSeconds: 15,
        timeoutSeconds: 5,
        failureThreshold: 3,
      });
      assert.deepEqual(container.readinessProbe, {
        httpGet,
        initialDelaySeconds: 5,
        periodSeconds: 10,
        timeoutSeconds: 5,
        failureThreshold: 3,
      });
    });

    it("AC 9: non-root uid/gid 1000, read-only root filesystem, no escalation, no capabilities, RuntimeDefault seccomp", () => {
      const pod = at(
        one(manifests, "Deployment", want.name, want.namespace),
        "spec",
        "template",
        "spec",
      );
      assert.deepEqual(pod.securityContext, {
        runAsNonRoot: true,
        runAsUser: 1000,
        runAsGroup: 1000,
        fsGroup: 1000,
        seccompProfile: { type: "RuntimeDefault" },
      });
      assert.deepEqual(pod.containers[0].securityContext, {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ["ALL"] },
      });
      assert.equal(pod.automountServiceAccountToken, false);
      assert.deepEqual(pod.containers[0].volumeMounts, [{ name: "tmp", mountPath: "/tmp" }]);
    });

    it("AC 4: ClusterIP Service agent-society routes 3100 to http", () => {
      const service = one(manifests, "Service", want.name, want.namespace);
      assert.equal(at(service, "spec", "type"), "ClusterIP");
      assert.deepEqual(at(service, "spec", "selector"), SELECTOR);
      assert.deepEqual(at(service, "spec", "ports"), [
        { name: "http", port: 3100, targetPort: "http", protocol: "TCP" },
      ]);
    });

    it("AC 5: headless Service agent-society-relay routes 7100 to ws", () => {
      const service = one(manifests, "Service", want.relay, want.namespace);
      assert.equal(at(service, "spec", "clusterIP"), "None");
      assert.deepEqual(at(service, "spec", "selector"), SELECTOR);
      assert.deepEqual(at(service, "spec", "ports"), [
        { name: "ws", port: 7100, targetPort: "ws", protocol: "TCP" },
      ]);
    });

    it("AC 6 and 7: NetworkPolicy allows exactly the story's ingress and egress, DNS included", () => {
      const policy = one(manifests, "NetworkPolicy", want.name, want.namespace);
      assert.deepEqual(at(policy, "spec", "podSelector"), { matchLabels: SELECTOR });
      assert.deepEqual(at(policy, "spec", "policyTypes"), ["Ingress", "Egress"]);
      // Rules in the order of the catalog's calls: agent-society's own first.
      assert.deepEqual(at(policy, "spec", "ingress"), [
        // The relay: from peer relays and from agent-runtime (Story 23.2's rule); the staging rule
        // selects the staging namespaces (the story's overlay did not).
        {
          from: [
            peer(want.namespace, "agent-society"),
            peer(want.runtimeNamespace, "agent-runtime"),
          ],
          ports: [{ protocol: "TCP", port: 7100 }],
        },
        {
          from: [peer(want.runtimeNamespace, "agent-runtime")],
          ports: [{ protocol: "TCP", port: 3100 }],
        },
      ]);
      assert.deepEqual(at(policy, "spec", "egress"), [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
              podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
            },
            // NodeLocal DNSCache on its default link-local address.
            { ipBlock: { cidr: "169.254.20.10/32" } },
          ],
          ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
          ],
        },
        { to: [peer(want.namespace, "agent-society")], ports: [{ protocol: "TCP", port: 7100 }] },
        {
          to: [peer(want.connectorNamespace, "connector")],
          ports: [{ protocol: "TCP", port: 8081 }],
        },
        {
          to: [peer(want.runtimeNamespace, "agent-runtime")],
          ports: [{ protocol: "TCP", port: 3100 }],
        },
      ]);
    });

    it("the namespace denies all ingress and egress by default", () => {
      const deny = one(manifests, "NetworkPolicy", "default-deny", want.namespace);
      assert.deepEqual(deny.spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    });

    it("AC 8: PodDisruptionBudget minAvailable 1 with two replicas; a single replica stays drainable", () => {
      const pdb = one(manifests, "PodDisruptionBudget", want.name, want.namespace);
      const rule = want.replicas >= 2 ? { minAvailable: 1 } : { maxUnavailable: 1 };
      assert.deepEqual(pdb.spec, { ...rule, selector: { matchLabels: SELECTOR } });
      assert.deepEqual(disruptionRule(1), { maxUnavailable: 1 });
      assert.deepEqual(disruptionRule(2), { minAvailable: 1 });
    });

    it("ServiceAccount mounts no API token", () => {
      assert.equal(
        one(manifests, "ServiceAccount", want.name, want.namespace).automountServiceAccountToken,
        false,
      );
    });

    it("ConfigMap carries the story's twelve keys plus ILP_ADDRESS and ARDRIVE_ENABLED", () => {
      const configMap = ofKind(inNamespace, "ConfigMap")[0];
      assert.match(configMap.metadata.name, /^agent-society-config-[0-9a-f]{8}$/);
      assert.deepEqual(configMap.data, {
        BLS_PORT: "3100",
        WS_PORT: "7100",
        ASSET_CODE: "USD",
        ASSET_SCALE: "6",
        BASE_PRICE_PER_BYTE: "10",
        CONNECTOR_ADMIN_URL: want.connectorAdminUrl,
        AGENT_RUNTIME_URL: want.agentRuntimeUrl,
        LOG_LEVEL: want.logLevel,
        NODE_ID: "agent-society",
        SUPPORTED_CHAINS: "evm:base:8453",
        SETTLEMENT_TIMEOUT: "86400",
        INITIAL_DEPOSIT: "1000000",
        ILP_ADDRESS: want.ilpAddress,
        ARDRIVE_ENABLED: "false",
      });
    });

    it("Secret holds NOSTR_SECRET_KEY and the connector's admin API key, redacted in the render", () => {
      const secret = ofKind(inNamespace, "Secret")[0];
      assert.equal(secret.type, "Opaque");
      assert.deepEqual(at(secret, "stringData"), {
        NOSTR_SECRET_KEY: "[secret]",
        CONNECTOR_ADMIN_API_KEY: "[secret]",
      });
    });

    it("agent-society's CONNECTOR_ADMIN_API_KEY is the connector's ADMIN_API_KEY", async () => {
      const { run } = await render(stack, { connectorAdminApiKey: "c".repeat(64) });
      // The provider's SDK sends a Secret's whole stringData as one secret value.
      const stringData = (namespace: string) => {
        const sent = run.resources.find(
          (r) => r.state.kind === "Secret" && at(r.state, "metadata", "namespace") === namespace,
        )!.inputs.stringData;
        assert.ok(isSecretValue(sent), `${namespace}: stringData is sent as a secret`);
        return sent.value as Record<string, unknown>;
      };
      const society = stringData(want.namespace);
      const connector = stringData(`agent-runtime${want.namespace.replace("agent-society", "")}`);
      assert.equal(society.CONNECTOR_ADMIN_API_KEY, "c".repeat(64));
      assert.equal(connector.ADMIN_API_KEY, "c".repeat(64));
    });
  });
}

describe("agent-society: stack differences come from config, not code", () => {
  it("an override of one config value changes only that value", async () => {
    const agentSociety = editedObject("staging", "agentSociety", (v) => {
      v.replicas = 3;
      v.imageTag = "1.2.3";
    });
    const { manifests } = await render("staging", { agentSociety, imageRegistry: "ghcr.io/acme" });
    const deployment = one(
      manifests,
      "Deployment",
      "agent-society-staging",
      "agent-society-staging",
    );
    assert.equal(at(deployment, "spec", "replicas"), 3);
    assert.equal(
      at(deployment, "spec", "template", "spec", "containers", 0, "image"),
      "ghcr.io/acme/agent-society:1.2.3",
    );
  });
});
