/**
 * npm run bench:agents [-- --sizes 10,100,1000]
 *
 * Generates N valid agent specs in a temporary folder and measures, each size in a fresh Node
 * process: loading them (YAML 1.2 frontmatter + zod + cross-checks, `checkAgentSpecs`), and rendering
 * the kgents part of the stack for them (namespaces, then the CRD and every agent's objects in
 * one ConfigGroup, under the same mock runtime and manifest writer as `npm run render`), and
 * the peak memory (max RSS).
 *
 * The real genus rule `^([A-Z]|Psi)$` allows 27 agents per stack, so the generated specs use
 * genera `G1`...`G1000` under a benchmark-only rule; every other rule is the stack's own.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";
import { z } from "zod";
import { benchSpecText } from "./bench-scenarios";
import { runCli } from "./cli";
import { IMAGE_REGISTRY_UNSET } from "../stacks/images";
import type { AgentSpec } from "../kgents/schema";

const BENCH_GENUS = z.string().regex(/^([A-Z]|Psi|G[0-9]{1,4})$/, "expected a benchmark genus");

/** Writes `count` specs: each calls its two predecessors, every other one has a sidecar. */
function writeSpecs(dir: string, count: number): void {
  for (let i = 1; i <= count; i++) {
    const text = benchSpecText({
      genus: `G${i}`,
      name: `Bench-${i}`,
      sidecar: i % 2 === 0,
      peers: [i - 1, i - 2].filter((p) => p >= 1).map((p) => `G${p}`),
      config: { index: i, mode: "bench" },
    });
    fs.writeFileSync(path.join(dir, `g${i}-gent.md`), text);
  }
}

interface Measurement {
  readonly agents: number;
  readonly objects: number;
  readonly loadMs: number;
  readonly renderMs: number;
  readonly peakMiB: number;
}

/** Budgets large enough for any benchmark size. */
const BENCH_BUDGETS = {
  agents: {
    requests: { cpu: "100000", memory: "100000Gi", "ephemeral-storage": "100000Gi" },
    limits: { cpu: "100000", memory: "100000Gi", "ephemeral-storage": "100000Gi" },
    pods: 10000,
  },
  ephemeral: {
    requests: { cpu: "1", memory: "1Gi", "ephemeral-storage": "1Gi" },
    limits: { cpu: "1", memory: "1Gi", "ephemeral-storage": "1Gi" },
    pods: 1,
  },
};

/** One size, in this process. */
async function measure(count: number): Promise<Measurement> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-agents-"));
  try {
    writeSpecs(dir, count);
    // Loaded after the specs exist, so that module loading is not counted as spec loading.
    const { checkAgentSpecs } = await import("../kgents/load");
    const modules = await renderModules();

    const loadStart = performance.now();
    const { specs, problems } = checkAgentSpecs(dir, { genus: BENCH_GENUS });
    const loadMs = performance.now() - loadStart;
    if (problems.length > 0) throw new Error(`generated specs are invalid: ${problems[0].message}`);

    const renderStart = performance.now();
    const run = await renderKgents(modules, specs);
    const manifests = modules.toManifests(run.resources);
    const yaml = modules.toYaml(manifests);
    const renderMs = performance.now() - renderStart;
    if (yaml.length === 0) throw new Error("nothing rendered");
    const peakMiB = process.resourceUsage().maxRSS / 1024;
    return { agents: count, objects: manifests.length, loadMs, renderMs, peakMiB };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** What rendering the kgents part needs, loaded before anything is timed. */
async function renderModules() {
  const { planAgents } = await import("../kgents/plan");
  const { buildTopology } = await import("../stacks/topology");
  const { CATALOG } = await import("../stacks/catalog");
  const { deployKgents } = await import("../components/kgents");
  const { runProgram } = await import("./mock-runtime");
  const { toManifests, toYaml } = await import("./render-lib");
  const { PROJECT } = await import("../stacks/config");
  const { checkBudgets } = await import("../kgents/budget");
  const { AGENT_STORAGE } = await import("../stacks/defaults");
  return {
    AGENT_STORAGE,
    planAgents,
    buildTopology,
    CATALOG,
    deployKgents,
    runProgram,
    toManifests,
    toYaml,
    PROJECT,
    checkBudgets,
  };
}

/** The kgents part of a `bench` stack for `specs`, under the mock runtime `npm run render` uses. */
async function renderKgents(
  modules: Awaited<ReturnType<typeof renderModules>>,
  specs: readonly AgentSpec[],
) {
  const { planAgents, buildTopology, CATALOG, deployKgents, runProgram, PROJECT, checkBudgets } =
    modules;
  return runProgram({
    project: PROJECT,
    stack: "bench",
    config: {},
    secretKeys: [],
    program: async () => {
      const topology = buildTopology({ namespaceSuffix: "-bench" }, CATALOG);
      const agents = planAgents(
        {
          imageTag: "bench",
          deploy: "all",
          overrides: {},
          ephemeralStorage: modules.AGENT_STORAGE,
        },
        specs,
        "bench",
        IMAGE_REGISTRY_UNSET,
      );
      // Budgets are checked as the stack checks them, against budgets sized for the run.
      const budgets = checkBudgets(BENCH_BUDGETS, agents, topology, "bench");
      return {
        agents: deployKgents({ environment: "staging", topology, agents, budgets }).outputs,
      };
    },
  });
}

runCli(async () => {
  const { values } = parseArgs({
    options: { sizes: { type: "string" }, child: { type: "string" } },
    strict: true,
  });
  if (values.child !== undefined) {
    console.log(JSON.stringify(await measure(Number(values.child))));
    return;
  }
  const sizes = (values.sizes ?? "10,100,1000").split(",").map(Number);
  console.log("agents  objects  load ms  render ms  total ms  peak MiB  ms/agent");
  for (const size of sizes) {
    const child = spawnSync(
      process.execPath,
      [...process.execArgv, __filename, "--child", String(size)],
      { encoding: "utf8" },
    );
    if (child.status !== 0) throw new Error(`size ${size} failed:\n${child.stderr}`);
    const m = JSON.parse(child.stdout.trim().split("\n").pop()!) as Measurement;
    const total = m.loadMs + m.renderMs;
    console.log(
      [
        String(m.agents).padStart(6),
        String(m.objects).padStart(7),
        m.loadMs.toFixed(0).padStart(7),
        m.renderMs.toFixed(0).padStart(9),
        total.toFixed(0).padStart(8),
        m.peakMiB.toFixed(0).padStart(8),
        (total / m.agents).toFixed(2).padStart(8),
      ].join("  "),
    );
  }
});
