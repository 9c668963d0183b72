/**
 * The cluster a stack deploys to, read with kubectl, for the commands that look at what runs
 * (`npm run budget -- --live`, `npm run agents`). The cluster is the one the Kubernetes provider
 * uses for that stack: its `kubernetes:kubeconfig` (a path, or the kubeconfig itself) and
 * `kubernetes:context`, from the stack file of `$AGENT_PLATFORM_WORKSPACE` or the repository, else
 * kubectl's own current context (`KUBECONFIG`, `~/.kube/config`). Only reads (`get`) are ever
 * sent. A mistake (no such context, no cluster, a cluster that does not answer) is one line that
 * says what and where, never a stack trace (`ClusterError` is a `UsageError`).
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { YAML_AS_DATA } from "../kgents/frontmatter";
import { UsageError } from "./cli";
import { checkStackName, workspaceDir } from "./stack-file";

/** A problem reaching or reading the cluster: printed as one line, exit 1. */
export class ClusterError extends UsageError {
  override name = "ClusterError";
}

/** This process cannot look itself (no kubectl, an encrypted kubeconfig); the provider still can. */
class CannotLook extends ClusterError {
  override name = "CannotLook";
}

/** What the stack file says of the cluster: the provider's own two settings. */
interface ProviderSettings {
  readonly context?: string;
  /** A path, or the kubeconfig's text. */
  readonly kubeconfig?: string;
  /** Set with `--secret`: the provider can read it, this command cannot. */
  readonly kubeconfigSecret?: boolean;
}

/** How kubectl reaches the stack's cluster. */
interface KubeTarget {
  /** `--kubeconfig <file>`, or nothing (kubectl's own: `KUBECONFIG`, `~/.kube/config`). */
  readonly kubeconfigArgs: readonly string[];
  /** The context the stack names; unset, kubectl's current context. */
  readonly context?: string;
}

/** The stack file whose provider settings name the cluster: the workspace's, as the engine reads it. */
function stackFileOf(stack: string): string {
  return path.join(workspaceDir(), `Pulumi.${checkStackName(stack, workspaceDir())}.yaml`);
}

/** `kubernetes:context` and `kubernetes:kubeconfig` of a stack file's text (YAML as data). */
export function providerSettings(text: string): ProviderSettings {
  const config = ((parse(text, YAML_AS_DATA) as { config?: Record<string, unknown> } | null)
    ?.config ?? {}) as Record<string, unknown>;
  const context = config["kubernetes:context"];
  const kubeconfig = config["kubernetes:kubeconfig"];
  const isSecret = typeof kubeconfig === "object" && kubeconfig !== null;
  return {
    ...(typeof context === "string" && context !== "" ? { context } : {}),
    ...(typeof kubeconfig === "string" && kubeconfig !== "" ? { kubeconfig } : {}),
    ...(isSecret ? { kubeconfigSecret: true } : {}),
  };
}

