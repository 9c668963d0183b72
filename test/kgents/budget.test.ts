import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { BudgetFigures } from "../../kgents/budget";
import { agentShare, budgetFigures, budgetProblems, computeBudgets } from "../../kgents/budget";
import type { PlannedAgent } from "../../kgents/plan";
import { formatCpu, formatMemory, parseQuantity } from "../../stacks/quantity";
import { buildTopology } from "../../stacks/topology";
import { CATALOG } from "../../stacks/catalog";
import { ROOT } from "../../scripts/stack-file";
import { at, editedObject, ofKind, one, render, renderError } from "../harness";

/** Budgets: exact quantities, surge, refusals by message, quotas, and `npm run budget`. */

const topology = buildTopology({ namespaceSuffix: "" }, CATALOG);

function agent(
  name: string,
  replicas: number,
  logic: [string, string, string, string],
  sidecar?: [string, string, string, string],
): PlannedAgent {
  // 100Mi/1Gi of ephemeral storage per container, which the budgets below leave room for.
  const resources = ([rc, rm, lc, lm]: [string, string, string, string]) => ({
    requests: { cpu: rc, memory: rm, "ephemeral-storage": rc === "0" ? "0" : "100Mi" },
    limits: { cpu: lc, memory: lm, "ephemeral-storage": lc === "0" ? "0" : "1Gi" },
  });
  return {
    spec: undefined as unknown as PlannedAgent["spec"],
    genus: name[0],
    name,
    replicas,
    image: "python:3.12-slim",
    resources: resources(logic),
    sidecar: {
      enabled: sidecar !== undefined,
      image: "python:3.12-slim",
      resources: resources(sidecar ?? ["0", "0", "0", "0"]),
    },
    peers: [],
    callers: [],
  };
}

const budget = (rc: string, rm: string, lc: string, lm: string, pods: number) => ({
  requests: { cpu: rc, memory: rm, "ephemeral-storage": pods === 0 ? "0" : "10Gi" },
  limits: { cpu: lc, memory: lm, "ephemeral-storage": pods === 0 ? "0" : "100Gi" },
  pods,
});
const NO_EPHEMERAL = budget("0", "0", "0", "0", 0);

describe("budgets: Kubernetes quantities", () => {
  it("parses 250m, 0.5, 1Gi, 512Mi and 1.5G exactly, and sums them", () => {
    const cpu = ["250m", "0.5", "1", "1500m"].map((q) => parseQuantity(q)!);
    assert.deepEqual(cpu, [250_000_000n, 500_000_000n, 1_000_000_000n, 1_500_000_000n]);
    assert.equal(formatCpu(cpu.reduce((a, b) => a + b)), "3250m");
    const memory = ["1Gi", "512Mi", "1.5G"].map((q) => parseQuantity(q)! / 1_000_000_000n);
    assert.deepEqual(memory, [1_073_741_824n, 536_870_912n, 1_500_000_000n]);
    assert.equal(formatMemory(parseQuantity("1Gi")! + parseQuantity("512Mi")!), "1536Mi");
    assert.equal(
      formatMemory(parseQuantity("1Gi")! + parseQuantity("512Mi")! + parseQuantity("1.5G")!),
      "3110612736",
    );
  });

  it("formats negative, zero and exact figures, rounding a part of a unit away from zero", () => {
    const q = (text: string) => parseQuantity(text)!;
    const cases: [bigint, string, string][] = [
      // [nano-units, as CPU, as memory]
      [0n, "0", "0"],
      [q("2"), "2", "2"],
      [q("1536Mi"), "1610612736", "1536Mi"],
      [-q("450m"), "-450m", "-1"],
      [-q("1920Mi"), "-2013265920", "-1920Mi"],
      [q("1m") / 2n, "1m", "1"],
      [-(q("1m") / 2n), "-1m", "-1"],
      [-(q("449m") + q("1m") / 2n), "-450m", "-1"],
      [-q("3"), "-3", "-3"],
    ];
    for (const [nano, cpu, memory] of cases) {
      assert.equal(formatCpu(nano), cpu, `cpu of ${nano}`);
      assert.equal(formatMemory(nano), memory, `memory of ${nano}`);
    }
  });

  it("an agent's share is (replicas + surge) × (logic + sidecar)", () => {
    const share = agentShare(
      agent("B-gent", 2, ["250m", "512Mi", "0.5", "1Gi"], ["50m", "128Mi", "100m", "256Mi"]),
    );
    assert.deepEqual([share.replicas, share.surge, share.pods], [2, 1, 3]);
    assert.deepEqual(
      [
        formatCpu(share.total["requests.cpu"]),
        formatMemory(share.total["requests.memory"]),
        formatCpu(share.total["limits.cpu"]),
        formatMemory(share.total["limits.memory"]),
        share.total.pods,
      ],
      ["900m", "1920Mi", "1800m", "3840Mi", 3n],
    );
    // No replicas, no rollout: nothing counted.
    assert.equal(agentShare(agent("Z-gent", 0, ["1", "1Gi", "1", "1Gi"])).pods, 0);
  });
});

