import { strict as assert } from "assert";
import Ajv from "ajv";
import { renderStack } from "../../scripts/render-lib";
import { InvalidInputError } from "../../stacks/problems";
import { DNS_EGRESS_RULE, at, editedObject, ofKind, one, render, renderError } from "../harness";
import { spec, specDir } from "../kgents/helpers";

/** The peer that selects one agent's pods in the staging agents namespace. */
function agentPeer(app: string, namespace = "kgents-agents-staging") {
  return {
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
    podSelector: { matchLabels: { "app.kubernetes.io/name": app } },
  };
}
const HTTP = [{ protocol: "TCP", port: 8080 }];

describe("kgents agents", () => {
  it("renders one Deployment, Service, NetworkPolicy and Agent per spec, in kgents-agents", async () => {
    for (const [stack, suffix] of [
      ["staging", "-staging"],
      ["production", ""],
    ] as const) {
      const { manifests } = await render(stack);
      const ns = `kgents-agents${suffix}`;
      const names = (kind: string) =>
        ofKind(manifests, kind)
          .filter((m) => m.metadata.namespace === ns)
          .map((m) => m.metadata.name)
          .sort();
      const agents = ["b-gent", "f-gent", "l-gent", "psi-gent", "u-gent"].map((a) => a + suffix);
      assert.deepEqual(names("Deployment"), agents);
      assert.deepEqual(names("Service"), agents);
      assert.deepEqual(names("Agent"), agents);
      assert.deepEqual(names("NetworkPolicy"), [...agents, "default-deny"].sort());
      // Every agent has one: L-gent (2 or more replicas) keeps a pod, the others allow the drain.
      assert.deepEqual(names("PodDisruptionBudget"), agents);
      const budgets = ofKind(manifests, "PodDisruptionBudget").filter(
        (m) => m.metadata.namespace === ns,
      );
      assert.deepEqual(
        budgets.map((m) => [
          m.metadata.name,
          at(m, "spec", "minAvailable"),
          at(m, "spec", "maxUnavailable"),
        ]),
        agents.map((a) => (a.startsWith("l-gent") ? [a, 1, undefined] : [a, undefined, 1])),
      );
    }
  });

  it("creates both namespaces, restricted, with the document's LimitRanges", async () => {
    const { manifests } = await render("staging");
    for (const name of ["kgents-agents-staging", "kgents-ephemeral-staging"]) {
      const ns = one(manifests, "Namespace", name);
      assert.equal(
        ns.metadata.labels!["pod-security.kubernetes.io/enforce" as never],
        "restricted",
      );
      one(manifests, "NetworkPolicy", "default-deny", name);
    }
    assert.deepEqual(
      at(one(manifests, "LimitRange", "kgents-limits", "kgents-agents-staging"), "spec"),
      {
        limits: [
          {
            type: "Container",
            default: { cpu: "100m", memory: "256Mi", "ephemeral-storage": "1536Mi" },
            defaultRequest: { cpu: "50m", memory: "128Mi", "ephemeral-storage": "256Mi" },
          },
        ],
      },
    );
    assert.deepEqual(
      at(one(manifests, "LimitRange", "kgents-limits", "kgents-ephemeral-staging"), "spec"),
      {
        limits: [
          {
            type: "Container",
            default: { cpu: "100m", memory: "128Mi", "ephemeral-storage": "512Mi" },
            defaultRequest: { cpu: "25m", memory: "64Mi", "ephemeral-storage": "128Mi" },
            max: { cpu: "500m", memory: "512Mi", "ephemeral-storage": "1Gi" },
          },
        ],
      },
    );
  });

  describe("NetworkPolicy", () => {
    it("B-gent: ingress from U, egress to DNS and its peers L and F on 8080", async () => {
      const { manifests } = await render("staging");
      assert.deepEqual(at(one(manifests, "NetworkPolicy", "b-gent-staging"), "spec"), {
        podSelector: { matchLabels: { "app.kubernetes.io/name": "b-gent" } },
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: [agentPeer("u-gent")], ports: HTTP }],
        egress: [DNS_EGRESS_RULE, { to: [agentPeer("l-gent"), agentPeer("f-gent")], ports: HTTP }],
      });
    });

    it("L-gent: ingress from the three agents that list it, egress only DNS", async () => {
      const { manifests } = await render("production");
      const policy = one(manifests, "NetworkPolicy", "l-gent", "kgents-agents");
      const prod = (app: string) => agentPeer(app, "kgents-agents");
      assert.deepEqual(at(policy, "spec", "ingress"), [
        { from: [prod("b-gent"), prod("f-gent"), prod("psi-gent")], ports: HTTP },
      ]);
      assert.deepEqual(at(policy, "spec", "egress"), [DNS_EGRESS_RULE]);
    });

    it("U-gent: allowEgress adds public addresses only, not the cluster's ranges", async () => {
      const { manifests } = await render("staging");
      assert.deepEqual(at(one(manifests, "NetworkPolicy", "u-gent-staging"), "spec", "egress"), [
        DNS_EGRESS_RULE,
        { to: [agentPeer("b-gent")], ports: HTTP },
        {
          to: [
            {
              ipBlock: {
                cidr: "0.0.0.0/0",
                except: [
                  "10.0.0.0/8",
                  "172.16.0.0/12",
                  "192.168.0.0/16",
                  "100.64.0.0/10",
                  "169.254.0.0/16",
                ],
              },
            },
            { ipBlock: { cidr: "::/0", except: ["fc00::/7", "fe80::/10"] } },
          ],
        },
      ]);
    });

    it("an agent with no peers and no egress reaches only DNS, and nothing reaches it", async () => {
      const dir = specDir({ "a.md": spec("genus: A") });
      const { manifests } = await renderStack({ stack: "staging", specDir: dir });
      assert.deepEqual(at(one(manifests, "NetworkPolicy", "a-gent-staging"), "spec"), {
        podSelector: { matchLabels: { "app.kubernetes.io/name": "a-gent" } },
        policyTypes: ["Ingress", "Egress"],
        ingress: [],
        egress: [DNS_EGRESS_RULE],
      });
    });
  });

  describe("Deployment", () => {
    it("B-gent runs logic and the d-gent sidecar, sharing /state, read-only elsewhere", async () => {
      const { manifests } = await render("staging");
      const pod = at(one(manifests, "Deployment", "b-gent-staging"), "spec", "template", "spec");
      assert.deepEqual(
        pod.containers.map((c: { name: string; command: string[] }) => [c.name, c.command]),
        [
          ["logic", ["python", "-m", "agents.b.main"]],
          ["d-gent", ["python", "-m", "agents.d.sidecar"]],
        ],
      );
      assert.deepEqual(pod.volumes, [{ name: "state", emptyDir: { sizeLimit: "1Gi" } }]);
      for (const container of pod.containers) {
        assert.deepEqual(container.volumeMounts, [{ name: "state", mountPath: "/state" }]);
        assert.deepEqual(container.securityContext, {
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ["ALL"] },
        });
      }
      assert.deepEqual(pod.containers[0].env, [
        { name: "KGENTS_GENUS", value: "B" },
        { name: "KGENTS_STATE_PATH", value: "/state" },
        { name: "PYTHONDONTWRITEBYTECODE", value: "1" },
        { name: "TMPDIR", value: "/state" },
        { name: "KGENTS_CURRENCY", value: "USD" },
        { name: "KGENTS_MAX_SPEND_PER_CALL", value: "5000" },
        { name: "KGENTS_TOKEN_BUDGET", value: "1000000" },
      ]);
      assert.deepEqual(pod.containers[0].ports, [
        { name: "http", containerPort: 8080, protocol: "TCP" },
      ]);
      assert.deepEqual(pod.containers[0].readinessProbe.tcpSocket, { port: "http" });
      assert.deepEqual(pod.containers[0].resources, {
        requests: { cpu: "100m", memory: "256Mi", "ephemeral-storage": "256Mi" },
        limits: { cpu: "250m", memory: "384Mi", "ephemeral-storage": "1536Mi" },
      });
      // The sidecar listens on no port: its probes check its writable state volume.
      const stateCheck = {
        command: [
          "python",
          "-c",
          'import os, sys; sys.exit(0 if os.access("/state", os.W_OK) else 1)',
        ],
      };
      assert.deepEqual(
        ["startupProbe", "livenessProbe", "readinessProbe"].map((p) => [
          pod.containers[1][p].exec,
          pod.containers[1][p].timeoutSeconds,
          pod.containers[1][p].periodSeconds,
        ]),
        [
          [stateCheck, 5, 5],
          [stateCheck, 5, 15],
          [stateCheck, 5, 10],
        ],
      );
      assert.deepEqual(pod.containers[1].resources, {
        requests: { cpu: "50m", memory: "128Mi", "ephemeral-storage": "256Mi" },
        limits: { cpu: "100m", memory: "256Mi", "ephemeral-storage": "1536Mi" },
      });
      assert.equal(pod.automountServiceAccountToken, false);
      assert.equal(pod.securityContext.runAsNonRoot, true);
    });

    it("F-gent has no sidecar", async () => {
      const { manifests } = await render("staging");
      const pod = at(one(manifests, "Deployment", "f-gent-staging"), "spec", "template", "spec");
      assert.deepEqual(
        pod.containers.map((c: { name: string }) => c.name),
        ["logic"],
      );
    });

    it("Service http 8080 selects the agent's pods", async () => {
      const { manifests } = await render("production");
      const service = one(manifests, "Service", "b-gent", "kgents-agents");
      const deployment = one(manifests, "Deployment", "b-gent", "kgents-agents");
      assert.deepEqual(at(service, "spec", "ports"), [
        { name: "http", port: 8080, targetPort: "http", protocol: "TCP" },
      ]);
      assert.deepEqual(at(service, "spec", "selector"), { "app.kubernetes.io/name": "b-gent" });
      assert.equal(
        at(deployment, "spec", "template", "metadata", "labels", "kgents.io/genus"),
        "B",
      );
    });
  });

  it("applies the stack's overrides: replicas (and a PDB), image tag, resources", async () => {
    const resources = {
      requests: { cpu: "200m", memory: "512Mi" },
      limits: { cpu: "400m", memory: "512Mi" },
    };
    const { manifests, outputs } = await render("staging", {
      agents: JSON.stringify({
        deploy: "all",
        imageTag: "staging",
        overrides: { B: { replicas: 2, imageTag: "1.5.0-rc.1", resources } },
      }),
      // Two B-gents need more than staging's budget; raise it with them (see budget tests).
      budgets: editedObject("staging", "budgets", (v) => {
        v.agents = {
          requests: { cpu: "4", memory: "8Gi" },
          limits: { cpu: "8", memory: "8Gi" },
          pods: 20,
        };
      }),
    });
    const b = one(manifests, "Deployment", "b-gent-staging");
    assert.equal(at(b, "spec", "replicas"), 2);
    const [logic, sidecar] = at(b, "spec", "template", "spec", "containers");
    assert.equal(logic.image, "image-registry-not-set.invalid/kgents:1.5.0-rc.1");
    assert.equal(sidecar.image, "image-registry-not-set.invalid/kgents:1.5.0-rc.1");
    assert.deepEqual(logic.resources, {
      requests: { ...resources.requests, "ephemeral-storage": "256Mi" },
      limits: { ...resources.limits, "ephemeral-storage": "1536Mi" },
    });
    one(manifests, "PodDisruptionBudget", "b-gent-staging");
    assert.equal(at(one(manifests, "Deployment", "f-gent-staging"), "spec", "replicas"), 1);
    assert.deepEqual(
      (outputs.agents as { replicas: number }[]).map((a) => a.replicas),
      [2, 1, 2, 1, 1],
    );
  });

  it("production's stack file raises L-gent to three replicas", async () => {
    const { manifests } = await render("production");
    assert.equal(at(one(manifests, "Deployment", "l-gent"), "spec", "replicas"), 3);
  });

  it("deploys only the chosen agents", async () => {
    const { manifests } = await render("staging", {
      agents: JSON.stringify({ deploy: ["L", "F"], overrides: {} }),
    });
    assert.deepEqual(
      ofKind(manifests, "Agent").map((m) => m.metadata.name),
      ["f-gent-staging", "l-gent-staging"],
    );
  });

  it("refuses an override of an agent without a spec, before registering anything", async () => {
    const error = await renderError("staging", {
      agents: JSON.stringify({ deploy: "all", overrides: { Q: { replicas: 2 } } }),
    });
    assert.equal(
      error.message,
      'Invalid agents config for stack "staging" (1 problem); nothing was deployed:\n  - Pulumi.staging.yaml: agent-platform:agents.overrides.Q: expected the genus of an agent with a spec ("B", "F", "L", "Psi", "U"); given "Q"',
    );
  });

  it("refuses broken specs, before registering anything", async () => {
    const dir = specDir({ "a.md": spec("genus: A\nreplicas: 11") });
    await assert.rejects(
      renderStack({ stack: "staging", specDir: dir }),
      (e: unknown) =>
        e instanceof InvalidInputError &&
        e.problems.length === 1 &&
        e.problems[0].message === "expected <= 10; given 11",
    );
  });

  describe("Agent CRD and objects", () => {
    it("defines agents.kgents.io v1 with the corrected genus pattern, short name and columns", async () => {
      const { manifests } = await render("staging");
      const crd = one(manifests, "CustomResourceDefinition", "agents.kgents.io");
      assert.deepEqual(at(crd, "spec", "names"), {
        plural: "agents",
        singular: "agent",
        kind: "Agent",
        shortNames: ["ag"],
      });
      const version = at(crd, "spec", "versions", 0);
      assert.equal(version.name, "v1");
      assert.equal(
        version.schema.openAPIV3Schema.properties.spec.properties.genus.pattern,
        "^([A-Z]|Psi)$",
      );
    });

    it("kubectl get agents shows only columns the stack fills: no Phase, peers with -o wide", async () => {
      const { manifests } = await render("staging");
      const version = at(
        one(manifests, "CustomResourceDefinition", "agents.kgents.io"),
        "spec",
        "versions",
        0,
      );
      type Column = { name: string; jsonPath: string; priority?: number };
      const columns = version.additionalPrinterColumns as Column[];
      assert.deepEqual(
        columns.map((c) => `${c.name} ${c.jsonPath} ${c.priority ?? 0}`),
        [
          "Genus .spec.genus 0",
          "Replicas .spec.replicas 0",
          "Image .spec.image 0",
          "Sidecar .spec.sidecar.enabled 0",
          "Peers .spec.networkPolicy.allowedPeers 1",
          "Egress .spec.networkPolicy.allowEgress 1",
          "Age .metadata.creationTimestamp 0",
        ],
      );
      // Nothing writes a status, so the CRD declares none.
      assert.equal(version.subresources, undefined);
      assert.equal(version.schema.openAPIV3Schema.properties.status, undefined);
      // Every column names a field the schema declares (server-side apply refuses others) and
      // every Agent object of both stacks fills (the API server fills creationTimestamp).
      const declared = (path: string[]) =>
        path.reduce<{ properties?: Record<string, unknown> } | undefined>(
          (schema, key) => schema?.properties?.[key] as { properties?: Record<string, unknown> },
          version.schema.openAPIV3Schema,
        );
      for (const stack of ["staging", "production"]) {
        const agents = ofKind((await render(stack)).manifests, "Agent");
        assert.equal(agents.length, 5);
        for (const c of columns.filter((c) => c.jsonPath.startsWith(".spec."))) {
          const path = c.jsonPath.slice(1).split(".");
          assert.notEqual(declared(path), undefined, `${c.name}: ${c.jsonPath} is not declared`);
          for (const agent of agents) {
            assert.notEqual(at(agent, ...path), undefined, `${agent.metadata.name}: ${c.name}`);
          }
        }
      }
    });

    it("puts every agent object in one ConfigGroup, after the kgents namespaces and the CRD", async () => {
      const { run } = await render("staging");
      const groups = run.resources.filter((r) => r.type === "kubernetes:yaml/v2:ConfigGroup");
      assert.equal(groups.length, 1);
      const group = groups[0];
      const children = run.resources.filter((r) => r.parent === group.urn);
      const count = (kind: string) => children.filter((r) => r.state.kind === kind).length;
      const kinds = ["CustomResourceDefinition", "Agent", "Deployment", "Service", "NetworkPolicy"];
      // One PodDisruptionBudget per agent.
      // The CRD is not in the group: both stacks share it (test/components/kept.test.ts).
      assert.deepEqual([...kinds, "PodDisruptionBudget"].map(count), [0, 5, 5, 5, 5, 5]);
      assert.equal(children.length, 25);
      assert.deepEqual(
        children
          .filter((r) => r.name.includes("/b-gent"))
          .map((r) => `${r.type} ${r.name}`)
          .sort(),
        [
          "kubernetes:apps/v1:Deployment agents:kgents-agents-staging/b-gent-staging",
          "kubernetes:core/v1:Service agents:kgents-agents-staging/b-gent-staging",
          "kubernetes:kgents.io/v1:Agent agents:kgents-agents-staging/b-gent-staging",
          "kubernetes:networking.k8s.io/v1:NetworkPolicy agents:kgents-agents-staging/b-gent-staging",
          "kubernetes:policy/v1:PodDisruptionBudget agents:kgents-agents-staging/b-gent-staging",
        ],
      );
      // The group, and so every Agent object in it, waits for the CRD.
      const crd = run.resources.find(
        (r) => r.type === "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinitionPatch",
      )!;
      assert.equal(crd.parent, group.parent);
      // The group waits for both namespaces and everything in them: quotas, limits, policies.
      const namespacesComponent = run.resources.find(
        (r) => r.type === "agent-platform:index:KgentsNamespaces",
      )!;
      const inNamespacesComponent = run.resources
        .filter((r) => r.custom && r.parent === namespacesComponent.urn)
        .map((r) => r.urn);
      assert.equal(inNamespacesComponent.length, 8);
      assert.deepEqual([...group.dependencies].sort(), [...inNamespacesComponent, crd.urn].sort());
    });

    it("every Agent object validates against the CRD's openAPIV3Schema", async () => {
      for (const stack of ["staging", "production"]) {
        const { manifests } = await render(stack);
        const crd = one(manifests, "CustomResourceDefinition", "agents.kgents.io");
        const validate = new Ajv({ strict: false, allErrors: true }).compile(
          at(crd, "spec", "versions", 0, "schema", "openAPIV3Schema"),
        );
        for (const agent of ofKind(manifests, "Agent")) {
          assert.ok(validate(agent), `${agent.metadata.name}: ${JSON.stringify(validate.errors)}`);
        }
        const b = one(manifests, "Agent", stack === "staging" ? "b-gent-staging" : "b-gent");
        assert.deepEqual(at(b, "spec", "config"), {
          currency: "USD",
          max_spend_per_call: "5000",
          token_budget: "1000000",
        });
        // The schema can fail: the operator's broken genus and a replica count past 10.
        const broken = { ...b, spec: { ...(b.spec as object), genus: "Bx", replicas: 11 } };
        assert.equal(validate(broken), false);
        assert.deepEqual(
          validate.errors!.map((e) => e.instancePath),
          ["/spec/genus", "/spec/replicas"],
        );
      }
    });
  });

  it("outputs each agent's name, genus, namespace, replicas, image and endpoint", async () => {
    const { outputs } = await render("production", { imageRegistry: "ghcr.io/acme" });
    assert.deepEqual((outputs.agents as unknown[])[0], {
      name: "B-gent",
      genus: "B",
      namespace: "kgents-agents",
      replicas: 1,
      image: "ghcr.io/acme/kgents:1.0.0",
      endpoint: "http://b-gent.kgents-agents.svc.cluster.local:8080",
    });
    assert.deepEqual(
      (outputs.agents as { endpoint: string }[]).map((a) => a.endpoint.split("/")[2]),
      [
        "b-gent.kgents-agents.svc.cluster.local:8080",
        "f-gent.kgents-agents.svc.cluster.local:8080",
        "l-gent.kgents-agents.svc.cluster.local:8080",
        "psi-gent.kgents-agents.svc.cluster.local:8080",
        "u-gent.kgents-agents.svc.cluster.local:8080",
      ],
    );
  });
});
