/**
 * npm run bench:preview [-- --runs N]
 *
 * What a real no-op preview costs, beside what Kubernetes itself costs for the same objects. In a
 * fresh local cluster (scratch folder), each scenario is deployed once, then timed N times (default
 * 3), alternating, as fresh processes:
 *  - `kubectl apply --server-side --dry-run=server` of the scenario's render (the same objects);
 *  - `npm run stack -- preview --expect-no-changes`, without and with the policy pack;
 *  - `npm run stack -- up --yes` of the unchanged stack (a preview, then the update, as `pulumi up`).
 * Scenarios: staging, production, and production with 27 agents (A to Z and Psi, all the genus
 * rule allows). It prints the medians, each preview's ratio to kubectl's dry run, and the peak
 * memory of each command's whole process tree (the driver, the CLI, the provider, the policy
 * pack). A script that prints figures, not a test.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";
import { Manifest, toYaml } from "./render-lib";
import { ALL_GENERA_OVERRIDES, writeAllGenera } from "./bench-scenarios";
import { UsageError, runCli } from "./cli";
import { ROOT, openStack } from "./engine";
import {
  LOCAL_REGISTRY,
  configureLocalStack,
  ensureCluster,
  localBackend,
  prepareWorkspace,
  toolsEnvironment,
} from "./local-lib";
import { Stack } from "@pulumi/pulumi/automation";
import { SPEC_DIR_VARIABLE } from "../kgents/load";
import { StateResource, clusterFacts, renderInChild, substitute } from "./render-json";

/** Where the benchmark bundles the driver, as `npm run stack` does. */
const DRIVER_BUNDLE = path.join(ROOT, "dist", "bench-stack.js");

/** A command's wall time and the peak resident memory of its process tree. */
interface Sample {
  readonly seconds: number;
  readonly peakMiB: number;
}

/** Resident memory (KiB) of `root` and every process below it, from /proc. */
function treeRssKiB(root: number): number {
  const children = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      // Fields after the command name (which may hold spaces): state, ppid, ... rss is field 24.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const pid = Number(entry);
      const ppid = Number(fields[1]);
      rss.set(pid, Number(fields[21]) * 4);
      children.set(ppid, [...(children.get(ppid) ?? []), pid]);
    } catch {
      // The process ended while we looked.
    }
  }
  let total = 0;
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    total += rss.get(pid) ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

