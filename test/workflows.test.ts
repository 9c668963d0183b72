import { strict as assert } from "assert";
import { readFileSync, readdirSync } from "fs";
import { join } from "path";
import { validateWorkflow } from "@action-validator/core";
import { dump, load } from "js-yaml";
import { at } from "./harness";

/**
 * The GitHub Actions workflows, checked against the GitHub workflow JSON schema (SchemaStore's
 * github-workflow.json, compiled into `@action-validator/core`: no network), then for what the
 * README promises of them.
 */

const DIR = join(__dirname, "..", ".github", "workflows");

function read(file: string): string {
  return readFileSync(join(DIR, file), "utf8");
}

/** The paths of the schema errors of a workflow's text; [] when it is valid. */
function schemaErrors(text: string): string[] {
  return validateWorkflow(text).errors.map((e) => ("path" in e ? e.path : e.code));
}

/** A workflow as data, read field by field in the tests. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function parsed(file: string): any {
  return load(read(file));
}

/** A workflow parsed, changed by `edit`, and written back as YAML. */
function edited(file: string, edit: (workflow: Record<string, unknown>) => void): string {
  const workflow = load(read(file)) as Record<string, unknown>;
  edit(workflow);
  return dump(workflow);
}

type Step = { uses?: string; run?: string; with?: Record<string, unknown> };

function steps(workflow: unknown, job: string): Step[] {
  return at(workflow, "jobs", job, "steps");
}

/** The `pulumi/actions` step of a job, and that everything it needs ran before it. */
function pulumiStep(workflow: unknown, job: string): Step {
  const all = steps(workflow, job);
  const index = all.findIndex((s) => s.uses?.startsWith("pulumi/actions@"));
  assert.ok(index > 0, `${job} has a pulumi/actions step`);
  const before = all.slice(0, index);
  assert.equal(before[0].uses, "actions/checkout@v4");
  assert.deepEqual(before[1], {
    uses: "actions/setup-node@v4",
    with: { "node-version": 20, cache: "npm" },
  });
  assert.equal(before[2].run, "npm ci");
  assert.ok(before.some((s) => s.run?.includes("KUBECONFIG=$RUNNER_TEMP/kubeconfig")));
  return all[index];
}