describe("budgets: the check", () => {
  const agents = [
    agent("B-gent", 1, ["300m", "512Mi", "600m", "1Gi"]),
    agent("L-gent", 2, ["200m", "256Mi", "400m", "512Mi"]),
  ];
  // Without surge: 700m / 1Gi requests, 1400m / 2Gi limits, 3 pods. With it: 5 pods.
  const fitsWithoutSurge = budget("700m", "1Gi", "1400m", "2Gi", 3);

  it("counts the surge: a plan that fits only without it is refused, per dimension", () => {
    const budgets = computeBudgets(
      { agents: fitsWithoutSurge, ephemeral: NO_EPHEMERAL },
      agents,
      topology,
    );
    assert.deepEqual(
      budgetProblems(budgets, "production").map((p) => `${p.path}: ${p.message}`),
      [
        "agent-platform:budgets.agents.requests.cpu: namespace kgents-agents: the deployed agents need 1200m of requests.cpu (replicas plus rolling-update surge), over the budget of 700m by 500m; largest: B-gent 600m (1 replica + 1 surge = 2 pods × 300m), L-gent 600m (2 replicas + 1 surge = 3 pods × 200m). Lower replicas or resources (agents.overrides) or raise the budget",
        "agent-platform:budgets.agents.requests.memory: namespace kgents-agents: the deployed agents need 1792Mi of requests.memory (replicas plus rolling-update surge), over the budget of 1Gi by 768Mi; largest: B-gent 1Gi (1 replica + 1 surge = 2 pods × 512Mi), L-gent 768Mi (2 replicas + 1 surge = 3 pods × 256Mi). Lower replicas or resources (agents.overrides) or raise the budget",
        "agent-platform:budgets.agents.limits.cpu: namespace kgents-agents: the deployed agents need 2400m of limits.cpu (replicas plus rolling-update surge), over the budget of 1400m by 1; largest: B-gent 1200m (1 replica + 1 surge = 2 pods × 600m), L-gent 1200m (2 replicas + 1 surge = 3 pods × 400m). Lower replicas or resources (agents.overrides) or raise the budget",
        "agent-platform:budgets.agents.limits.memory: namespace kgents-agents: the deployed agents need 3584Mi of limits.memory (replicas plus rolling-update surge), over the budget of 2Gi by 1536Mi; largest: B-gent 2Gi (1 replica + 1 surge = 2 pods × 1Gi), L-gent 1536Mi (2 replicas + 1 surge = 3 pods × 512Mi). Lower replicas or resources (agents.overrides) or raise the budget",
        "agent-platform:budgets.agents.pods: namespace kgents-agents: the deployed agents need 5 of pods (replicas plus rolling-update surge), over the budget of 3 by 2; largest: L-gent 3 (2 replicas + 1 surge = 3 pods × 1), B-gent 2 (1 replica + 1 surge = 2 pods × 1). Lower replicas or resources (agents.overrides) or raise the budget",
      ],
    );
  });

  it("a budget that covers the surge exactly passes, and the figures add up", () => {
    const cpuMemory = budget("1200m", "1792Mi", "2400m", "3584Mi", 5);
    // 5 containers (B-gent's 2 pods × 2, L-gent's 3 × 1... as `agents` above): 100Mi and 1Gi each.
    const exact = {
      ...cpuMemory,
      requests: { ...cpuMemory.requests, "ephemeral-storage": "500Mi" },
      limits: { ...cpuMemory.limits, "ephemeral-storage": "5Gi" },
    };
    const budgets = computeBudgets({ agents: exact, ephemeral: NO_EPHEMERAL }, agents, topology);
    assert.deepEqual(budgetProblems(budgets, "production"), []);
    const [figures] = budgetFigures(budgets);
    assert.deepEqual(figures.used, {
      "requests.cpu": "1200m",
      "requests.memory": "1792Mi",
      "requests.ephemeral-storage": "500Mi",
      "limits.cpu": "2400m",
      "limits.memory": "3584Mi",
      "limits.ephemeral-storage": "5Gi",
      pods: "5",
    });
    assert.deepEqual(figures.free, {
      "requests.cpu": "0",
      "requests.memory": "0",
      "requests.ephemeral-storage": "0",
      "limits.cpu": "0",
      "limits.memory": "0",
      "limits.ephemeral-storage": "0",
      pods: "0",
    });
  });
});