/** Runs a command to its end, sampling its tree's memory every 50 ms; fails on a non-zero exit. */
function timed(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(file, args, { cwd: ROOT, env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    let peak = 0;
    const timer = setInterval(() => (peak = Math.max(peak, treeRssKiB(child.pid!))), 50);
    child.on("close", (code) => {
      clearInterval(timer);
      const seconds = (performance.now() - start) / 1000;
      if (code !== 0)
        reject(
          new Error(
            `${path.basename(file)} ${args.join(" ")} exited ${code}:\n${stderr.slice(-2000)}`,
          ),
        );
      else resolve({ seconds, peakMiB: peak / 1024 });
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * The scenario's render (the local registry, its spec folder) as one YAML file for kubectl, with
 * what only the cluster knows (auto-names, Service IPs) taken from the deployed stack: applied,
 * it changes nothing, like the no-op preview beside it.
 */
async function renderTo(
  stack: Stack,
  specDir: string,
  overrides: Record<string, string>,
  file: string,
): Promise<string> {
  const rendered = await renderInChild(stack.name, specDir, LOCAL_REGISTRY, overrides);
  const state = ((await stack.exportStack()).deployment as { resources: StateResource[] })
    .resources;
  const facts = clusterFacts(rendered, state);
  // The render's own writer: what kubectl reads is quoted as `npm run render` quotes it.
  fs.writeFileSync(
    file,
    toYaml(rendered.objects.map(({ manifest }) => substitute(manifest, facts) as Manifest)),
  );
  return file;
}

interface Row {
  readonly scenario: string;
  readonly resources: number;
  readonly kubectl: Sample[];
  readonly preview: Sample[];
  readonly previewPolicy: Sample[];
  readonly up: Sample[];
}

/** A scenario: its name in the table, the stack it deploys, and the spec folder it reads. */
type Scenario = [scenario: string, stackName: string, specDir: string];

/** The benchmark's scratch folder and the local cluster it runs in. */
interface Bench {
  readonly runs: number;
  readonly scratch: string;
  readonly workspace: string;
  readonly clusterDir: string;
  readonly kubeconfig: string;
  readonly allGenera: string;
}

/** `--runs N`, checked: a whole number, at least 1 (default 3). */
function parseRuns(): number {
  const { values } = parseArgs({ options: { runs: { type: "string" } }, strict: true });
  const runs = Number(values.runs ?? "3");
  if (!Number.isInteger(runs) || runs < 1) throw new UsageError("--runs takes a whole number");
  return runs;
}

/** A scratch folder with the tools, a local backend, a fresh cluster and the 27 generated specs. */
async function setUp(runs: number): Promise<Bench> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "bench-preview-"));
  const workspace = path.join(scratch, "workspace");
  Object.assign(process.env, await toolsEnvironment(), localBackend(path.join(scratch, "state")));
  const clusterDir = path.join(scratch, "cluster");
  const kubeconfig = await ensureCluster(clusterDir, process.env);
  process.env.KUBECONFIG = kubeconfig;
  const allGenera = path.join(scratch, "specs-27");
  writeAllGenera(allGenera);
  return { runs, scratch, workspace, clusterDir, kubeconfig, allGenera };
}

/** What `npm run stack` runs (without npm's own start-up): the driver bundled with esbuild. */
async function bundleDriver(): Promise<void> {
  await timed(
    path.join(ROOT, "node_modules", ".bin", "esbuild"),
    [
      "scripts/stack.ts",
      "--bundle",
      "--platform=node",
      "--packages=external",
      `--outfile=${DRIVER_BUNDLE}`,
      "--log-level=warning",
    ],
    { ...process.env },
  );
}

/** Takes the cluster down and removes the scratch folder. */
async function tearDown(bench: Bench): Promise<void> {
  await new Promise<void>((resolve) =>
    spawn("bash", [path.join(ROOT, "scripts", "cluster.sh"), "down", "--dir", bench.clusterDir], {
      stdio: "ignore",
    }).on("close", () => resolve()),
  );
  fs.rmSync(bench.scratch, { recursive: true, force: true });
}

/** Deploys the scenario once; returns its stack, its config overrides and its resource count. */
async function deployScenario(
  bench: Bench,
  [scenario, stackName, specDir]: Scenario,
): Promise<{ stack: Stack; overrides: Record<string, string>; resources: number }> {
  process.stderr.write(`[bench:preview] ${scenario}: deploying\n`);
  process.env[SPEC_DIR_VARIABLE] = specDir;
  prepareWorkspace(bench.workspace, stackName);
  const stack = (await openStack(
    { stack: stackName, workDir: bench.workspace },
    { create: true },
  ))!;
  await configureLocalStack(stack, bench.kubeconfig);
  // Room for 27 agents (each 2 pods at most during a rollout) in the agents' namespace.
  const overrides: Record<string, string> =
    specDir === bench.allGenera ? { ...ALL_GENERA_OVERRIDES } : {};
  for (const [key, value] of Object.entries(overrides)) {
    await stack.setConfig(`agent-platform:${key}`, { value });
  }
  await stack.up({});
  const resources = ((await stack.exportStack()).deployment as { resources: unknown[] }).resources
    .length;
  return { stack, overrides, resources };
}

/** Deploys one scenario, then times kubectl's dry run, both previews and the no-op up, N times. */
async function measureScenario(bench: Bench, scenario: Scenario): Promise<Row> {
  const [name, stackName, specDir] = scenario;
  const { stack, overrides, resources } = await deployScenario(bench, scenario);
  const manifests = await renderTo(
    stack,
    specDir,
    overrides,
    path.join(bench.scratch, `${stackName}.yaml`),
  );

  const env = { ...process.env, AGENT_PLATFORM_WORKSPACE: bench.workspace };
  const driver = (args: string[]) => [DRIVER_BUNDLE, ...args, "--stack", stackName];
  const row: Row = {
    scenario: name,
    resources,
    kubectl: [],
    preview: [],
    previewPolicy: [],
    up: [],
  };
  for (let i = 0; i < bench.runs; i++) {
    process.stderr.write(`[bench:preview] ${name}: run ${i + 1} of ${bench.runs}\n`);
    row.kubectl.push(
      await timed(
        "kubectl",
        [
          "apply",
          "--server-side",
          "--dry-run=server",
          "--force-conflicts",
          "--field-manager=bench",
          "-f",
          manifests,
        ],
        env,
      ),
    );
    row.preview.push(
      await timed(process.execPath, driver(["preview", "--expect-no-changes"]), env),
    );
    row.previewPolicy.push(
      await timed(process.execPath, driver(["preview", "--expect-no-changes", "--policy"]), env),
    );
    row.up.push(await timed(process.execPath, driver(["up", "--yes", "--expect-no-changes"]), env));
  }
  return row;
}

/** The table: medians in seconds with each one's ratio to kubectl's dry run, and peak MiB. */
function printTable(runs: number, rows: Row[]): void {
  const s = (samples: Sample[]) => median(samples.map((x) => x.seconds));
  const m = (samples: Sample[]) => median(samples.map((x) => x.peakMiB));
  console.log(
    `medians of ${runs} runs; seconds (ratio to kubectl's dry run), peak MiB of the process tree`,
  );
  console.log(
    "scenario                resources  kubectl dry run   preview            preview + pack     up (preview + update)",
  );
  for (const r of rows) {
    const k = s(r.kubectl);
    const cell = (samples: Sample[]) =>
      `${s(samples).toFixed(1)} s (${(s(samples) / k).toFixed(2)}x) ${m(samples).toFixed(0)} MiB`.padEnd(
        19,
      );
    console.log(
      [
        r.scenario.padEnd(22),
        String(r.resources).padStart(9),
        `${k.toFixed(1)} s ${m(r.kubectl).toFixed(0)} MiB`.padEnd(16),
        cell(r.preview),
        cell(r.previewPolicy),
        cell(r.up),
      ].join("  "),
    );
  }
}

runCli(async () => {
  const runs = parseRuns();
  const bench = await setUp(runs);
  const shipped = path.join(ROOT, "spec", "agents");
  await bundleDriver();
  const rows: Row[] = [];
  try {
    const scenarios: Scenario[] = [
      ["staging", "staging", shipped],
      ["production", "production", shipped],
      ["production, 27 agents", "production", bench.allGenera],
    ];
    for (const scenario of scenarios) rows.push(await measureScenario(bench, scenario));
  } finally {
    await tearDown(bench);
  }
  printTable(runs, rows);
});