describe("GitHub Actions workflows", () => {
  it("there are exactly the three workflows, and each passes the workflow schema", () => {
    assert.deepEqual(readdirSync(DIR).sort(), ["deploy.yml", "drift.yml", "pull-request.yml"]);
    for (const file of ["deploy.yml", "drift.yml", "pull-request.yml"]) {
      assert.deepEqual(schemaErrors(read(file)), [], file);
    }
  });

  it("the validator rejects broken workflows (the check can fail)", () => {
    assert.deepEqual(schemaErrors(edited("pull-request.yml", (w) => (w.on = "pull_requests"))), [
      "/on",
    ]);
    assert.deepEqual(
      schemaErrors(edited("deploy.yml", (w) => delete at(w, "jobs", "production")["runs-on"])),
      ["/jobs/production"],
    );
    assert.deepEqual(
      schemaErrors(
        edited("pull-request.yml", (w) => (at(w, "jobs", "preview").permissions.issues = "all")),
      ),
      ["/jobs/preview"],
    );
    assert.equal(schemaErrors("jobs: [unclosed").length, 1);
  });

  describe("pull-request.yml", () => {
    const workflow = parsed("pull-request.yml");

    it("runs on pull requests to main with read-only permissions by default", () => {
      assert.deepEqual(workflow.on, { pull_request: { branches: ["main"] } });
      assert.deepEqual(workflow.permissions, { contents: "read" });
      assert.deepEqual(
        steps(workflow, "test").map((s) => s.run ?? s.uses),
        ["actions/checkout@v4", "actions/setup-node@v4", "npm ci", "npm test", "npm run lint"],
      );
    });

    it("previews each stack with the policy pack after the tests and comments on the PR", () => {
      const preview = workflow.jobs.preview;
      assert.equal(preview.needs, "test");
      assert.deepEqual(preview.strategy.matrix, { stack: ["staging", "production"] });
      assert.deepEqual(preview.permissions, { contents: "read", "pull-requests": "write" });
      // The branch's code runs here: each stack's secrets come from its own environment, and
      // preview-production hands them out only after a reviewer approves.
      assert.equal(preview.environment, "preview-${{ matrix.stack }}");
      assert.ok(JSON.stringify(preview).includes("${{ secrets.KUBECONFIG }}"));
      assert.ok(!JSON.stringify(preview).includes("KUBECONFIG_PRODUCTION"));
      assert.deepEqual(preview.env, {
        PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}",
      });
      assert.deepEqual(preview.concurrency, {
        group: "preview-${{ matrix.stack }}-pr-${{ github.event.pull_request.number }}",
        "cancel-in-progress": true,
      });
      assert.deepEqual(pulumiStep(workflow, "preview"), {
        uses: "pulumi/actions@v6",
        with: {
          command: "preview",
          "stack-name": "${{ matrix.stack }}",
          "cloud-url": "${{ secrets.PULUMI_BACKEND_URL }}",
          policyPacks: "policy",
          "comment-on-pr": true,
          "github-token": "${{ secrets.GITHUB_TOKEN }}",
        },
      });
    });
  });

  describe("deploy.yml", () => {
    const workflow = parsed("deploy.yml");

    it("runs on pushes to main: test, then staging, then production", () => {
      assert.deepEqual(workflow.on, { push: { branches: ["main"] } });
      assert.deepEqual(workflow.permissions, { contents: "read" });
      assert.deepEqual(Object.keys(workflow.jobs), ["test", "staging", "production"]);
      assert.equal(workflow.jobs.staging.needs, "test");
      assert.equal(workflow.jobs.production.needs, "staging");
    });

    for (const stack of ["staging", "production"]) {
      it(`${stack}: preview, then up, with the policy pack, in its environment, one at a time`, () => {
        const job = workflow.jobs[stack];
        assert.equal(job.environment, stack);
        assert.equal(job.permissions, undefined);
        assert.deepEqual(job.concurrency, {
          group: `pulumi-up-${stack}`,
          "cancel-in-progress": false,
        });
        const pulumiSteps = (command: string) => ({
          uses: "pulumi/actions@v6",
          with: {
            command,
            "stack-name": stack,
            "cloud-url": "${{ secrets.PULUMI_BACKEND_URL }}",
            policyPacks: "policy",
          },
        });
        // The preview comes first (stack policies run only after an update's changes).
        assert.deepEqual(pulumiStep(workflow, stack), pulumiSteps("preview"));
        assert.deepEqual(steps(workflow, stack).slice(-2), [
          pulumiSteps("preview"),
          pulumiSteps("up"),
        ]);
      });
    }
  });

  describe("drift.yml", () => {
    const workflow = parsed("drift.yml");
    const job = workflow.jobs.drift;

    it("runs every day and on demand, read-only, in each stack's preview environment", () => {
      assert.deepEqual(workflow.on, {
        schedule: [{ cron: "17 6 * * *" }],
        workflow_dispatch: null,
      });
      assert.deepEqual(workflow.permissions, { contents: "read" });
      assert.deepEqual(Object.keys(workflow.jobs), ["drift"]);
      assert.equal(job.permissions, undefined);
      assert.deepEqual(job.strategy, {
        "fail-fast": false,
        matrix: { stack: ["staging", "production"] },
      });
      // The pull-request previews' environments: a read-only kubeconfig, this stack's passphrase.
      assert.equal(job.environment, parsed("pull-request.yml").jobs.preview.environment);
      assert.deepEqual(job.env, {
        PULUMI_BACKEND_URL: "${{ secrets.PULUMI_BACKEND_URL }}",
        PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}",
      });
      assert.deepEqual(job.concurrency, {
        group: "drift-${{ matrix.stack }}",
        "cancel-in-progress": true,
      });
    });

    it("installs the CLI of the SDK's release, then fails on drift with the report as its summary", () => {
      // The CLI only: without a command the action runs nothing.
      assert.deepEqual(pulumiStep(workflow, "drift"), {
        uses: "pulumi/actions@v6",
        with: { "pulumi-version": "3.248.0" },
      });
      const sdk = JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8"))
        .dependencies["@pulumi/pulumi"];
      assert.equal(sdk, "3.248.0");
      const last = steps(workflow, "drift").at(-1) as Step & { shell?: string; env?: object };
      assert.equal(last.shell, "bash");
      assert.deepEqual(last.env, { STACK: "${{ matrix.stack }}" });
      // pipefail: tee must not hide the drift command's exit code (2 on drift).
      assert.equal(
        last.run,
        'set -o pipefail\nnpm run --silent stack -- drift --stack "$STACK" | tee -a "$GITHUB_STEP_SUMMARY"\n',
      );
    });
  });
});
