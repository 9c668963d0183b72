import { strict as assert } from "assert";
import {
  agentsReport,
  agentsText,
  issueText,
  lastIssue,
  policyPeers,
} from "../../scripts/agent-status";
import { Deployment, NamespaceObjects, NetworkPolicy, Pod } from "../../scripts/live-objects";
import { reportErrors } from "./report-validation";

const AGENTS = [
  { name: "B-gent", genus: "B", deployment: "b-gent-staging" },
  { name: "F-gent", genus: "F", deployment: "f-gent-staging" },
  { name: "L-gent", genus: "L", deployment: "l-gent-staging" },
  { name: "U-gent", genus: "U", deployment: "u-gent-staging" },
];

const app = (name: string) => ({
  podSelector: { matchLabels: { "app.kubernetes.io/name": name } },
});

/** B-gent's NetworkPolicy as the stack writes it: DNS, its peers L and F; U calls it. */
const B_POLICY: NetworkPolicy = {
  kind: "NetworkPolicy",
  metadata: { name: "b-gent-staging" },
  spec: {
    ingress: [{ from: [app("u-gent")] }],
    egress: [
      { to: [{ podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }] },
      { to: [app("l-gent"), app("f-gent")] },
    ],
  },
};

function pod(name: string, genus: string, status: Pod["status"]): Pod {
  return {
    kind: "Pod",
    metadata: { name, labels: { "kgents.io/genus": genus } },
    spec: { containers: [{ name: "logic" }] },
    status,
  };
}

function deployment(
  name: string,
  replicas: number,
  ready: number,
  extra: Partial<Deployment["status"]> = {},
): Deployment {
  return {
    kind: "Deployment",
    metadata: { name },
    spec: {
      replicas,
      template: {
        spec: {
          containers: [
            { name: "logic", image: "ghcr.io/acme/kgents:1.0.0" },
            ...(name.startsWith("b-")
              ? [{ name: "d-gent", image: "ghcr.io/acme/kgents:1.0.0" }]
              : []),
          ],
        },
      },
    },
    status: { readyReplicas: ready, updatedReplicas: replicas, ...extra },
  };
}

const OOM = pod("f-gent-staging-1-a", "F", {
  phase: "Running",
  containerStatuses: [
    {
      name: "logic",
      restartCount: 2,
      state: {},
      lastState: {
        terminated: { reason: "OOMKilled", exitCode: 137, finishedAt: "2026-12-01T22:25:00Z" },
      },
    },
  ],
});
const CRASHING = pod("f-gent-staging-1-b", "F", {
  phase: "Running",
  containerStatuses: [
    {
      name: "logic",
      restartCount: 5,
      state: {
        waiting: {
          reason: "CrashLoopBackOff",
          message: "back-off 5m0s restarting failed container=logic",
        },
      },
      lastState: {
        terminated: { reason: "Error", exitCode: 1, finishedAt: "2026-12-01T22:40:00Z" },
      },
    },
  ],
});
const EVICTED = pod("l-gent-staging-1-c", "L", {
  phase: "Failed",
  reason: "Evicted",
  message: "The node was low on resource: ephemeral-storage.",
});
const PENDING = pod("l-gent-staging-1-d", "L", {
  phase: "Pending",
  conditions: [
    {
      type: "PodScheduled",
      status: "False",
      reason: "Unschedulable",
      message: "0/6 nodes are available: 6 Insufficient memory.",
      lastTransitionTime: "2026-12-01T22:30:00Z",
    },
  ],
});