describe("budgets: the stacks", () => {
  for (const stack of ["staging", "production"] as const) {
    it(`${stack}: a ResourceQuota per kgents namespace, equal to the budgets output`, async () => {
      const { manifests, outputs } = await render(stack);
      const budgets = outputs.budgets as BudgetFigures[];
      const quotas = ofKind(manifests, "ResourceQuota");
      assert.deepEqual(
        quotas.map((q) => [q.metadata.namespace, q.metadata.name]),
        budgets.map((b) => [b.namespace, "kgents-budget"]),
      );
      for (const b of budgets) {
        const quota = one(manifests, "ResourceQuota", "kgents-budget", b.namespace);
        assert.deepEqual(at(quota, "spec", "hard"), b.budget);
      }
    });
  }

  it("one agent's replicas past the budget stop the render, naming it", async () => {
    const error = await renderError("production", {
      agents: editedObject("production", "agents", (v) => {
        v.overrides = { L: { replicas: 8 } };
      }),
    });
    assert.deepEqual(
      error.problems.map((p) => p.path),
      [
        "agent-platform:budgets.agents.requests.cpu",
        "agent-platform:budgets.agents.requests.memory",
        "agent-platform:budgets.agents.limits.cpu",
        "agent-platform:budgets.agents.limits.memory",
        // 9 L-gent pods × (logic + sidecar) × 1536Mi, and the rest: over production's 40Gi.
        "agent-platform:budgets.agents.limits.ephemeral-storage",
      ],
    );
    assert.equal(
      error.message.split("\n").slice(0, 2).join("\n"),
      'The agents do not fit the budgets of stack "production" (5 problems); nothing was deployed:\n' +
        "  - Pulumi.production.yaml: agent-platform:budgets.agents.requests.cpu: namespace kgents-agents: the deployed agents need 2450m of requests.cpu (replicas plus rolling-update surge), over the budget of 2 by 450m; largest: L-gent 1350m (8 replicas + 1 surge = 9 pods × 150m), F-gent 400m (1 replica + 1 surge = 2 pods × 200m), B-gent 300m (1 replica + 1 surge = 2 pods × 150m). Lower replicas or resources (agents.overrides) or raise the budget",
    );
    for (const p of error.problems) assert.match(p.message, /largest: L-gent [^ ]+ \(8 replicas/);
  });

  it("`npm run budget` on a plan over budget prints the table, then the refusal, exits 1, and no stack trace", () => {
    const stack = "ci-over-budget";
    const file = path.join(ROOT, `Pulumi.${stack}.yaml`);
    fs.writeFileSync(
      file,
      "config:\n  agent-platform:environment: staging\n" +
        '  agent-platform:tigerbeetle: { clusterId: "1" }\n' +
        "  agent-platform:budgets: { agents: { pods: 3 } }\n",
    );
    try {
      const result = spawnSync(
        process.execPath,
        ["--import", "tsx", path.join(ROOT, "scripts", "budget.ts"), "--stack", stack],
        { cwd: ROOT, encoding: "utf8" },
      );
      assert.equal(result.status, 1);
      // The table first, the over-budget line negative, then the refusal on stderr.
      assert.ok(result.stdout.startsWith("kgents-agents-staging\n"), result.stdout);
      assert.ok(
        result.stdout.includes("\npods                        3       11      -8\n"),
        result.stdout,
      );
      assert.equal(
        result.stderr,
        `The agents do not fit the budgets of stack "${stack}" (1 problem); nothing was written:\n` +
          `  - Pulumi.${stack}.yaml: agent-platform:budgets.agents.pods: namespace kgents-agents-staging: ` +
          "the deployed agents need 11 of pods (replicas plus rolling-update surge), over the budget of 3 by 8; " +
          "largest: L-gent 3 (2 replicas + 1 surge = 3 pods × 1), B-gent 2 (1 replica + 1 surge = 2 pods × 1), " +
          "F-gent 2 (1 replica + 1 surge = 2 pods × 1). Lower replicas or resources (agents.overrides) or raise the budget\n",
      );
    } finally {
      fs.rmSync(file);
    }
  });

  it("`npm run budget` shows what is over as the exact negative figure the refusal names", () => {
    const stack = "ci-over-budget-cpu";
    const file = path.join(ROOT, `Pulumi.${stack}.yaml`);
    fs.writeFileSync(
      file,
      "config:\n  agent-platform:environment: staging\n" +
        '  agent-platform:tigerbeetle: { clusterId: "1" }\n' +
        "  agent-platform:agents: { overrides: { L: { replicas: 8 } } }\n" +
        "  agent-platform:budgets: { agents: { pods: 30 } }\n",
    );
    try {
      const result = spawnSync(
        process.execPath,
        ["--import", "tsx", path.join(ROOT, "scripts", "budget.ts"), "--stack", stack, "--json"],
        { cwd: ROOT, encoding: "utf8" },
      );
      assert.equal(result.status, 1);
      const [agents] = JSON.parse(result.stdout) as { free: Record<string, string> }[];
      assert.equal(agents.free["requests.cpu"], "-450m");
      assert.equal(agents.free["requests.memory"], "-1920Mi");
      assert.match(result.stderr, /requests\.cpu .* over the budget of 2 by 450m;/);
      assert.match(result.stderr, /requests\.memory .* over the budget of 4Gi by 1920Mi;/);
    } finally {
      fs.rmSync(file);
    }
  });

  it("`npm run budget -- --stack production --json` prints the figures of the quotas", async () => {
    const result = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        path.join(ROOT, "scripts", "budget.ts"),
        "--stack",
        "production",
        "--json",
      ],
      { cwd: ROOT, encoding: "utf8" },
    );
    assert.equal(result.status, 0, result.stderr);
    const printed = JSON.parse(result.stdout) as BudgetFigures[];
    const { manifests, outputs } = await render("production");
    assert.deepEqual(printed, outputs.budgets);
    assert.deepEqual(
      printed.map((b) => b.budget),
      ofKind(manifests, "ResourceQuota").map((q) => at(q, "spec", "hard")),
    );
    assert.deepEqual(printed[0].used, {
      "requests.cpu": "1700m",
      "requests.memory": "4Gi",
      // 20 containers (12 pods, 8 of them with a sidecar): 256Mi requested, 1536Mi limit each.
      "requests.ephemeral-storage": "5Gi",
      "limits.cpu": "3700m",
      "limits.memory": "5888Mi",
      "limits.ephemeral-storage": "30Gi",
      pods: "12",
    });
  });
});
