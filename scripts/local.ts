/**
 * npm run local -- --stack <staging|production> [--env]
 *
 * The main job on a fresh machine: a real deployment of a stack to a local cluster.
 *  1. `npm run tools`: builds (or finds) the Pulumi CLI, the Kubernetes provider and the cluster's
 *     binaries from Go modules;
 *  2. `npm run cluster -- up`, unless a cluster already runs in the default folder;
 *  3. a state folder outside the repository (`$AGENT_PLATFORM_STATE`, default
 *     `~/.local/state/agent-platform`) with a file backend, a generated passphrase and a workspace
 *     of stack files: the repository's, plus generated secrets, the local registry name
 *     (`localhost:5000`) and the cluster's kubeconfig;
 *  4. `pulumi up --refresh` of the stack through the real engine (scripts/engine.ts), its output as the CLI
 *     prints it.
 * Its last output is the stack outputs, as JSON. A second run updates the same stack.
 * `--env` prints, instead, the `export` lines after which `npm run stack -- ... --stack <name>`
 * and `kubectl` work on that local deployment.
 */
import * as path from "path";
import { parseArgs } from "util";
import { Stack } from "@pulumi/pulumi/automation";
import { UsageError, runCli } from "./cli";
import { commandFailure, openStack } from "./engine";
import {
  StepFailed,
  cacheDir,
  configureLocalStack,
  ensureCluster,
  localBackend,
  prepareWorkspace,
  stateDir,
  toolsEnvironment,
} from "./local-lib";
import { checkStackName } from "./stack-file";

const USAGE = "usage: npm run local -- --stack <staging|production> [--env]";

class EngineFailed extends Error {
  constructor(readonly code: number) {
    super(`pulumi up failed with exit code ${code}`);
  }
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** `--stack <name>` (checked against the stack files) and `--env`; nothing else. */
function parseCommandLine(): { stackName: string; env: boolean } {
  const { values, positionals } = parseArgs({
    options: { stack: { type: "string" }, env: { type: "boolean", default: false } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 0) {
    throw new UsageError(
      `Unexpected argument ${JSON.stringify(positionals[0])} (options go after "--": npm run local -- --stack staging); ${USAGE}`,
    );
  }
  if (values.stack === undefined) throw new UsageError(USAGE);
  return { stackName: checkStackName(values.stack), env: values.env };
}

/** The `export` lines after which `npm run stack` and `kubectl` work on the local deployment. */
function printExports(
  tools: NodeJS.ProcessEnv,
  backend: Record<string, string>,
  workspace: string,
  kubeconfig: string,
): void {
  const exports = {
    PATH: process.env.PATH ?? "",
    PULUMI_HOME: process.env.PULUMI_HOME ?? "",
    ...backend,
    AGENT_PLATFORM_WORKSPACE: workspace,
    KUBECONFIG: kubeconfig,
  };
  for (const [k, v] of Object.entries(exports)) console.log(`export ${k}=${shellQuote(v)}`);
  for (const [k, v] of Object.entries(tools)) {
    if (k.startsWith("PULUMI_") && !(k in exports))
      console.log(`export ${k}=${shellQuote(v ?? "")}`);
  }
}

/** `pulumi up --refresh` of the stack, its output as the CLI prints it; a failed engine is its exit code. */
async function up(stack: Stack): Promise<void> {
  try {
    await stack.up({
      // The local cluster is disposable (`npm run cluster -- down` wipes it) while the state
      // folder stays: refresh first, so that the state follows the cluster it deploys to.
      refresh: true,
      onOutput: (text) => process.stdout.write(text),
      onError: (text) => process.stderr.write(text),
      color: process.stdout.isTTY ? "always" : "never",
    });
  } catch (error) {
    const failure = commandFailure(error);
    if (failure === undefined) throw error;
    throw new EngineFailed(failure.code);
  }
}

/** The stack's outputs as JSON, secrets as `[secret]`. */
async function printOutputs(stack: Stack): Promise<void> {
  const outputs = await stack.outputs();
  const plain = Object.fromEntries(
    Object.entries(outputs).map(([k, v]) => [k, v.secret ? "[secret]" : v.value]),
  );
  console.log(JSON.stringify(plain, null, 2));
}

async function main(): Promise<void> {
  const { stackName, env } = parseCommandLine();

  const state = stateDir();
  const workspace = path.join(state, "workspace");
  const clusterDir = path.join(cacheDir(), "cluster");
  const backend = localBackend(state);

  const tools = await toolsEnvironment();
  // The CLI the Automation API runs is the first `pulumi` on this process's PATH.
  Object.assign(process.env, tools, backend);
  const kubeconfig = await ensureCluster(clusterDir, process.env);

  if (env) {
    printExports(tools, backend, workspace, kubeconfig);
    return;
  }

  prepareWorkspace(workspace, stackName);
  const stack = await openStack({ stack: stackName, workDir: workspace }, { create: true });
  await configureLocalStack(stack!, kubeconfig);
  process.stderr.write(
    `[local] pulumi up of "${stackName}" against ${kubeconfig} (state: ${state})\n`,
  );
  await up(stack!);
  process.stderr.write(
    `[local] done. For other commands on this deployment: eval "$(npm run --silent local -- --stack ${stackName} --env)", then npm run stack -- preview --stack ${stackName}, kubectl get agents -A ...\n`,
  );
  await printOutputs(stack!);
}

runCli(main, {
  consequence: "nothing was deployed",
  exitCodeOf: (error) => {
    if (error instanceof EngineFailed) return error.code;
    if (error instanceof StepFailed) {
      console.error(`[local] ${error.message}`);
      return 1;
    }
    return undefined;
  },
});
