import { strict as assert } from "assert";
import type { BudgetFigures } from "../../kgents/budget";
import {
  LiveBudgetPlan,
  agentOfObject,
  budgetEvents,
  budgetFlag,
  eventLine,
  eventLines,
  liveBudgetReport,
  liveBudgetText,
  podAmounts,
  quotaRefusal,
} from "../../scripts/live-budget";
import { KubeEvent, NamespaceObjects, Pod } from "../../scripts/live-objects";
import { BudgetEvent, liveBudgetSchema } from "../../scripts/report-schemas";
import { reportErrors } from "./report-validation";

/** The controller's message when the quota refuses a pod, as the local cluster wrote it. */
const REFUSAL =
  'pods "b-gent-staging-5944496c69-4sf8z" is forbidden: exceeded quota: kgents-budget, requested: limits.ephemeral-storage=3Gi,limits.memory=640Mi,requests.memory=384Mi, used: limits.ephemeral-storage=30Gi,limits.memory=6Gi,requests.memory=3968Mi, limited: limits.ephemeral-storage=32Gi,limits.memory=6Gi,requests.memory=4Gi';

const AGENTS = [
  { name: "B-gent", genus: "B", deployment: "b-gent-staging" },
  { name: "Psi-gent", genus: "Psi", deployment: "psi-gent-staging" },
];

function pod(name: string, genus: string | undefined, cpu: string, extra: Partial<Pod> = {}): Pod {
  return {
    kind: "Pod",
    metadata: { name, labels: genus === undefined ? {} : { "kgents.io/genus": genus } },
    spec: {
      containers: [
        {
          name: "logic",
          resources: { requests: { cpu, memory: "256Mi" }, limits: { cpu, memory: "256Mi" } },
        },
      ],
    },
    status: { phase: "Running" },
    ...extra,
  };
}

function event(
  reason: string,
  kind: string,
  name: string,
  message: string,
  time: string,
  count = 1,
): KubeEvent {
  return {
    kind: "Event",
    metadata: { name: `${name}.1`, creationTimestamp: time },
    involvedObject: { kind, name },
    reason,
    message,
    count,
    lastTimestamp: time,
  };
}

