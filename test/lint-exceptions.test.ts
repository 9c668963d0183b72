import { strict as assert } from "assert";
import { Finding, RenderedObject, ScoredObject, findingsOf, uncovered } from "../policy/exceptions";
import { Manifest } from "../scripts/render-lib";
import { at, one, render } from "./harness";

/** A finding of `check` on an object, as kube-score would report it. */
function finding(check: string, object: Manifest, container?: string): Finding {
  return {
    check,
    kind: object.kind,
    namespace: object.metadata.namespace ?? "",
    name: object.metadata.name,
    ...(container === undefined ? {} : { container }),
    summary: "",
    object: object as RenderedObject,
  };
}

/** A copy of a Deployment with its first container changed. */
function withContainer(object: Manifest, change: Record<string, unknown>): Manifest {
  const copy = structuredClone(object);
  Object.assign(at(copy, "spec", "template", "spec", "containers", 0), change);
  return copy;
}

describe("the linter's exceptions (policy/exceptions.ts)", () => {
  let production: Manifest[];
  let staging: Manifest[];
  before(async () => {
    production = (await render("production")).manifests;
    staging = (await render("staging")).manifests;
  });

  it("cover the findings the README's table explains", () => {
    const society = one(production, "Deployment", "agent-society");
    const tigerbeetle = one(production, "StatefulSet", "tigerbeetle-0");
    const findings = [
      finding("container-security-context-user-group-id", society, "agent-society"),
      finding("deployment-replicas", one(production, "Deployment", "b-gent")),
      finding("deployment-replicas", one(staging, "Deployment", "connector-staging")),
      finding("pod-probes-identical", society),
      finding("pod-probes-identical", tigerbeetle),
      finding("container-image-pull-policy", tigerbeetle, "data-file"),
      finding("container-image-pull-policy", society, "agent-society"),
      finding(
        "networkpolicy-targets-pod",
        one(production, "NetworkPolicy", "default-deny", "kgents-ephemeral"),
      ),
    ];
    assert.deepEqual(uncovered(findings), []);
  });

  it("leave every other finding a defect", () => {
    const society = one(production, "Deployment", "agent-society");
    const stagingSociety = one(staging, "Deployment", "agent-society-staging");
    // The same probe for both, with no more patience for liveness than for readiness.
    const impatient = withContainer(society, {
      livenessProbe: { httpGet: { path: "/health", port: "http" }, periodSeconds: 10 },
      readinessProbe: { httpGet: { path: "/health", port: "http" }, periodSeconds: 10 },
    });
    const findings = [
      finding("container-resources", society, "agent-society"),
      finding("deployment-replicas", {
        ...society,
        spec: { ...(society.spec as object), replicas: 1 },
      }),
      finding("pod-probes-identical", impatient),
      finding("container-image-pull-policy", stagingSociety, "agent-society"),
      finding(
        "networkpolicy-targets-pod",
        one(production, "NetworkPolicy", "default-deny", "kgents-agents"),
      ),
    ];
    assert.deepEqual(
      uncovered(findings).map((f) => `${f.check} ${f.namespace}/${f.name}`),
      [
        "container-resources agent-society/agent-society",
        "deployment-replicas agent-society/agent-society",
        "pod-probes-identical agent-society/agent-society",
        "container-image-pull-policy agent-society-staging/agent-society-staging",
        "networkpolicy-targets-pod kgents-agents/default-deny",
      ],
    );
  });

  it("read kube-score's JSON: one finding per comment of each failed check", () => {
    const society = one(production, "Deployment", "agent-society");
    const scored: ScoredObject[] = [
      {
        type_meta: { kind: "Deployment" },
        object_meta: { name: "agent-society", namespace: "agent-society" },
        checks: [
          { check: { id: "stable-version" }, grade: 10, skipped: false, comments: null },
          { check: { id: "container-ports-check" }, grade: 1, skipped: true, comments: null },
          {
            check: { id: "container-security-context-user-group-id" },
            grade: 1,
            skipped: false,
            comments: [
              { path: "agent-society", summary: "The container is running with a low user ID" },
              { path: "agent-society", summary: "The container running with a low group ID" },
            ],
          },
          {
            check: { id: "pod-probes-identical" },
            grade: 1,
            skipped: false,
            comments: [
              { path: "", summary: "Container has the same readiness and liveness probe" },
            ],
          },
        ],
      },
    ];
    const found = findingsOf(scored, [society as RenderedObject]);
    assert.deepEqual(
      found.map((f) => [f.check, f.container, f.summary]),
      [
        [
          "container-security-context-user-group-id",
          "agent-society",
          "The container is running with a low user ID",
        ],
        [
          "container-security-context-user-group-id",
          "agent-society",
          "The container running with a low group ID",
        ],
        ["pod-probes-identical", undefined, "Container has the same readiness and liveness probe"],
      ],
    );
    assert.equal(found[0].object, society);
    assert.throws(
      () => findingsOf(scored, []),
      /kube-score scored Deployment agent-society\/agent-society, which was not rendered/,
    );
  });
});