/** Whether a `kubernetes:kubeconfig` value is the kubeconfig itself rather than a path to one. */
export function isKubeconfigText(value: string): boolean {
  return /\n/.test(value) || /^\s*(\{|apiVersion\s*:)/.test(value);
}

/**
 * kubectl's flags for a stack's provider settings. A kubeconfig given as text is written to a
 * private temporary file (`writeText`), as the provider would read it; a path must exist.
 */
export function kubeTarget(
  stack: string,
  settings: ProviderSettings,
  writeText: (text: string) => string = privateFile,
): KubeTarget {
  if (settings.kubeconfigSecret) {
    throw new CannotLook(
      `kubernetes:kubeconfig of stack "${stack}" is a secret, which only Pulumi can decrypt: point KUBECONFIG at that kubeconfig and unset the key, or name a kubernetes:context`,
    );
  }
  const kubeconfigArgs: string[] = [];
  if (settings.kubeconfig !== undefined) {
    let file = settings.kubeconfig;
    if (isKubeconfigText(file)) file = writeText(file);
    else if (file.startsWith("~/")) file = path.join(os.homedir(), file.slice(2));
    if (!fs.existsSync(file)) {
      throw new ClusterError(
        `The kubeconfig of stack "${stack}" (kubernetes:kubeconfig) does not exist: ${file}`,
      );
    }
    kubeconfigArgs.push("--kubeconfig", file);
  }
  return {
    kubeconfigArgs,
    ...(settings.context === undefined ? {} : { context: settings.context }),
  };
}

function privateFile(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agent-platform-kube-"));
  const file = path.join(dir, "kubeconfig");
  fs.writeFileSync(file, text, { mode: 0o600 });
  process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  return file;
}

/** The first line of kubectl's stderr that says something (its client-go log lines skipped). */
function firstLine(stderr: string): string {
  const lines = stderr.split("\n").map((l) => l.trim());
  return lines.find((l) => l !== "" && !/^[EWI]\d{4} /.test(l)) ?? lines.find((l) => l) ?? "";
}

/** One line for a context the stack names and its kubeconfig lacks, listing those it has. */
export function missingContextMessage(
  stack: string,
  context: string,
  contexts: readonly string[],
): string {
  return `There is no kube context "${context}" (kubernetes:context of stack "${stack}"); the contexts are: ${contexts.join(", ") || "none"}`;
}

/**
 * One line for a kubectl failure, naming the stack and the cluster (`where`: `kube context
 * "local"`) and what kubectl said went wrong, without its client-go log lines.
 */
export function describeKubectlFailure(stderr: string, stack: string, where: string): string {
  const dial = /dial tcp ([^ ]+?): (?:connect: )?([^"\n]+)/.exec(stderr);
  if (dial)
    return `Cannot reach the cluster of stack "${stack}" (${where}, ${dial[1]}): ${dial[2]}`;
  const refused = /The connection to the server (\S+) was refused/.exec(stderr);
  if (refused) {
    return `Cannot reach the cluster of stack "${stack}" (${where}, ${refused[1]}): connection refused`;
  }
  const lookup = /lookup (\S+)(?: on \S+)?: ([^"\n]+)/.exec(stderr);
  if (lookup)
    return `Cannot reach the cluster of stack "${stack}" (${where}): ${lookup[1]}: ${lookup[2]}`;
  if (/\(Unauthorized\)/.test(stderr)) {
    return `The cluster of stack "${stack}" (${where}) refused the credentials (Unauthorized)`;
  }
  const line = firstLine(stderr).replace(/^error: /, "");
  if (/\(Forbidden\)/.test(stderr)) {
    return `The credentials of stack "${stack}" (${where}) may not read this: ${line.replace(/^Error from server \(Forbidden\): /, "")}`;
  }
  return `kubectl failed on the cluster of stack "${stack}" (${where}): ${line}`;
}

/** A failed kubectl run: what it printed on stderr. */
class KubectlFailed extends Error {
  constructor(readonly stderr: string) {
    super(stderr);
  }
}

/** Runs kubectl; resolves with stdout, rejects with `KubectlFailed` (a `ClusterError` when missing). */
function run(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile("kubectl", [...args], { maxBuffer: 256 << 20 }, (error, stdout, stderr) => {
      if (error === null) return resolve(stdout);
      if ((error as { code?: unknown }).code === "ENOENT") {
        return reject(
          new CannotLook(
            'kubectl is not on PATH: run eval "$(npm run --silent tools -- --env)" (it builds kubectl, README "Local cluster"), or install kubectl',
          ),
        );
      }
      reject(new KubectlFailed(stderr));
    }),
  );
}

/** A stack's cluster, opened: kubectl reads with its flags, and failures become one line. */
export class Cluster {
  private constructor(
    readonly stack: string,
    private readonly args: readonly string[],
    /** How messages name the cluster: `kube context "local"`. */
    readonly where: string,
  ) {}

  /** The stack's cluster, its context checked (locally: nothing is sent to a cluster yet). */
  static async open(stack: string, settings?: ProviderSettings): Promise<Cluster> {
    const target = kubeTarget(
      stack,
      settings ?? providerSettings(fs.readFileSync(stackFileOf(stack), "utf8")),
    );
    const config = (...args: string[]) =>
      run([...target.kubeconfigArgs, "config", ...args]).catch((error: unknown) => {
        if (error instanceof ClusterError) throw error;
        return "";
      });
    if (target.context !== undefined) {
      const contexts = (await config("get-contexts", "-o", "name")).split("\n").filter((c) => c);
      if (!contexts.includes(target.context)) {
        throw new ClusterError(missingContextMessage(stack, target.context, contexts));
      }
      const args = [...target.kubeconfigArgs, "--context", target.context];
      return new Cluster(stack, args, `kube context "${target.context}"`);
    }
    const current = (await config("current-context")).trim();
    if (current === "") {
      throw new ClusterError(
        `No cluster for stack "${stack}": its stack file names no kubernetes:context or kubernetes:kubeconfig, and kubectl has no current context (KUBECONFIG, ~/.kube/config)`,
      );
    }
    return new Cluster(stack, target.kubeconfigArgs, `kube context "${current}"`);
  }

  /** `kubectl get <kinds> -n <namespace> -o json`: the items (an empty list when there are none). */
  async get<T = Record<string, unknown>>(
    namespace: string,
    kinds: readonly string[],
  ): Promise<T[]> {
    const text = await this.kubectl(["get", kinds.join(","), "-n", namespace, "-o", "json"]);
    return (JSON.parse(text) as { items: T[] }).items;
  }

  /** Fails with a line naming the stack when the cluster does not answer (or refuses us). */
  async ping(): Promise<void> {
    await this.kubectl(["get", "--raw", "/version"]);
  }

  /**
   * Fails with a line naming the stack when `namespace` does not exist: the stack was never
   * deployed to this cluster (or this is the wrong context). The first call that reaches it.
   */
  async requireNamespace(namespace: string): Promise<void> {
    try {
      await run([...this.args, "get", "namespace", namespace, "-o", "name"]);
    } catch (error) {
      if (!(error instanceof KubectlFailed) || !/\(NotFound\)/.test(error.stderr)) {
        throw this.failure(error);
      }
      throw new ClusterError(
        `Stack "${this.stack}" is not deployed to this cluster (${this.where}): there is no namespace ${namespace}`,
      );
    }
  }

  private async kubectl(args: readonly string[]): Promise<string> {
    try {
      return await run([...this.args, ...args]);
    } catch (error) {
      throw this.failure(error);
    }
  }

  private failure(error: unknown): unknown {
    if (!(error instanceof KubectlFailed)) return error;
    return new ClusterError(describeKubectlFailure(error.stderr, this.stack, this.where));
  }
}

/**
 * The same one-line checks before an engine command reads the cluster (`npm run stack -- drift`),
 * where this process can make them: with kubectl on PATH and a kubeconfig it can read. Where it
 * cannot, the provider, which needs neither, reads the cluster and reports for itself.
 */
export async function checkCluster(stack: string): Promise<void> {
  let cluster: Cluster;
  try {
    cluster = await Cluster.open(stack);
  } catch (error) {
    if (error instanceof CannotLook) return;
    throw error;
  }
  await cluster.ping();
}