describe("scripts/agent-status: agents as they run", () => {
  it("reads an agent's peers from its NetworkPolicy, by its peers' pod labels", () => {
    assert.deepEqual(policyPeers(B_POLICY, AGENTS), {
      to: ["F", "L"],
      from: ["U"],
      internet: false,
    });
    const u: NetworkPolicy = {
      kind: "NetworkPolicy",
      metadata: { name: "u-gent-staging" },
      spec: {
        ingress: [],
        egress: [
          { to: [app("b-gent")] },
          { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }, { ipBlock: { cidr: "::/0" } }] },
        ],
      },
    };
    assert.deepEqual(policyPeers(u, AGENTS), { to: ["B"], from: [], internet: true });
    assert.deepEqual(policyPeers(undefined, AGENTS), { to: [], from: [], internet: false });
  });

  it("names the last restart or failure: what is wrong now first, else the newest", () => {
    assert.deepEqual(lastIssue([OOM], deployment("f-gent-staging", 1, 1)), {
      time: "2026-12-01T22:25:00Z",
      object: "Pod/f-gent-staging-1-a",
      reason: "OOMKilled",
      message: "logic: terminated (exit code 137)",
      restarts: 2,
    });
    assert.deepEqual(lastIssue([OOM, CRASHING], deployment("f-gent-staging", 2, 1)), {
      time: null,
      object: "Pod/f-gent-staging-1-b",
      reason: "CrashLoopBackOff",
      message: "logic: back-off 5m0s restarting failed container=logic",
      restarts: 7,
    });
    assert.equal(lastIssue([EVICTED], deployment("l-gent-staging", 1, 0))?.reason, "Evicted");
    assert.equal(
      issueText(lastIssue([PENDING], deployment("l-gent-staging", 1, 0))),
      "Unschedulable at 2026-12-01T22:30:00Z (Pod/l-gent-staging-1-d): 0/6 nodes are available: 6 Insufficient memory.",
    );
    const refused = deployment("b-gent-staging", 8, 6, {
      conditions: [
        {
          type: "ReplicaFailure",
          status: "True",
          reason: "FailedCreate",
          message: 'pods "b-gent-staging-1-x" is forbidden: exceeded quota: kgents-budget',
          lastTransitionTime: "2026-12-01T22:21:54Z",
        },
      ],
    });
    assert.equal(
      issueText(lastIssue([], refused)),
      'FailedCreate at 2026-12-01T22:21:54Z (Deployment/b-gent-staging): pods "b-gent-staging-1-x" is forbidden: exceeded quota: kgents-budget',
    );
    const healthy = pod("b-gent-staging-1-y", "B", {
      phase: "Running",
      containerStatuses: [
        { name: "logic", restartCount: 0, state: { running: {} } as never, lastState: {} },
      ],
    });
    assert.equal(lastIssue([healthy], deployment("b-gent-staging", 1, 1)), null);
  });

  it("reports every agent of the stack, a missing Deployment included, as the schema says", () => {
    const objects: NamespaceObjects = {
      pods: [OOM],
      deployments: [
        deployment("b-gent-staging", 1, 1),
        deployment("f-gent-staging", 1, 1),
        deployment("l-gent-staging", 2, 2),
      ],
      networkPolicies: [B_POLICY],
      replicaSets: [],
      quotas: [],
      events: [],
    };
    const report = agentsReport(
      { stack: "staging", cluster: 'kube context "local"', namespace: "kgents-agents-staging" },
      AGENTS,
      objects,
    );
    assert.deepEqual(reportErrors("agents.schema.json", report), []);
    assert.deepEqual(
      report.agents.map((a) => [
        a.name,
        a.desired,
        a.ready,
        a.image,
        a.sidecar,
        a.issue?.reason ?? null,
      ]),
      [
        ["B-gent", 1, 1, "ghcr.io/acme/kgents:1.0.0", "ghcr.io/acme/kgents:1.0.0", null],
        ["F-gent", 1, 1, "ghcr.io/acme/kgents:1.0.0", null, "OOMKilled"],
        ["L-gent", 2, 2, "ghcr.io/acme/kgents:1.0.0", null, null],
        ["U-gent", null, 0, null, null, "Missing"],
      ],
    );
    assert.deepEqual(agentsText(report).split("\n"), [
      'Stack "staging" on kube context "local", namespace kgents-agents-staging: replicas from each Deployment, peers from each NetworkPolicy',
      "",
      "agent   genus  desired  ready  image                      sidecar                    calls  called by  last restart or failure",
      "B-gent  B      1        1      ghcr.io/acme/kgents:1.0.0  ghcr.io/acme/kgents:1.0.0  F, L   U          -",
      "F-gent  F      1        1      ghcr.io/acme/kgents:1.0.0  -                          -      -          OOMKilled at 2026-12-01T22:25:00Z (Pod/f-gent-staging-1-a, 2 restarts): logic: terminated (exit code 137)",
      "L-gent  L      2        2      ghcr.io/acme/kgents:1.0.0  -                          -      -          -",
      "U-gent  U      -        0      -                          -                          -      -          Missing (Deployment/u-gent-staging): the stack's Deployment is not in the cluster (npm run stack -- drift)",
    ]);
    const broken = { ...report, agents: [{ ...report.agents[0], ready: -1 }] };
    assert.deepEqual(reportErrors("agents.schema.json", broken), ["/agents/0/ready must be >= 0"]);
  });
});
