import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { CLUSTER_MANAGERS, driftReport, driftText, unownedFields } from "../../scripts/drift";
import { reportErrors } from "./report-validation";

/**
 * The engine's events of a real `npm run stack -- drift --stack staging` on the local cluster,
 * trimmed to the objects below (status and unrelated objects left out), after these hand edits:
 * `kubectl scale` of agent-society to 3; `kubectl label --overwrite` of b-gent's NetworkPolicy
 * (app.kubernetes.io/part-of=edited) and a new label team=payments on it; `kubectl annotate` of
 * f-gent's (reviewed-by=ops); `kubectl set resources` of TigerBeetle replica 1 (limits.cpu 3);
 * `kubectl delete` of u-gent's Service. Unchanged: u-gent's NetworkPolicy and TigerBeetle's first
 * claim, whose annotations and volume the cluster's controllers own.
 */
const EVENTS = JSON.parse(
  fs.readFileSync(path.join(__dirname, "fixtures", "drift-events.json"), "utf8"),
) as EngineEvent[];

describe("scripts/drift: drift by object and field", () => {
  const report = driftReport("staging", EVENTS);

  it("names every object that differs, with each field, its values and who set it", () => {
    assert.equal(report.drifted, true);
    assert.equal(report.resources, 7);
    assert.deepEqual(
      report.objects.map((o) => ({
        object: `${o.kind} ${o.namespace}/${o.name} ${o.change}`,
        fields: o.fields.map((f) => [f.path, f.live, f.stack, f.origin, f.setBy, f.restoredByUp]),
      })),
      [
        {
          object: "Deployment agent-society-staging/agent-society-staging update",
          fields: [["spec.replicas", 3, 1, "cluster", ["kubectl"], true]],
        },
        {
          object: "NetworkPolicy kgents-agents-staging/b-gent-staging update",
          fields: [
            [
              'metadata.labels["app.kubernetes.io/part-of"]',
              "edited",
              "agent-runtime",
              "cluster",
              ["kubectl-label"],
              true,
            ],
            ["metadata.labels.team", "payments", undefined, "unowned", ["kubectl-label"], true],
          ],
        },
        {
          object: "NetworkPolicy kgents-agents-staging/f-gent-staging none",
          fields: [
            [
              'metadata.annotations["reviewed-by"]',
              "ops",
              undefined,
              "unowned",
              ["kubectl-annotate"],
              false,
            ],
          ],
        },
        { object: "Service kgents-agents-staging/u-gent-staging create", fields: [] },
        {
          object: "StatefulSet tigerbeetle-staging/tigerbeetle-1-staging update",
          fields: [
            [
              "spec.template.spec.containers[0].resources.limits.cpu",
              "3",
              "2",
              "cluster",
              ["kubectl-set"],
              true,
            ],
          ],
        },
      ],
    );
    assert.deepEqual(reportErrors("drift.schema.json", report), []);
  });

  it("prints the report: the fields, what up does, how to remove what up leaves, the ledger's note", () => {
    assert.deepEqual(driftText(report).split("\n"), [
      'Drift in stack "staging": 5 of the 7 objects read from the cluster differ from the stack.',
      "",
      "Deployment agent-society-staging/agent-society-staging",
      "  spec.replicas: 3 in the cluster, 1 in the stack (set by kubectl); edited in the cluster: up --refresh restores the stack's value",
      "",
      "NetworkPolicy kgents-agents-staging/b-gent-staging",
      '  metadata.labels["app.kubernetes.io/part-of"]: "edited" in the cluster, "agent-runtime" in the stack (set by kubectl-label); edited in the cluster: up --refresh restores the stack\'s value',
      '  metadata.labels.team: "payments" (set by kubectl-label); not set by the stack: up --refresh removes it as it updates the object',
      "",
      "NetworkPolicy kgents-agents-staging/f-gent-staging",
      '  metadata.annotations["reviewed-by"]: "ops" (set by kubectl-annotate); not set by the stack, and up changes nothing else here, so it stays; to remove it: kubectl annotate networkpolicy f-gent-staging -n kgents-agents-staging reviewed-by-',
      "",
      "Service kgents-agents-staging/u-gent-staging: not in the cluster (up creates it again)",
      "",
      "StatefulSet tigerbeetle-staging/tigerbeetle-1-staging",
      '  spec.template.spec.containers[0].resources.limits.cpu: "3" in the cluster, "2" in the stack (set by kubectl-set); edited in the cluster: up --refresh restores the stack\'s value',
      "",
      'TigerBeetle, the ledger, is among them: resolve its drift as README "TigerBeetle drift" says, without touching its data (never delete its StatefulSets or claims)',
    ]);
  });

  it("tells a change in the program from an edit in the cluster", () => {
    // The same preview, as if the refresh had found replica 1 as the last update left it.
    const events = structuredClone(EVENTS) as unknown as {
      resOutputsEvent?: {
        metadata: {
          op: string;
          type: string;
          old: { outputs: unknown };
          new: { outputs: unknown };
        };
      };
    }[];
    const sts = events.find(
      (e) => e.resOutputsEvent?.metadata.type === "kubernetes:apps/v1:StatefulSet",
    )!.resOutputsEvent!.metadata;
    sts.old.outputs = structuredClone(sts.new.outputs);
    const field = driftReport("staging", events as unknown as EngineEvent[]).objects.find(
      (o) => o.kind === "StatefulSet",
    )!.fields[0];
    assert.deepEqual([field.origin, field.restoredByUp], ["program", true]);
  });

  it("never counts the cluster's own managers, and never shows a secret", () => {
    assert.deepEqual(CLUSTER_MANAGERS, [
      "kube-controller-manager",
      "kube-scheduler",
      "kube-apiserver",
      "kubelet",
      "kwok",
    ]);
    const secret = {
      kind: "Secret",
      metadata: {
        name: "s",
        managedFields: [
          {
            manager: "pulumi-kubernetes-1234",
            operation: "Apply",
            fieldsV1: { "f:data": { "f:KEY": {} } },
          },
          {
            manager: "kubectl-edit",
            operation: "Update",
            fieldsV1: { "f:data": { "f:EXTRA": {} } },
          },
          {
            manager: "kube-controller-manager",
            operation: "Update",
            fieldsV1: { "f:metadata": { "f:annotations": { "f:x": {} } } },
          },
          {
            manager: "kubectl",
            operation: "Update",
            subresource: "status",
            fieldsV1: { "f:status": { "f:y": {} } },
          },
        ],
        annotations: { x: "1" },
      },
      data: { KEY: "c2VjcmV0", EXTRA: "c2VjcmV0Mg==" },
      status: { y: 1 },
    };
    assert.deepEqual(unownedFields(secret, { data: { KEY: "[secret]" } }, true), [
      {
        path: "data.EXTRA",
        live: "[secret]",
        origin: "unowned",
        setBy: ["kubectl-edit"],
        restoredByUp: true,
      },
    ]);
  });

  it("shows a value the engine marked secret as [secret], whatever the kind", () => {
    // As the engine's events carry a secret Output's value: wrapped in the SDK's signature.
    const wrapped = {
      [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig,
      value: "s3cr3t",
    };
    const config = {
      kind: "ConfigMap",
      metadata: {
        name: "c",
        managedFields: [
          {
            manager: "kubectl-edit",
            operation: "Update",
            fieldsV1: { "f:data": { "f:TOKEN": {} } },
          },
        ],
      },
      data: { TOKEN: wrapped },
    };
    assert.deepEqual(unownedFields(config, {}, false), [
      {
        path: "data.TOKEN",
        live: "[secret]",
        origin: "unowned",
        setBy: ["kubectl-edit"],
        restoredByUp: false,
      },
    ]);
  });

  it("reports no drift when the preview plans nothing and no one else set a field", () => {
    const quiet = EVENTS.filter(
      (e) =>
        e.resourcePreEvent === undefined &&
        !["b-gent-staging", "f-gent-staging"].some((n) =>
          e.resOutputsEvent?.metadata.urn.endsWith(n),
        ),
    );
    const none = driftReport("staging", quiet);
    assert.deepEqual([none.drifted, none.objects, none.resources], [false, [], 5]);
    assert.equal(
      driftText(none),
      'No drift in stack "staging": the 5 objects read from the cluster match the stack.',
    );
  });
});