describe("scripts/live-budget: live budgets", () => {
  it("charges a pod what the quota charges it: its containers, or its largest init container", () => {
    const amounts = podAmounts({
      kind: "Pod",
      metadata: { name: "p" },
      spec: {
        containers: [
          {
            name: "a",
            resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "200m" } },
          },
          { name: "b", resources: { requests: { cpu: "50m", "ephemeral-storage": "1Gi" } } },
        ],
        initContainers: [
          { name: "init", resources: { requests: { cpu: "500m", memory: "64Mi" } } },
        ],
      },
    });
    assert.deepEqual(Object.fromEntries(Object.entries(amounts).map(([k, v]) => [k, String(v)])), {
      "requests.cpu": String(500_000_000n),
      "requests.memory": String(128n * 1024n * 1024n * 1_000_000_000n),
      "requests.ephemeral-storage": String(1024n ** 3n * 1_000_000_000n),
      "limits.cpu": String(200_000_000n),
      "limits.memory": "0",
      "limits.ephemeral-storage": "0",
      pods: "1",
    });
  });

  it("flags over, full and near at the threshold, exactly", () => {
    assert.deepEqual(
      [
        [81n, 80n],
        [80n, 80n],
        [64n, 80n],
        [63n, 80n],
        [0n, 0n],
        [0n, 10n],
      ].map(([used, hard]) => budgetFlag(used, hard, 80)),
      ["over", "full", "near", "ok", "full", "ok"],
    );
    assert.equal(budgetFlag(99n, 100n, 100), "ok");
    assert.equal(budgetFlag(1n, 100n, 1), "near");
  });

  it("reads the quota and figures of an exceeded-quota refusal", () => {
    assert.deepEqual(quotaRefusal(REFUSAL), {
      quota: "kgents-budget",
      exceeded: [
        { dimension: "limits.ephemeral-storage", requested: "3Gi", used: "30Gi", limited: "32Gi" },
        { dimension: "limits.memory", requested: "640Mi", used: "6Gi", limited: "6Gi" },
        { dimension: "requests.memory", requested: "384Mi", used: "3968Mi", limited: "4Gi" },
      ],
    });
    assert.equal(
      quotaRefusal('pods "x" is forbidden: violates PodSecurity "restricted:latest"'),
      undefined,
    );
  });

  it("finds an object's agent by its genus label, else by its name", () => {
    assert.equal(agentOfObject(AGENTS, "anything", { "kgents.io/genus": "Psi" })?.name, "Psi-gent");
    assert.equal(agentOfObject(AGENTS, "b-gent-staging-5944496c69")?.name, "B-gent");
    assert.equal(agentOfObject(AGENTS, "b-gent-stagingx-1"), undefined);
    assert.equal(agentOfObject(AGENTS, "run-time-agent-1", {}), undefined);
  });

  it("keeps only quota refusals and evictions, newest first, each with its agent", () => {
    const evicting = pod("psi-gent-staging-7-x", "Psi", "100m", {
      status: {
        phase: "Running",
        conditions: [
          {
            type: "DisruptionTarget",
            status: "True",
            reason: "EvictionByEvictionAPI",
            message: "Eviction API: evicting",
            lastTransitionTime: "2026-12-01T22:30:00Z",
          },
        ],
      },
    });
    const events = budgetEvents(
      {
        pods: [evicting],
        replicaSets: [
          { kind: "ReplicaSet", metadata: { name: "rs-1", labels: { "kgents.io/genus": "B" } } },
        ],
        events: [
          event(
            "SuccessfulCreate",
            "ReplicaSet",
            "rs-1",
            "Created pod: rs-1-abc",
            "2026-12-01T22:10:00Z",
          ),
          event(
            "FailedCreate",
            "ReplicaSet",
            "rs-1",
            `Error creating: ${REFUSAL}`,
            "2026-12-01T22:21:59Z",
            3,
          ),
          event(
            "FailedCreate",
            "ReplicaSet",
            "rs-1",
            'Error creating: pods "x" is forbidden: violates PodSecurity',
            "2026-12-01T22:22:00Z",
          ),
          event(
            "Evicted",
            "Pod",
            "b-gent-staging-1-y",
            "The node was low on resource: memory.",
            "2026-12-01T22:25:00Z",
          ),
          event(
            "Preempted",
            "Pod",
            "other-pod",
            "Preempted by pod 1234 on node node-a",
            "2026-12-01T22:05:00Z",
          ),
        ],
      },
      AGENTS,
    );
    assert.deepEqual(
      events.map((e) => [
        e.time,
        e.kind,
        e.reason,
        e.object,
        e.agent,
        e.count,
        e.quota,
        e.exceeded.length,
      ]),
      [
        [
          "2026-12-01T22:30:00Z",
          "eviction",
          "EvictionByEvictionAPI",
          "Pod/psi-gent-staging-7-x",
          "Psi-gent",
          1,
          null,
          0,
        ],
        [
          "2026-12-01T22:25:00Z",
          "eviction",
          "Evicted",
          "Pod/b-gent-staging-1-y",
          "B-gent",
          1,
          null,
          0,
        ],
        [
          "2026-12-01T22:21:59Z",
          "quota",
          "FailedCreate",
          "ReplicaSet/rs-1",
          "B-gent",
          3,
          "kgents-budget",
          3,
        ],
        ["2026-12-01T22:05:00Z", "eviction", "Preempted", "Pod/other-pod", null, 1, null, 0],
      ],
    );
    assert.equal(
      eventLine(events[2]),
      "2026-12-01T22:21:59Z  ReplicaSet/rs-1 (B-gent)  FailedCreate x3: exceeded quota kgents-budget: limits.ephemeral-storage 3Gi requested, 30Gi used, 32Gi limited; limits.memory 640Mi requested, 6Gi used, 6Gi limited; requests.memory 384Mi requested, 3968Mi used, 4Gi limited",
    );
    assert.equal(
      eventLine(events[1]),
      "2026-12-01T22:25:00Z  Pod/b-gent-staging-1-y (B-gent)  Evicted: The node was low on resource: memory.",
    );
  });

  describe("the report", () => {
    const planned: BudgetFigures = {
      namespace: "kgents-agents-staging",
      budget: {
        "requests.cpu": "1",
        "requests.memory": "1Gi",
        "requests.ephemeral-storage": "2Gi",
        "limits.cpu": "1",
        "limits.memory": "1Gi",
        "limits.ephemeral-storage": "8Gi",
        pods: "4",
      },
      used: {
        "requests.cpu": "400m",
        "requests.memory": "1Gi",
        "requests.ephemeral-storage": "0",
        "limits.cpu": "400m",
        "limits.memory": "1Gi",
        "limits.ephemeral-storage": "0",
        pods: "4",
      },
      free: {
        "requests.cpu": "600m",
        "requests.memory": "0",
        "requests.ephemeral-storage": "2Gi",
        "limits.cpu": "600m",
        "limits.memory": "0",
        "limits.ephemeral-storage": "8Gi",
        pods: "0",
      },
      agents: [
        {
          name: "B-gent",
          genus: "B",
          replicas: 1,
          surge: 1,
          pods: 2,
          requests: { cpu: "200m", memory: "512Mi", "ephemeral-storage": "0" },
          limits: { cpu: "200m", memory: "512Mi", "ephemeral-storage": "0" },
        },
        {
          name: "Psi-gent",
          genus: "Psi",
          replicas: 1,
          surge: 1,
          pods: 2,
          requests: { cpu: "200m", memory: "512Mi", "ephemeral-storage": "0" },
          limits: { cpu: "200m", memory: "512Mi", "ephemeral-storage": "0" },
        },
      ],
    };
    const plan: LiveBudgetPlan = {
      stack: "staging",
      cluster: 'kube context "local"',
      nearPercent: 80,
      planned: [planned],
      agents: AGENTS,
    };
    const objects: NamespaceObjects = {
      pods: [
        pod("b-gent-staging-1-a", "B", "100m"),
        pod("b-gent-staging-1-b", "B", "100m"),
        pod("b-gent-staging-1-c", "B", "100m"),
        pod("b-gent-staging-0-old", "B", "100m", { status: { phase: "Succeeded" } }),
        pod("runtime-agent", undefined, "50m"),
      ],
      deployments: [
        {
          kind: "Deployment",
          metadata: { name: "b-gent-staging" },
          spec: { replicas: 4, template: { spec: { containers: [] } } },
        },
      ],
      replicaSets: [],
      networkPolicies: [],
      quotas: [
        {
          kind: "ResourceQuota",
          metadata: { name: "kgents-budget" },
          status: {
            hard: {
              "requests.cpu": "1",
              "requests.memory": "1Gi",
              "requests.ephemeral-storage": "2Gi",
              pods: "4",
              "limits.cpu": "2",
              "limits.memory": "1Gi",
              "limits.ephemeral-storage": "8Gi",
            },
            used: {
              "requests.cpu": "350m",
              "requests.memory": "1Gi",
              "requests.ephemeral-storage": "1Gi",
              pods: "4",
              "limits.cpu": "350m",
              "limits.memory": "1Gi",
              "limits.ephemeral-storage": "7Gi",
            },
          },
        },
      ],
      events: [
        event(
          "FailedCreate",
          "ReplicaSet",
          "b-gent-staging-1",
          `Error creating: ${REFUSAL}`,
          "2026-12-01T22:21:59Z",
        ),
      ],
    };
    const report = liveBudgetReport(plan, new Map([["kgents-agents-staging", objects]]));
    const n = report.namespaces[0];

    it("puts the quota's used and hard beside the plan, each dimension flagged", () => {
      assert.deepEqual(
        n.dimensions.map(
          (d) =>
            `${d.dimension} ${d.used}/${d.hard} ${d.percent}% plan ${d.planned} of ${d.budget} ${d.flag}`,
        ),
        [
          "requests.cpu 350m/1 35% plan 400m of 1 ok",
          "requests.memory 1Gi/1Gi 100% plan 1Gi of 1Gi full",
          "requests.ephemeral-storage 1Gi/2Gi 50% plan 0 of 2Gi ok",
          "limits.cpu 350m/2 17% plan 400m of 1 ok",
          "limits.memory 1Gi/1Gi 100% plan 1Gi of 1Gi full",
          "limits.ephemeral-storage 7Gi/8Gi 87% plan 0 of 8Gi near",
          "pods 4/4 100% plan 4 of 4 full",
        ],
      );
    });

    it("counts each agent's live pods (not finished ones) against its planned share", () => {
      assert.deepEqual(
        n.agents.map((a) => [
          a.name,
          a.wanted,
          a.live.pods,
          a.live["requests.cpu"],
          a.planned.pods,
          a.flags,
        ]),
        [
          ["B-gent", 4, "3", "300m", "2", ["over-plan", "refused"]],
          ["Psi-gent", null, "0", "0", "2", ["missing"]],
        ],
      );
      assert.deepEqual([n.otherPods.pods, n.otherPods["requests.cpu"]], ["1", "50m"]);
      assert.deepEqual(
        n.events.map((e) => [e.agent, e.quota]),
        [["B-gent", "kgents-budget"]],
      );
    });

    it("follows the committed schema, and the schema can refuse a report", () => {
      assert.deepEqual(reportErrors("budget-live.schema.json", report), []);
      assert.equal(liveBudgetSchema.safeParse(report).success, true);
      const broken = structuredClone(report) as {
        namespaces: { dimensions: { flag: string }[] }[];
      };
      broken.namespaces[0].dimensions[0].flag = "fine";
      assert.deepEqual(reportErrors("budget-live.schema.json", broken), [
        "/namespaces/0/dimensions/0/flag must be equal to one of the allowed values",
      ]);
    });

    it("prints the tables and events, exactly", () => {
      assert.deepEqual(liveBudgetText(report).split("\n"), [
        'Stack "staging" on kube context "local": each quota as the cluster counts it, beside the plan (npm run budget); "near" from 80% (budgets.nearPercent). Agents\' figures are live/planned.',
        "",
        "kgents-agents-staging (ResourceQuota kgents-budget)",
        "",
        "dimension                   used  hard  used %  planned  flag",
        "requests.cpu                350m  1     35      400m",
        "requests.memory             1Gi   1Gi   100     1Gi      FULL: the next pod is refused",
        "requests.ephemeral-storage  1Gi   2Gi   50      0",
        "limits.cpu                  350m  2     17      400m     hard is not the plan's 1",
        "limits.memory               1Gi   1Gi   100     1Gi      FULL: the next pod is refused",
        "limits.ephemeral-storage    7Gi   8Gi   87      0        near",
        "pods                        4     4     100     4        FULL: the next pod is refused",
        "",
        "agent       wanted  pods  requests.cpu  requests.memory  requests.ephemeral-storage  limits.cpu  limits.memory  limits.ephemeral-storage  flags",
        "B-gent      4       3/2   300m/200m     768Mi/512Mi      0/0                         300m/200m   768Mi/512Mi    0/0                       over its plan, pods refused by the quota",
        "Psi-gent    -       0/2   0/200m        0/512Mi          0/0                         0/200m      0/512Mi        0/0                       no Deployment",
        "other pods  -       1     50m           256Mi            0                           50m         256Mi          0",
        "",
        "quota refusals and evictions, newest first (kept for an hour by default):",
        "  2026-12-01T22:21:59Z  ReplicaSet/b-gent-staging-1 (B-gent)  FailedCreate: exceeded quota kgents-budget: limits.ephemeral-storage 3Gi requested, 30Gi used, 32Gi limited; limits.memory 640Mi requested, 6Gi used, 6Gi limited; requests.memory 384Mi requested, 3968Mi used, 4Gi limited",
        "",
      ]);
    });

    it("never calls a dimension full that the quota does not bound", () => {
      const [quota] = objects.quotas;
      const hard = Object.fromEntries(
        Object.entries(quota.status!.hard!).filter(([d]) => d !== "limits.cpu"),
      );
      const unbounded = { ...objects, quotas: [{ ...quota, status: { ...quota.status, hard } }] };
      const [row] = liveBudgetReport(
        plan,
        new Map([["kgents-agents-staging", unbounded]]),
      ).namespaces[0].dimensions.filter((d) => d.dimension === "limits.cpu");
      assert.deepEqual(row, {
        dimension: "limits.cpu",
        used: "350m",
        hard: "none",
        percent: null,
        planned: "400m",
        budget: "1",
        flag: "ok",
      });
    });
  });

  it("prints one line per object, reason and figures: ten refusals of one ReplicaSet are one line", () => {
    const refusal = (time: string, count: number): BudgetEvent => ({
      time,
      kind: "quota",
      reason: "FailedCreate",
      object: "ReplicaSet/l-gent-staging-79d8879d54",
      agent: "L-gent",
      count,
      message: `pods "l-gent-staging-79d8879d54-${time.slice(-3, -1)}" is forbidden: exceeded quota`,
      quota: "kgents-budget",
      exceeded: [
        { dimension: "requests.memory", requested: "384Mi", used: "3968Mi", limited: "4Gi" },
      ],
    });
    const eviction: BudgetEvent = {
      time: "2026-12-01T22:56:27Z",
      kind: "eviction",
      reason: "Evicted",
      object: "Pod/b-gent-staging-1-y",
      agent: "B-gent",
      count: 1,
      message: "The node was low on resource: memory.",
      quota: null,
      exceeded: [],
    };
    const events = [
      refusal("2026-12-01T22:56:30Z", 2),
      eviction,
      ...[29, 28, 27, 26, 25].map((s) => refusal(`2026-12-01T22:56:${s}Z`, s === 25 ? 4 : 1)),
    ];
    assert.deepEqual(eventLines(events), [
      "2026-12-01T22:56:30Z  ReplicaSet/l-gent-staging-79d8879d54 (L-gent)  FailedCreate x10 since 2026-12-01T22:56:25Z: exceeded quota kgents-budget: requests.memory 384Mi requested, 3968Mi used, 4Gi limited",
      "2026-12-01T22:56:27Z  Pod/b-gent-staging-1-y (B-gent)  Evicted: The node was low on resource: memory.",
    ]);
    assert.deepEqual(eventLines([eviction]), [
      "2026-12-01T22:56:27Z  Pod/b-gent-staging-1-y (B-gent)  Evicted: The node was low on resource: memory.",
    ]);
  });
});
