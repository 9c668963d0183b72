/**
 * What `npm run local` and the end-to-end tests share: the toolchain's environment, a local
 * cluster, and a workspace of stack files outside the repository with the secrets and settings a
 * local deployment needs (generated, never written to the committed stack files).
 */
import { execFile, spawn } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { Stack } from "@pulumi/pulumi/automation";
import { PROJECT } from "../stacks/config";
import { SECRETS } from "../stacks/secrets";
import { YAML_AS_DATA } from "../kgents/frontmatter";
import { ROOT } from "./engine";

/** The registry name a local deployment's images are under; kwok's pods never pull them. */
export const LOCAL_REGISTRY = "localhost:5000";

/** The cache `npm run tools` builds into. */
export function cacheDir(): string {
  return process.env.AGENT_PLATFORM_CACHE ?? path.join(os.homedir(), ".cache", "agent-platform");
}

/**
 * Where `npm run local` keeps its file backend, passphrase and workspace: state, not cache (it
 * holds the stacks' state), outside the repository.
 */
export function stateDir(): string {
  const base = process.env.XDG_STATE_HOME ?? path.join(os.homedir(), ".local", "state");
  return path.resolve(process.env.AGENT_PLATFORM_STATE ?? path.join(base, "agent-platform"));
}

/** Runs a command with stderr shown (progress), and returns its stdout. Fails with its exit code. */
function runShown(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout }));
  });
}

/** A failure of a step of ours (the toolchain, the cluster): one line, no stack trace. */
export class StepFailed extends Error {
  override name = "StepFailed";
}

/**
 * Builds (or finds) the toolchain (`only` a part of it) and returns the environment its `--env`
 * exports make: the tools' PATH, PULUMI_HOME with the provider and policy plugins, and the
 * offline settings.
 */
export async function toolsEnvironment(
  only: "all" | "lint" = "all",
  consequence = "nothing was deployed",
): Promise<NodeJS.ProcessEnv> {
  const tools = JSON.stringify(path.join(ROOT, "scripts", "tools.sh"));
  const script = `eval "$(bash ${tools} --only ${only} --env)" && node -e 'process.stdout.write(JSON.stringify(process.env))'`;
  const { code, stdout } = await runShown("bash", ["-c", script]);
  if (code !== 0) {
    throw new StepFailed(
      `npm run tools failed (its last lines above name the step); ${consequence}`,
    );
  }
  return JSON.parse(stdout) as NodeJS.ProcessEnv;
}

/** The kubeconfig of the cluster in `dir`, started when none runs there. */
export async function ensureCluster(dir: string, env: NodeJS.ProcessEnv): Promise<string> {
  const cluster = path.join(ROOT, "scripts", "cluster.sh");
  const status = await new Promise<number>((resolve) =>
    execFile("bash", [cluster, "status", "--dir", dir], { env }, (error) =>
      resolve(error === null ? 0 : typeof error.code === "number" ? error.code : 1),
    ),
  );
  if (status !== 0) {
    const up = await runShown("bash", [cluster, "up", "--dir", dir], env);
    if (up.code !== 0)
      throw new StepFailed(`npm run cluster -- up --dir ${dir} failed (see above)`);
  }
  return path.join(dir, "kubeconfig");
}

/** Keys a local workspace owns: generated or set here, never taken from the repository's files. */
const SECRET_KEYS = Object.values(SECRETS).map((s) => `${PROJECT}:${s.key}`);

interface StackFile {
  encryptionsalt?: string;
  config?: Record<string, unknown>;
}

function readYaml(file: string): StackFile {
  return fs.existsSync(file)
    ? ((parse(fs.readFileSync(file, "utf8"), YAML_AS_DATA) as StackFile | null) ?? {})
    : {};
}

/**
 * A workspace for local stacks in `dir`: `Pulumi.yaml` and `Pulumi.<stack>.yaml` as the
 * repository has them (read again on every run, so a change there reaches the local stack), plus
 * what only the local deployment has: its encryption salt, its generated secrets, its registry
 * name and its kubeconfig. The repository's files are never written.
 */
export function prepareWorkspace(dir: string, stack: string, sourceDir: string = ROOT): void {
  fs.mkdirSync(dir, { recursive: true });
  // The project file without `main`: the CLI checks that it exists beside the project file, and
  // an inline program (scripts/engine.ts) has no file of its own there.
  const project = parse(
    fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"),
    YAML_AS_DATA,
  ) as Record<string, unknown>;
  delete project.main;
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), stringify(project));
  const source = readYaml(path.join(sourceDir, `Pulumi.${stack}.yaml`));
  const file = path.join(dir, `Pulumi.${stack}.yaml`);
  const local = readYaml(file);
  const owned = Object.entries(local.config ?? {}).filter(([key]) => isLocalKey(key, source));
  const merged: StackFile = {
    ...(local.encryptionsalt === undefined ? {} : { encryptionsalt: local.encryptionsalt }),
    config: { ...(source.config ?? {}), ...Object.fromEntries(owned) },
  };
  const header = `# Written by agent-platform (scripts/local-lib.ts): ${path.join(sourceDir, `Pulumi.${stack}.yaml`)} plus this\n# local deployment's own secrets and settings. Edit the repository's file instead.\n`;
  fs.writeFileSync(file, header + stringify(merged));
}

function isLocalKey(key: string, source: StackFile): boolean {
  if (SECRET_KEYS.includes(key) || key === "kubernetes:kubeconfig") return true;
  return key === `${PROJECT}:imageRegistry` && !(key in (source.config ?? {}));
}

/**
 * Sets what a local stack needs and does not have yet: each secret, generated (32 random bytes,
 * as hex, the form every secret of the stack takes), the registry name when the stack file names
 * none, and the cluster's kubeconfig, so that this stack only ever reaches the local cluster.
 */
export async function configureLocalStack(stack: Stack, kubeconfig: string): Promise<void> {
  const config = await stack.getAllConfig();
  for (const key of SECRET_KEYS) {
    if (!(key in config)) {
      await stack.setConfig(key, { value: randomBytes(32).toString("hex"), secret: true });
    }
  }
  if (!(`${PROJECT}:imageRegistry` in config)) {
    await stack.setConfig(`${PROJECT}:imageRegistry`, { value: LOCAL_REGISTRY });
  }
  if (config["kubernetes:kubeconfig"]?.value !== kubeconfig) {
    await stack.setConfig("kubernetes:kubeconfig", { value: kubeconfig });
  }
}

/** The backend and passphrase of a state folder, made on first use (the passphrase: 0600). */
export function localBackend(state: string): Record<string, string> {
  fs.mkdirSync(path.join(state, "backend"), { recursive: true });
  const passphrase = path.join(state, "passphrase");
  if (!fs.existsSync(passphrase)) {
    fs.writeFileSync(passphrase, `${randomBytes(24).toString("hex")}\n`, { mode: 0o600 });
  }
  return {
    PULUMI_BACKEND_URL: `file://${path.join(state, "backend")}`,
    PULUMI_CONFIG_PASSPHRASE_FILE: passphrase,
  };
}
