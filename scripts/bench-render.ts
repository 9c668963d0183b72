/**
 * npm run bench:render [-- --runs N]
 *
 * How long rendering a shipped stack takes next to what it cannot avoid: node loading
 * `@pulumi/pulumi` and `@pulumi/kubernetes` alone. Both are timed side by side, as fresh node
 * processes, alternating, N runs each (default 5); it prints the medians and their ratio. The
 * target is a render within twice the SDK load. A script that prints figures, not a test.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";
import { ROOT } from "./stack-file";
import { UsageError, runCli } from "./cli";

/** A step's commands, each a program and its arguments, run one after the other. */
type Commands = [string, string[]][];

/**
 * The steps timed: loading the SDKs alone (plainly, and as the render loads them), and bundling
 * then running the production render. The target compares the render with the plain load.
 */
function benchSteps(out: string): Record<string, Commands> {
  // What `npm run render` runs (without npm's own start-up): bundle the program, then run it.
  const esbuild = path.join(ROOT, "node_modules", ".bin", "esbuild");
  return {
    "load @pulumi/pulumi + @pulumi/kubernetes": [
      [process.execPath, ["-e", 'require("@pulumi/pulumi"); require("@pulumi/kubernetes");']],
    ],
    // As the render loads them: scripts/lazy-modules.js first (what the SDK loads and never uses).
    "the same, as the render loads them": [
      [
        process.execPath,
        [
          "--require",
          "./scripts/lazy-modules.js",
          "-e",
          'require("@pulumi/pulumi"); require("@pulumi/kubernetes");',
        ],
      ],
    ],
    "render production (bundle + run)": [
      [
        esbuild,
        [
          "scripts/render.ts",
          "--bundle",
          "--platform=node",
          "--packages=external",
          `--outfile=${path.join(ROOT, "dist", "bench-render.js")}`,
          "--log-level=warning",
        ],
      ],
      [
        process.execPath,
        [path.join(ROOT, "dist", "bench-render.js"), "--stack", "production", "--out", out],
      ],
    ],
  };
}

/** Each step's wall times in seconds, `runs` of each, the steps alternating. */
function timeSteps(steps: Record<string, Commands>, runs: number): Record<string, number[]> {
  const times: Record<string, number[]> = Object.fromEntries(
    Object.keys(steps).map((k) => [k, []]),
  );
  for (let i = 0; i < runs; i++) {
    for (const [name, commands] of Object.entries(steps)) {
      const start = process.hrtime.bigint();
      for (const [command, args] of commands) {
        const result = spawnSync(command, args, { cwd: ROOT, encoding: "utf8" });
        if (result.status !== 0) throw new Error(`${name} failed: ${result.stderr}`);
      }
      times[name].push(Number(process.hrtime.bigint() - start) / 1e9);
    }
  }
  return times;
}

runCli(async () => {
  const { values } = parseArgs({ options: { runs: { type: "string" } }, strict: true });
  const runs = Number(values.runs ?? "5");
  if (!Number.isInteger(runs) || runs < 1) throw new UsageError("--runs takes a whole number");
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "bench-render-"));
  const times = timeSteps(benchSteps(out), runs);
  fs.rmSync(out, { recursive: true, force: true });
  fs.rmSync(path.join(ROOT, "dist", "bench-render.js"), { force: true });
  const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
  const [load, , render] = Object.values(times).map(median);
  for (const [name, list] of Object.entries(times)) {
    console.log(
      `${name.padEnd(42)} median ${median(list).toFixed(2)} s  (${list.map((t) => t.toFixed(2)).join(", ")})`,
    );
  }
  console.log(`render / load: ${(render / load).toFixed(2)} (target: at most 2.00)`);
});
