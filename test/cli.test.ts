import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../scripts/stack-file";

/** The commands as a user runs them: exit code and stderr, never a stack trace. */
function run(script: string, ...args: string[]) {
  const result = spawnSync(process.execPath, ["--import", "tsx", `scripts/${script}.ts`, ...args], {
    cwd: ROOT,
    encoding: "utf8",
  });
  assert.doesNotMatch(result.stderr, /^\s+at /m, `a stack trace from ${script} ${args.join(" ")}`);
  return result;
}

/** Runs `action` with a stack file `Pulumi.<stack>.yaml` of `text` in the project, then removes it. */
function withStackFile<T>(stack: string, text: string, action: () => T): T {
  const file = path.join(ROOT, `Pulumi.${stack}.yaml`);
  fs.writeFileSync(file, text);
  try {
    return action();
  } finally {
    fs.rmSync(file);
  }
}

const CIPHERTEXT = "v1:c2VjcmV0LWNpcGhlcnRleHQ=";

describe("commands: careless and hostile input", function () {
  this.timeout(120_000);

  it("spec:check replays the corpus of hostile specs: every one refused at once, none runs", () => {
    const marker = "/tmp/agent-platform-pwned";
    fs.rmSync(marker, { force: true });
    const result = run("spec-check", "--dir", "test/corpus/specs");
    assert.equal(result.status, 1);
    assert.equal(fs.existsSync(marker), false, "the ---js spec ran");
    assert.equal(
      result.stderr,
      [
        "Invalid agent specs in test/corpus/specs (9 problems):",
        "  - test/corpus/specs/dangling.md: (file): expected a readable spec file; given a path that cannot be read (ENOENT: a link to nothing)",
        "  - test/corpus/specs/dir.md: (file): expected a spec file; given a directory or another kind of entry named *.md",
        "  - test/corpus/specs/duplicate.md: (frontmatter): expected valid YAML; given text that does not parse (a key appears twice in one mapping, line 3 of the file)",
        "  - test/corpus/specs/hex.md: replicas: expected a number in plain decimal, such as 10; given 0x2",
        '  - test/corpus/specs/js-engine.md: (frontmatter): expected the first line to be exactly "---" (frontmatter is read as YAML only; no other language or engine runs); given "---js"',
        "  - test/corpus/specs/js-tag.md: (frontmatter): expected plain YAML data; given text that does not parse (the tag tag:yaml.org,2002:js/function is not allowed: only plain YAML values are, line 4 of the file)",
        "  - test/corpus/specs/laughs.md: (frontmatter): expected at most 5000 values, aliases counted each time they are used; given more",
        "  - test/corpus/specs/nul.md: config.nul: expected text without control characters; given U+0000 at character 2",
        '  - test/corpus/specs/proto.md: __proto__: expected a field name; given the reserved key "__proto__"',
        "",
      ].join("\n"),
    );
  });

  it("render and budget without --stack print their usage", () => {
    const render = run("render");
    assert.equal(render.status, 1);
    assert.equal(
      render.stderr,
      "usage: npm run render -- --stack <staging|production> [--out DIR]\n",
    );
    const budget = run("budget");
    assert.equal(budget.status, 1);
    assert.equal(
      budget.stderr,
      "usage: npm run budget -- --stack <staging|production> [--live] [--json]\n",
    );
  });

  it("a stack is a name, never a path", () => {
    for (const script of ["render", "budget"]) {
      const result = run(script, "--stack", "x/../../../../tmp/evil");
      assert.equal(result.status, 1);
      assert.equal(
        result.stderr,
        'There is no stack "x/../../../../tmp/evil" (a stack name, not a path); the stacks are: production, staging\n',
      );
    }
  });

  it("render --out naming an existing file is refused", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "out-")), "taken");
    fs.writeFileSync(file, "keep me");
    const result = run("render", "--stack", "staging", "--out", file);
    assert.equal(result.status, 1);
    assert.equal(result.stderr, `--out must name a directory; ${file} is a file\n`);
    assert.equal(fs.readFileSync(file, "utf8"), "keep me");
  });

  it("a stack file with a YAML error, a duplicated key or a self-containing alias is named, its text never printed", () => {
    const broken = `config:\n  agent-platform:nostrSecretKey:\n    secure: ${CIPHERTEXT}\n  agent-platform:logLevel: [debug\n`;
    const duplicated = `config:\n  agent-platform:environment: staging\n  agent-platform:nostrSecretKey:\n    secure: ${CIPHERTEXT}\n  agent-platform:environment: production\n`;
    const cases: [string, string, string][] = [
      [
        "hostile-broken",
        broken,
        "Cannot read Pulumi.hostile-broken.yaml (1 problem); nothing was written:\n" +
          "  - Pulumi.hostile-broken.yaml: line 5: expected valid YAML; given text that does not parse (Flow sequence in block collection must be sufficiently indented and end with a ])\n",
      ],
      [
        "hostile-duplicate",
        duplicated,
        "Cannot read Pulumi.hostile-duplicate.yaml (1 problem); nothing was written:\n" +
          "  - Pulumi.hostile-duplicate.yaml: line 5: expected valid YAML; given text that does not parse (a key appears twice in one mapping)\n",
      ],
    ];
    cases.push([
      "hostile-alias",
      "config:\n  agent-platform:agents: &a [*a]\n",
      "Cannot read Pulumi.hostile-alias.yaml (1 problem); nothing was written:\n" +
        "  - Pulumi.hostile-alias.yaml: agent-platform:agents: expected plain YAML data; given an alias that contains itself\n",
    ]);
    for (const [stack, text, expected] of cases) {
      const result = withStackFile(stack, text, () => run("render", "--stack", stack));
      assert.equal(result.status, 1);
      assert.equal(result.stderr, expected);
      assert.ok(!result.stderr.includes(CIPHERTEXT));
    }
  });

  it("a secure: value on a key that is not a secret is refused by name, not shown", () => {
    const text = `config:\n  agent-platform:environment: staging\n  agent-platform:tigerbeetle: { clusterId: "7" }\n  agent-platform:logLevel:\n    secure: ${CIPHERTEXT}\n`;
    const result = withStackFile("hostile-secure", text, () =>
      run("budget", "--stack", "hostile-secure"),
    );
    assert.equal(result.status, 1);
    assert.equal(
      result.stderr,
      'Invalid config for stack "hostile-secure" (1 problem); nothing was written:\n' +
        '  - Pulumi.hostile-secure.yaml: agent-platform:logLevel: is not a secret; set it in plaintext with "pulumi config set logLevel <value>" (given a secret value, not shown)\n',
    );
  });

  it('an argument without the "--" gets the hint, from every command', () => {
    // `npm run render --stack staging` keeps --stack for npm and passes only "staging".
    for (const script of ["render", "budget", "spec-check", "agents"]) {
      const result = run(script, "staging");
      assert.equal(result.status, 1, script);
      assert.match(
        result.stderr,
        new RegExp(
          `^Unexpected argument "staging": options go after "--", as in npm run ${script.replace("-", ":")} -- --stack staging; usage: npm run ${script.replace("-", ":")} `,
        ),
      );
    }
  });

  it("spec:check --stack runs the stack's checks: an unpinned spec image passes alone and is refused for production", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spec-check-"));
    for (const f of fs.readdirSync(path.join(ROOT, "spec", "agents"))) {
      fs.copyFileSync(path.join(ROOT, "spec", "agents", f), path.join(dir, f));
    }
    const b = path.join(dir, "b-gent.md");
    fs.writeFileSync(
      b,
      fs.readFileSync(b, "utf8").replace("genus: B\n", "genus: B\nimage: python:latest\n"),
    );
    const alone = run("spec-check", "--dir", dir);
    assert.equal(alone.status, 0, alone.stderr);
    assert.equal(alone.stdout.startsWith(`5 agent specs in ${dir} are valid`), true, alone.stdout);
    assert.equal(run("spec-check", "--dir", dir, "--stack", "staging").status, 0);
    const production = run("spec-check", "--dir", dir, "--stack", "production");
    assert.equal(production.status, 1);
    assert.equal(
      production.stderr,
      'Invalid agents config for stack "production" (1 problem):\n' +
        `  - ${b}: image: expected an image with a pinned version such as "1.4.2" or a digest "sha256:<64 hex>" in production: its tag can be moved to another image; given "python:latest"\n`,
    );
    const shipped = run("spec-check", "--stack", "production");
    assert.equal(shipped.status, 0, shipped.stderr);
    assert.equal(
      shipped.stdout,
      '5 agent specs in spec/agents pass everything stack "production" (production) checks before it deploys\n',
    );
  });

  it("render says which secrets are not set and which it cannot read", () => {
    const result = withStackFile(
      "ci-encrypted",
      `config:\n  agent-platform:environment: staging\n  agent-platform:tigerbeetle: { clusterId: "1" }\n  agent-platform:nostrSecretKey: { secure: "${CIPHERTEXT}" }\n`,
      () =>
        run(
          "render",
          "--stack",
          "ci-encrypted",
          "--out",
          fs.mkdtempSync(path.join(os.tmpdir(), "render-")),
        ),
    );
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(
      result.stderr.split("\n").filter((l) => l.startsWith("note:")),
      [
        'note: secret "nostrSecretKey" is encrypted in the stack file, which a render cannot read; rendered as [secret]',
        'note: secret "connectorAdminApiKey" is not set; rendered as [secret] (pulumi up refuses until it is set)',
        'note: secret "btpAuthToken" is not set; rendered as [secret] (pulumi up refuses until it is set)',
      ],
    );
    assert.ok(!result.stderr.includes(CIPHERTEXT));
  });

  it("npm run tools -- --env that fails makes the shell's eval fail too, saying so", () => {
    // A cache folder inside the repository is refused before anything is built.
    const result = spawnSync(
      "bash",
      [
        "-c",
        'eval "$(AGENT_PLATFORM_CACHE="$PWD/dist/cache" bash scripts/tools.sh --env)" && echo evaluated',
      ],
      { cwd: ROOT, encoding: "utf8" },
    );
    assert.equal(result.status, 1);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /\[tools\] ERROR: cache folder .* must be outside the repository/);
    assert.match(
      result.stderr,
      /\[tools\] the toolchain is not ready \(tools.sh exit 1, see above\): nothing was exported/,
    );
  });

  it("npm run stack without a Pulumi CLI on PATH says where to get one, in one line", () => {
    // Node itself is started by path; nothing named pulumi is on this PATH.
    const result = spawnSync(
      process.execPath,
      ["--import", "tsx", "scripts/stack.ts", "preview", "--stack", "staging"],
      {
        cwd: ROOT,
        encoding: "utf8",
        env: { PATH: "/nonexistent", HOME: os.tmpdir(), PULUMI_BACKEND_URL: "file:///nonexistent" },
      },
    );
    assert.deepEqual(
      { status: result.status, stderr: result.stderr, stdout: result.stdout },
      {
        status: 1,
        stderr:
          'The Pulumi CLI is not on PATH: run eval "$(npm run --silent tools -- --env)" (builds it from Go modules, README "Real engine"), or install the official CLI\n',
        stdout: "",
      },
    );
  });
});
