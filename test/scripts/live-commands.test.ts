import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../../scripts/stack-file";

/**
 * `npm run budget -- --live`, `npm run agents` and `npm run stack -- drift` given what careless
 * users give them: an
 * unknown stack, no cluster, a cluster that does not answer, a context or kubeconfig that does not
 * exist, no kubectl. Each is one line (exact) and exit 1, never a stack trace. The real kubectl
 * runs (the toolchain's, else the one on PATH); nothing is sent anywhere but 127.0.0.1:1, where
 * nothing listens.
 */

/** A folder holding kubectl: the toolchain's (npm run tools), else one on PATH. */
function kubectlDir(): string | undefined {
  const tools = path.join(
    process.env.AGENT_PLATFORM_CACHE ?? path.join(os.homedir(), ".cache", "agent-platform"),
    "tools",
  );
  const built = fs.existsSync(tools)
    ? fs
        .readdirSync(tools)
        .filter((d) => d.startsWith("kubernetes-"))
        .map((d) => path.join(tools, d, "bin"))
        .find((d) => fs.existsSync(path.join(d, "kubectl")))
    : undefined;
  if (built !== undefined) return built;
  const found = spawnSync("sh", ["-c", "command -v kubectl"], { encoding: "utf8" });
  return found.status === 0 ? path.dirname(found.stdout.trim()) : undefined;
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "live-commands-"));
/** A kubeconfig of one context, "local", whose server nothing listens on. */
const DEAD = path.join(scratch, "dead.kubeconfig");
fs.writeFileSync(
  DEAD,
  [
    "apiVersion: v1",
    "kind: Config",
    "clusters: [{name: local, cluster: {server: 'https://127.0.0.1:1', insecure-skip-tls-verify: true}}]",
    "users: [{name: local, user: {token: not-a-token}}]",
    "contexts: [{name: local, context: {cluster: local, user: local}}]",
    "current-context: local",
    "",
  ].join("\n"),
);

/**
 * A workspace whose staging stack file is the repository's plus `config` (the provider's
 * settings), as `npm run local` writes one: the plan and the cluster come from the same file.
 */
function workspace(name: string, config: Record<string, string>): string {
  const dir = path.join(scratch, name);
  fs.mkdirSync(dir, { recursive: true });
  const lines = Object.entries(config).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`);
  const committed = fs.readFileSync(path.join(ROOT, "Pulumi.staging.yaml"), "utf8").trimEnd();
  fs.writeFileSync(path.join(dir, "Pulumi.staging.yaml"), `${committed}\n${lines.join("\n")}\n`);
  return dir;
}

function run(script: string, args: string[], env: Record<string, string>) {
  const result = spawnSync(process.execPath, ["--import", "tsx", `scripts/${script}.ts`, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, ...env },
  });
  assert.doesNotMatch(result.stderr, /^\s+at /m, `a stack trace from ${script} ${args.join(" ")}`);
  return { status: result.status, stderr: result.stderr, stdout: result.stdout };
}

/** Each command as `scripts/<name>.ts` with its arguments before `--stack`, and after. */
const COMMANDS: [string, string[], string[]][] = [
  ["budget", [], ["--live"]],
  ["agents", [], []],
  ["stack", ["drift"], []],
];

describe("budget --live, agents and stack drift: bad input gets one line", function () {
  this.timeout(60_000);
  const dir = kubectlDir();
  const PATH = `${dir ?? ""}:${process.env.PATH ?? ""}`;

  before(function () {
    if (dir === undefined) this.skip(); // no kubectl here: npm run test:e2e checks the same lines
  });

  it("an unknown stack, or none, before anything is read", () => {
    for (const [script, before, extra] of COMMANDS) {
      const unknown = run(script, [...before, "--stack", "nope", ...extra], { PATH });
      assert.deepEqual(unknown, {
        status: 1,
        stderr:
          'There is no stack "nope" (a stack name, not a path); the stacks are: production, staging\n',
        stdout: "",
      });
    }
    for (const [script, extra] of [
      ["budget", ["--live"]],
      ["agents", []],
    ] as const) {
      const none = run(script, [...extra], { PATH });
      assert.equal(none.status, 1);
      assert.match(
        none.stderr,
        new RegExp(`^usage: npm run ${script} -- --stack <staging\\|production> .*\\n$`),
      );
    }
  });

  it("a cluster that does not answer", () => {
    const env = {
      PATH,
      AGENT_PLATFORM_WORKSPACE: workspace("dead", { "kubernetes:kubeconfig": DEAD }),
    };
    for (const [script, before, extra] of COMMANDS) {
      assert.deepEqual(run(script, [...before, "--stack", "staging", ...extra], env), {
        status: 1,
        stderr:
          'Cannot reach the cluster of stack "staging" (kube context "local", 127.0.0.1:1): connection refused\n',
        stdout: "",
      });
    }
  });

  it("a context that does not exist, listing those that do", () => {
    const env = {
      PATH,
      AGENT_PLATFORM_WORKSPACE: workspace("context", {
        "kubernetes:kubeconfig": DEAD,
        "kubernetes:context": "prod-eu",
      }),
    };
    for (const [script, before, extra] of COMMANDS) {
      assert.deepEqual(run(script, [...before, "--stack", "staging", ...extra], env), {
        status: 1,
        stderr:
          'There is no kube context "prod-eu" (kubernetes:context of stack "staging"); the contexts are: local\n',
        stdout: "",
      });
    }
  });

  it("no cluster at all, a kubeconfig that does not exist, no kubectl (scripts/kube.ts, shared)", () => {
    const none = {
      PATH,
      KUBECONFIG: path.join(scratch, "absent"),
      AGENT_PLATFORM_WORKSPACE: workspace("none", {}),
    };
    const missing = {
      PATH,
      AGENT_PLATFORM_WORKSPACE: workspace("missing", {
        "kubernetes:kubeconfig": "/nonexistent/kubeconfig",
      }),
    };
    const noKubectl = {
      PATH: path.join(scratch, "empty-bin"),
      AGENT_PLATFORM_WORKSPACE: workspace("dead", { "kubernetes:kubeconfig": DEAD }),
    };
    const args = ["--stack", "staging"];
    assert.deepEqual(
      [
        run("budget", [...args, "--live"], none),
        run("agents", args, missing),
        run("budget", [...args, "--live", "--json"], noKubectl),
      ].map((r) => [r.status, r.stderr, r.stdout]),
      [
        [
          1,
          'No cluster for stack "staging": its stack file names no kubernetes:context or kubernetes:kubeconfig, and kubectl has no current context (KUBECONFIG, ~/.kube/config)\n',
          "",
        ],
        [
          1,
          'The kubeconfig of stack "staging" (kubernetes:kubeconfig) does not exist: /nonexistent/kubeconfig\n',
          "",
        ],
        [
          1,
          'kubectl is not on PATH: run eval "$(npm run --silent tools -- --env)" (it builds kubectl, README "Local cluster"), or install kubectl\n',
          "",
        ],
      ],
    );
  });
});
