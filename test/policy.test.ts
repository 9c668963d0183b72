import { strict as assert } from "assert";
import { imageReference } from "../stacks/images";
import type {
  PolicyResource,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { Manifest } from "../scripts/render-lib";
import {
  KubeObject,
  OBJECT_CHECKS,
  STACK_CHECKS,
  defaultDenyNetworkPolicies,
  immutableImageTags,
  podDisruptionBudgets,
  podTemplate,
  probes,
  requestsAndLimits,
  restrictedSecurityContext,
  selects,
} from "../policy/policies";
import { policies } from "../policy/pack";
import { STACKS, at, editedObject, one, render } from "./harness";

/** A deep copy of a rendered object, to break without touching the cached render. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function copy(manifest: Manifest | KubeObject): any {
  return structuredClone(manifest);
}

const SOCIETY = "Deployment agent-society/agent-society";
const SOCIETY_CONTAINER = `${SOCIETY}: container "agent-society"`;
const TB0 = "StatefulSet tigerbeetle/tigerbeetle-0";
const UNCONFINED =
  "has seccomp profile Unconfined, allowed only on a pod annotated " +
  "agent-platform.io/seccomp-exception: io-uring";
const DEFAULT_DENY = "(podSelector: {}, policyTypes: [Ingress, Egress], no rules)";

async function production(): Promise<Manifest[]> {
  return (await render("production")).manifests;
}

async function societyDeployment() {
  return copy(one(await production(), "Deployment", "agent-society", "agent-society"));
}

async function tigerbeetle0() {
  return copy(one(await production(), "StatefulSet", "tigerbeetle-0", "tigerbeetle"));
}

describe("policy pack", () => {
  describe("the rendered stacks pass every policy", () => {
    for (const stack of STACKS) {
      it(`${stack}: every object check and every stack check finds nothing`, async () => {
        const { manifests } = await render(stack);
        for (const check of OBJECT_CHECKS) {
          assert.deepEqual(
            manifests.flatMap((m) => check.check(m)),
            [],
            check.name,
          );
        }
        for (const check of STACK_CHECKS) assert.deepEqual(check.check(manifests), [], check.name);
      });

      it(`${stack}: the checks saw every workload, the exception and the budgets`, async () => {
        const { manifests } = await render(stack);
        const workloads = manifests.filter((m) => podTemplate(m) !== undefined);
        const tigerbeetle = stack === "production" ? 6 : 3;
        // TigerBeetle StatefulSets, five agents, agent-society, agent-runtime, connector.
        assert.equal(workloads.length, tigerbeetle + 5 + 3);
        const suffix = stack === "production" ? "" : "-staging";
        const unconfined = workloads.filter(
          (w) =>
            at(podTemplate(w), "spec", "securityContext", "seccompProfile", "type") ===
            "Unconfined",
        );
        // The io_uring exception: TigerBeetle and its client, the connector.
        assert.deepEqual(
          unconfined.map((w) => w.metadata.name),
          [...[...Array(tigerbeetle).keys()].map((i) => `tigerbeetle-${i}`), "connector"].map(
            (name) => `${name}${suffix}`,
          ),
        );
        const replicated = workloads.filter((w) => (at(w, "spec", "replicas") ?? 1) > 1);
        assert.deepEqual(
          replicated.map((w) => w.metadata.name),
          stack === "production"
            ? ["l-gent", "agent-society", "agent-runtime", "connector"]
            : ["l-gent-staging"],
        );
        assert.equal(manifests.filter((m) => m.kind === "Namespace").length, 6);
      });
    }
  });

  describe("the first deployment passes too", () => {
    for (const stack of STACKS) {
      it(`${stack} with tigerbeetle.bootstrap (format Jobs, when the stack has them)`, async () => {
        const tigerbeetle = editedObject(stack, "tigerbeetle", (v) => (v.bootstrap = true));
        const { manifests } = await render(stack, { tigerbeetle });
        for (const check of OBJECT_CHECKS) {
          assert.deepEqual(
            manifests.flatMap((m) => check.check(m)),
            [],
            check.name,
          );
        }
        for (const check of STACK_CHECKS) assert.deepEqual(check.check(manifests), [], check.name);
      });
    }
  });

  describe("restricted-security-context", () => {
    it("TigerBeetle's Unconfined seccomp passes only with the io-uring exception annotation", async () => {
      const sts = await tigerbeetle0();
      assert.deepEqual(restrictedSecurityContext(sts), []);
      delete sts.spec.template.metadata.annotations["agent-platform.io/seccomp-exception"];
      assert.deepEqual(restrictedSecurityContext(sts), [
        `${TB0}: init container "data-file" ${UNCONFINED}`,
        `${TB0}: container "tigerbeetle" ${UNCONFINED}`,
      ]);
      sts.spec.template.metadata.annotations["agent-platform.io/seccomp-exception"] = "yes";
      assert.equal(restrictedSecurityContext(sts).length, 2);
    });

    it("the annotation on the workload instead of the pod is no exception", async () => {
      const sts = await tigerbeetle0();
      delete sts.spec.template.metadata.annotations["agent-platform.io/seccomp-exception"];
      sts.metadata.annotations["agent-platform.io/seccomp-exception"] = "io-uring";
      assert.equal(restrictedSecurityContext(sts).length, 2);
    });

    it("Unconfined anywhere else fires, on the pod or the container", async () => {
      const d = await societyDeployment();
      d.spec.template.spec.securityContext.seccompProfile = { type: "Unconfined" };
      assert.deepEqual(restrictedSecurityContext(d), [`${SOCIETY_CONTAINER} ${UNCONFINED}`]);
      d.spec.template.spec.securityContext.seccompProfile = { type: "RuntimeDefault" };
      d.spec.template.spec.containers[0].securityContext.seccompProfile = { type: "Unconfined" };
      assert.deepEqual(restrictedSecurityContext(d), [`${SOCIETY_CONTAINER} ${UNCONFINED}`]);
    });

    it("a missing seccomp profile fires; Localhost, or RuntimeDefault on the container, passes", async () => {
      const d = await societyDeployment();
      delete d.spec.template.spec.securityContext.seccompProfile;
      assert.deepEqual(restrictedSecurityContext(d), [
        `${SOCIETY_CONTAINER} must set a seccomp profile, RuntimeDefault or Localhost ` +
          "(on the container or the pod)",
      ]);
      d.spec.template.spec.containers[0].securityContext.seccompProfile = {
        type: "RuntimeDefault",
      };
      assert.deepEqual(restrictedSecurityContext(d), []);
      d.spec.template.spec.containers[0].securityContext.seccompProfile = {
        type: "Localhost",
        localhostProfile: "profiles/x.json",
      };
      assert.deepEqual(restrictedSecurityContext(d), []);
    });

    it("runAsNonRoot: the container's setting overrides the pod's", async () => {
      const d = await societyDeployment();
      const message = `${SOCIETY_CONTAINER} must set securityContext.runAsNonRoot: true (on the container or the pod)`;
      d.spec.template.spec.containers[0].securityContext.runAsNonRoot = false;
      assert.deepEqual(restrictedSecurityContext(d), [message]);
      delete d.spec.template.spec.containers[0].securityContext.runAsNonRoot;
      assert.deepEqual(restrictedSecurityContext(d), []);
      delete d.spec.template.spec.securityContext.runAsNonRoot;
      assert.deepEqual(restrictedSecurityContext(d), [message]);
    });

    it("privilege escalation and capabilities, every problem of every container at once", async () => {
      const sts = await tigerbeetle0();
      delete sts.spec.template.spec.initContainers[0].securityContext.allowPrivilegeEscalation;
      sts.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation = true;
      sts.spec.template.spec.containers[0].securityContext.capabilities = { drop: ["NET_RAW"] };
      assert.deepEqual(restrictedSecurityContext(sts), [
        `${TB0}: init container "data-file" must set securityContext.allowPrivilegeEscalation: false`,
        `${TB0}: container "tigerbeetle" must set securityContext.allowPrivilegeEscalation: false`,
        `${TB0}: container "tigerbeetle" must drop all capabilities ` +
          '(securityContext.capabilities.drop: ["ALL"])',
      ]);
    });

    it("objects without pods are not checked", async () => {
      const ns = one(await production(), "Namespace", "agent-society");
      assert.deepEqual(restrictedSecurityContext(ns), []);
    });
  });

  describe("requests-and-limits", () => {
    it("names each missing request and limit, init containers included", async () => {
      const d = await societyDeployment();
      delete d.spec.template.spec.containers[0].resources.limits.memory;
      assert.deepEqual(requestsAndLimits(d), [
        `${SOCIETY_CONTAINER} must set resources.limits.memory`,
      ]);
      const sts = await tigerbeetle0();
      delete sts.spec.template.spec.initContainers[0].resources;
      assert.deepEqual(requestsAndLimits(sts), [
        `${TB0}: init container "data-file" must set ` +
          "resources.requests.cpu, resources.requests.memory, resources.requests.ephemeral-storage, resources.limits.cpu, resources.limits.memory, resources.limits.ephemeral-storage",
      ]);
    });

    it("applies to CronJobs' pods too", () => {
      const cronJob: KubeObject = {
        apiVersion: "batch/v1",
        kind: "CronJob",
        metadata: { name: "report", namespace: "ops" },
        spec: {
          jobTemplate: {
            spec: { template: { spec: { containers: [{ name: "main", image: "r:1" }] } } },
          },
        },
      };
      assert.deepEqual(requestsAndLimits(cronJob), [
        'CronJob ops/report: container "main" must set ' +
          "resources.requests.cpu, resources.requests.memory, resources.requests.ephemeral-storage, resources.limits.cpu, resources.limits.memory, resources.limits.ephemeral-storage",
      ]);
    });
  });

  describe("probes", () => {
    it("names each missing probe of a long-running container", async () => {
      const d = await societyDeployment();
      delete d.spec.template.spec.containers[0].livenessProbe;
      assert.deepEqual(probes(d), [`${SOCIETY_CONTAINER} must set livenessProbe`]);
      for (const p of ["startupProbe", "readinessProbe"])
        delete d.spec.template.spec.containers[0][p];
      assert.deepEqual(probes(d), [
        `${SOCIETY_CONTAINER} must set startupProbe, livenessProbe, readinessProbe`,
      ]);
    });

    it("init containers need none, native sidecars (restartPolicy: Always) do", async () => {
      const sts = await tigerbeetle0();
      const init = sts.spec.template.spec.initContainers[0];
      assert.equal(init.startupProbe ?? init.livenessProbe ?? init.readinessProbe, undefined);
      assert.deepEqual(probes(sts), []);
      init.restartPolicy = "Always";
      assert.deepEqual(probes(sts), [
        `${TB0}: init container "data-file" must set startupProbe, livenessProbe, readinessProbe`,
      ]);
    });

    it("Jobs and Pods that do not restart always run to completion and need none", () => {
      const spec = (restartPolicy?: string) => ({
        ...(restartPolicy === undefined ? {} : { restartPolicy }),
        containers: [{ name: "main", image: "m:1" }],
      });
      const job: KubeObject = {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: { name: "once", namespace: "ops" },
        spec: { template: { spec: spec("Never") } },
      };
      assert.deepEqual(probes(job), []);
      const pod = (restartPolicy?: string): KubeObject => ({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "p", namespace: "ops" },
        spec: spec(restartPolicy),
      });
      assert.deepEqual(probes(pod("OnFailure")), []);
      const missing =
        'Pod ops/p: container "main" must set startupProbe, livenessProbe, readinessProbe';
      assert.deepEqual(probes(pod()), [missing]);
      assert.deepEqual(probes(pod("Always")), [missing]);
    });
  });

  describe("immutable-image-tags", () => {
    const fixed = 'production needs a pinned version such as "1.4.2" or a digest "sha256:<64 hex>"';

    it("production: a moving tag or no tag fires, a release version or a digest passes", async () => {
      const d = await societyDeployment();
      const container = d.spec.template.spec.containers[0];
      for (const tag of ["latest", "production", "3.12-slim", "1.4"]) {
        container.image = `ghcr.io/acme/agent-society:${tag}`;
        assert.deepEqual(immutableImageTags(d), [
          `${SOCIETY_CONTAINER} image "ghcr.io/acme/agent-society:${tag}" has the tag ${tag}, which can move; ${fixed}`,
        ]);
      }
      container.image = "registry.local:5000/agent-society";
      assert.deepEqual(immutableImageTags(d), [
        `${SOCIETY_CONTAINER} image "registry.local:5000/agent-society" has no tag; ${fixed}`,
      ]);
      container.image = `agent-society@sha256:${"a".repeat(64)}`;
      assert.deepEqual(immutableImageTags(d), []);
      container.image = "agent-society:1.4.2";
      assert.deepEqual(immutableImageTags(d), []);
    });

    it("the environment comes from the object's annotation; without one it is production", async () => {
      const d = await societyDeployment();
      d.spec.template.spec.containers[0].image = "agent-society:latest";
      d.metadata.annotations.environment = "staging";
      assert.deepEqual(immutableImageTags(d), []);
      delete d.metadata.annotations.environment;
      assert.equal(immutableImageTags(d).length, 1);
    });

    it("init containers' images are checked too", async () => {
      const sts = await tigerbeetle0();
      sts.spec.template.spec.initContainers[0].image = "ghcr.io/tigerbeetle/tigerbeetle";
      assert.deepEqual(immutableImageTags(sts), [
        `${TB0}: init container "data-file" image "ghcr.io/tigerbeetle/tigerbeetle" has no tag; ${fixed}`,
      ]);
    });

    it("reads tags, registry ports and digests apart", () => {
      assert.deepEqual(
        [
          "python:3.12-slim",
          "localhost:5000/a/b",
          "localhost:5000/a/b:v1",
          "a/b@sha256:00",
          "a/b:v1@sha256:00",
          "busybox",
        ].map(imageReference),
        [
          { tag: "3.12-slim", digest: false },
          { tag: undefined, digest: false },
          { tag: "v1", digest: false },
          { digest: true },
          { digest: true },
          { tag: undefined, digest: false },
        ],
      );
    });
  });

  describe("pod-disruption-budgets", () => {
    it("a workload with more than one replica and no budget fires", async () => {
      const manifests = await production();
      const withoutLgentBudget = manifests.filter(
        (m) => !(m.kind === "PodDisruptionBudget" && m.metadata.name === "l-gent"),
      );
      assert.deepEqual(podDisruptionBudgets(withoutLgentBudget), [
        "Deployment kgents-agents/l-gent runs 3 replicas but no PodDisruptionBudget in its " +
          "namespace selects its pods",
      ]);
    });

    it("a budget in another namespace or selecting other pods does not count", async () => {
      const manifests = await production();
      const original = one(manifests, "PodDisruptionBudget", "agent-society", "agent-society");
      const budget = copy(original);
      const others = manifests.filter((m) => m !== original);
      const message =
        "Deployment agent-society/agent-society runs 2 replicas but no PodDisruptionBudget in " +
        "its namespace selects its pods";
      const moved = { ...budget, metadata: { ...budget.metadata, namespace: "kgents-agents" } };
      assert.deepEqual(podDisruptionBudgets([...others, moved]), [message]);
      budget.spec.selector = { matchLabels: { "app.kubernetes.io/name": "agent-runtime" } };
      assert.deepEqual(podDisruptionBudgets([...others, budget]), [message]);
      budget.spec.selector = {
        matchExpressions: [
          { key: "app.kubernetes.io/name", operator: "In", values: ["agent-society", "x"] },
        ],
      };
      assert.deepEqual(podDisruptionBudgets([...others, budget]), []);
    });

    it("one replica needs a budget too (maxUnavailable 1: a drain is explicit); none needs none", async () => {
      const manifests = await production();
      const deployment = one(manifests, "Deployment", "agent-society", "agent-society");
      const budget = one(manifests, "PodDisruptionBudget", "agent-society", "agent-society");
      const society = copy(deployment);
      society.spec.replicas = 1;
      const rest = manifests.filter((m) => m !== deployment && m !== budget);
      assert.deepEqual(podDisruptionBudgets([...rest, society]), [
        "Deployment agent-society/agent-society runs 1 replica but no PodDisruptionBudget in its namespace selects its pods",
      ]);
      society.spec.replicas = 0;
      assert.deepEqual(podDisruptionBudgets([...rest, society]), []);
    });

    it("label selectors: matchLabels and every operator; {} selects all, none selects nothing", () => {
      const labels = { app: "a", tier: "web" };
      const cases: [Parameters<typeof selects>[0], boolean][] = [
        [{}, true],
        [undefined, false],
        [{ matchLabels: { app: "a" } }, true],
        [{ matchLabels: { app: "b" } }, false],
        [{ matchExpressions: [{ key: "tier", operator: "In", values: ["web"] }] }, true],
        [{ matchExpressions: [{ key: "tier", operator: "NotIn", values: ["web"] }] }, false],
        [{ matchExpressions: [{ key: "zone", operator: "NotIn", values: ["x"] }] }, true],
        [{ matchExpressions: [{ key: "app", operator: "Exists" }] }, true],
        [{ matchExpressions: [{ key: "app", operator: "DoesNotExist" }] }, false],
        [{ matchExpressions: [{ key: "app", operator: "Gt" }] }, false],
      ];
      assert.deepEqual(
        cases.map(([selector]) => selects(selector, labels)),
        cases.map(([, expected]) => expected),
      );
    });
  });

  describe("default-deny-network-policy", () => {
    it("a namespace without its default-deny policy fires", async () => {
      const manifests = await production();
      const without = manifests.filter(
        (m) =>
          !(
            m.kind === "NetworkPolicy" &&
            m.metadata.name === "default-deny" &&
            m.metadata.namespace === "kgents-ephemeral"
          ),
      );
      assert.deepEqual(defaultDenyNetworkPolicies(without), [
        `Namespace kgents-ephemeral has no default-deny NetworkPolicy ${DEFAULT_DENY}`,
      ]);
    });

    it("a policy that selects some pods, misses a direction or has a rule is no default deny", async () => {
      const manifests = await production();
      const deny = one(manifests, "NetworkPolicy", "default-deny", "agent-society");
      const rest = manifests.filter((m) => m !== deny);
      const message = `Namespace agent-society has no default-deny NetworkPolicy ${DEFAULT_DENY}`;
      const broken = [
        (p: ReturnType<typeof copy>) => (p.spec.podSelector = { matchLabels: { a: "b" } }),
        (p: ReturnType<typeof copy>) => (p.spec.policyTypes = ["Ingress"]),
        (p: ReturnType<typeof copy>) => (p.spec.ingress = [{}]),
        (p: ReturnType<typeof copy>) => (p.spec.egress = [{ ports: [{ port: 53 }] }]),
        (p: ReturnType<typeof copy>) => delete p.spec.podSelector,
      ];
      for (const breakIt of broken) {
        const policy = copy(deny);
        breakIt(policy);
        assert.deepEqual(defaultDenyNetworkPolicies([...rest, policy]), [message]);
      }
      const explicitEmpty = copy(deny);
      explicitEmpty.spec.ingress = [];
      explicitEmpty.spec.egress = [];
      assert.deepEqual(defaultDenyNetworkPolicies([...rest, explicitEmpty]), []);
    });
  });

  describe("the CrossGuard wrappers (policy/pack.ts)", () => {
    const resourceArgs = (type: string, props: object) =>
      ({ type, props, urn: `urn:pulumi:s::p::${type}::x`, name: "x" }) as ResourceValidationArgs;

    it("six mandatory policies: four per resource, two per stack", () => {
      assert.deepEqual(
        policies.map((p) => [
          p.name,
          p.enforcementLevel,
          "validateStack" in p ? "stack" : "resource",
        ]),
        [
          ["restricted-security-context", "mandatory", "resource"],
          ["requests-and-limits", "mandatory", "resource"],
          ["probes", "mandatory", "resource"],
          ["immutable-image-tags", "mandatory", "resource"],
          ["pod-disruption-budgets", "mandatory", "stack"],
          ["default-deny-network-policy", "mandatory", "stack"],
        ],
      );
    });

    it("resource policies report on kubernetes:* resources and ignore the rest", async () => {
      const d = await societyDeployment();
      delete d.spec.template.spec.containers[0].resources;
      const policy = policies.find(
        (p) => p.name === "requests-and-limits",
      ) as ResourceValidationPolicy;
      const validate = policy.validateResource as (
        a: ResourceValidationArgs,
        r: (m: string) => void,
      ) => void;
      const reported: string[] = [];
      validate(resourceArgs("kubernetes:apps/v1:Deployment", d), (m) => reported.push(m));
      validate(resourceArgs("agent-platform:index:AgentSociety", d), (m) => reported.push(m));
      validate(resourceArgs("kubernetes:apps/v1:Deployment", {}), (m) => reported.push(m));
      assert.deepEqual(reported, [
        `${SOCIETY_CONTAINER} must set ` +
          "resources.requests.cpu, resources.requests.memory, resources.requests.ephemeral-storage, resources.limits.cpu, resources.limits.memory, resources.limits.ephemeral-storage",
      ]);
    });

    it("stack policies see every Kubernetes object of the stack", async () => {
      const manifests = await production();
      const policy = policies.find(
        (p) => p.name === "default-deny-network-policy",
      ) as StackValidationPolicy;
      const asResource = (type: string, props: object) =>
        ({ type, props, urn: `urn:${type}`, name: "x" }) as unknown as PolicyResource;
      const resources = manifests
        .filter((m) => !(m.kind === "NetworkPolicy" && m.metadata.namespace === "tigerbeetle"))
        .map((m) => asResource(`kubernetes:${m.apiVersion}:${m.kind}`, m));
      const reported: string[] = [];
      const report = (m: string) => reported.push(m);
      await policy.validateStack({ resources } as StackValidationArgs, report);
      // A namespace-like object of another provider is not a Kubernetes object.
      await policy.validateStack(
        {
          resources: [asResource("other:index:Namespace", { kind: "Namespace", apiVersion: "v1" })],
        } as StackValidationArgs,
        report,
      );
      assert.deepEqual(reported, [
        `Namespace tigerbeetle has no default-deny NetworkPolicy ${DEFAULT_DENY}`,
      ]);
    });
  });
});
