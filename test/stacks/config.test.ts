import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { LoadedStackConfig, RawConfig, deepMerge, loadStackConfig } from "../../stacks/config";
import { InvalidInputError } from "../../stacks/problems";
import { SECRETS } from "../../stacks/secrets";
import { TEST_SECRET, editedObject, render, renderError, stackRawConfig } from "../harness";

const KEY = TEST_SECRET;

/** The staging stack file as the CLI would pass it, with a real-looking secret set. */
function stagingRaw(change: (values: Record<string, string>) => void = () => {}): RawConfig {
  return stackRawConfig("staging", change);
}

function refusal(raw: RawConfig): string[] {
  try {
    loadStackConfig(raw);
  } catch (error) {
    assert.ok(error instanceof InvalidInputError);
    return error.problems.map((p) => `${p.source}: ${p.path}: ${p.message}`);
  }
  throw new Error("expected the config to be refused");
}

describe("stack config", () => {
  it("loads both shipped stacks with their environments", async () => {
    assert.equal((await render("staging")).outputs.environment, "staging");
    assert.equal((await render("production")).outputs.environment, "production");
  });

  it("fills keys a stack file leaves out from its environment's defaults", () => {
    const config = loadStackConfig(
      stagingRaw((v) => {
        delete v.agentSociety;
        delete v.logLevel;
      }),
    );
    assert.equal(config.logLevel, "debug");
    assert.equal(config.agentSociety.replicas, 1);
    assert.deepEqual(config.agentSociety.resources, {
      requests: { cpu: "100m", memory: "128Mi", "ephemeral-storage": "128Mi" },
      limits: { cpu: "500m", memory: "256Mi", "ephemeral-storage": "512Mi" },
    });
  });

  it("merges a partial object over the defaults, field by field", () => {
    const config = loadStackConfig(
      stagingRaw((v) => (v.agentSociety = JSON.stringify({ replicas: 4 }))),
    );
    assert.equal(config.agentSociety.replicas, 4);
    assert.equal(config.agentSociety.imageTag, "staging");
    assert.deepEqual(deepMerge({ a: { b: 1, c: [1] } }, { a: { c: [2] } }), {
      a: { b: 1, c: [2] },
    });
  });

  it("returns secrets as secret Outputs", async () => {
    const config: LoadedStackConfig = loadStackConfig(stagingRaw());
    const output = config.secrets.nostrSecretKey as unknown as { isSecret: Promise<boolean> };
    assert.equal(await output.isSecret, true);
    assert.ok(pulumi.Output.isInstance(config.secrets.nostrSecretKey));
  });

  it("refuses a negative replica count, naming the key", async () => {
    const agentSociety = editedObject("production", "agentSociety", (v) => (v.replicas = -1));
    const error = await renderError("production", { agentSociety });
    assert.equal(
      error.message,
      'Invalid config for stack "production" (1 problem); nothing was deployed:\n' +
        "  - Pulumi.production.yaml: agent-platform:agentSociety.replicas: expected >= 0; given -1",
    );
  });

  it("refuses a bad Nostr key without showing it", async () => {
    const error = await renderError("production", { nostrSecretKey: "not-a-key" });
    assert.equal(
      error.message,
      'Invalid config for stack "production" (1 problem); nothing was deployed:\n' +
        "  - Pulumi.production.yaml: agent-platform:nostrSecretKey: agent-society's Nostr private key " +
        "(NOSTR_SECRET_KEY), 64 hex characters: expected exactly 64 hex characters; given a secret value (not shown)",
    );
    assert.ok(!error.message.includes("not-a-key"));
  });

  it("refuses unknown keys, top-level and nested, listing the allowed ones", async () => {
    const agentSociety = editedObject("staging", "agentSociety", (v) => (v.replica = 2));
    const error = await renderError("staging", { replicas: "2", agentSociety });
    assert.deepEqual(
      error.problems.map((p) => `${p.path}: ${p.message}`),
      [
        "agent-platform:agentSociety.replica: unknown key; allowed keys: imageTag, replicas, resources, nodeId, " +
          "ilpAddress, assetCode, assetScale, basePricePerByte, supportedChains, settlementTimeout, initialDeposit",
        "agent-platform:replicas: unknown key; allowed keys: environment, namespaceSuffix, imageRegistry, logLevel, tigerbeetle, agentSociety, agentRuntime, connector, agents, budgets",
      ],
    );
  });

  it("lists every problem at once", () => {
    const problems = refusal(
      stagingRaw((v) => {
        v.environment = "prod";
        v.logLevel = "loud";
        v.namespaceSuffix = "_Staging";
        v.agentSociety = JSON.stringify({
          imageTag: "bad tag",
          resources: {
            requests: { cpu: "2", memory: "1Gi" },
            limits: { cpu: "1", memory: "lots" },
          },
          supportedChains: [],
        });
      }),
    );
    assert.deepEqual(problems, [
      'Pulumi.staging.yaml: agent-platform:environment: expected "staging" or nothing: the stack "staging" is the staging environment; given "prod"',
      'Pulumi.staging.yaml: agent-platform:namespaceSuffix: expected "" or a suffix such as "-staging" (lower case, at most 21 characters); given "_Staging"',
      'Pulumi.staging.yaml: agent-platform:logLevel: expected one of "debug", "info", "warn", "error"; given "loud"',
      'Pulumi.staging.yaml: agent-platform:agentSociety.imageTag: expected an image tag such as "1.4.2", or a digest "sha256:<64 hex>"; given "bad tag"',
      'Pulumi.staging.yaml: agent-platform:agentSociety.resources.limits.memory: expected a memory quantity such as "256Mi" or "1Gi"; given "lots"',
      'Pulumi.staging.yaml: agent-platform:agentSociety.resources.requests.cpu: expected a request no larger than the limit 1; given "2"',
      "Pulumi.staging.yaml: agent-platform:agentSociety.supportedChains: expected at least 1 entry; given []",
    ]);
  });

  it("takes values as `pulumi config set --path` stores them, normalized once", () => {
    // The CLI stores an integer as a number, true/false as booleans, anything else as text, and
    // with --type string digits as text (npm run test:e2e sets these through the CLI itself).
    const config = loadStackConfig(
      stagingRaw((v) => {
        v.tigerbeetle = JSON.stringify({
          clusterId: 48151623420815,
          replicaCount: "3",
          development: "true",
          resources: { limits: { cpu: 3 }, requests: { cpu: "0.5", "ephemeral-storage": 256 } },
        });
        v.agentRuntime = JSON.stringify({ btpMaxRetries: "12", spspEnabled: "false" });
        v.budgets = JSON.stringify({ agents: { pods: "15", limits: { cpu: 4 } } });
      }),
    );
    assert.equal(config.tigerbeetle.clusterId, "48151623420815");
    assert.equal(config.tigerbeetle.replicaCount, 3);
    assert.equal(config.tigerbeetle.development, true);
    assert.equal(config.tigerbeetle.resources.limits.cpu, "3");
    assert.equal(config.tigerbeetle.resources.requests.cpu, "0.5");
    assert.equal(config.tigerbeetle.resources.requests["ephemeral-storage"], "256");
    assert.equal(config.agentRuntime.btpMaxRetries, 12);
    assert.equal(config.agentRuntime.spspEnabled, false);
    assert.equal(config.budgets.agents.pods, 15);
    assert.equal(config.budgets.agents.limits.cpu, "4");
  });

  it("still refuses what the CLI's forms do not make right", () => {
    assert.deepEqual(
      refusal(
        stagingRaw((v) => {
          v.tigerbeetle = JSON.stringify({
            clusterId: 2 ** 60,
            replicaCount: "three",
            development: "yes",
            resources: { limits: { cpu: -1 } },
          });
          v.agentRuntime = JSON.stringify({ btpMaxRetries: "1.5" });
        }),
      ),
      [
        // 2^60 as JSON gives the nearest double; the message shows what was read.
        "Pulumi.staging.yaml: agent-platform:tigerbeetle.clusterId: expected the cluster ID as text: a number this large is not read exactly; set it with pulumi config set --path --type string tigerbeetle.clusterId <id>; given 1152921504606847000",
        'Pulumi.staging.yaml: agent-platform:tigerbeetle.replicaCount: expected number; given "three"',
        'Pulumi.staging.yaml: agent-platform:tigerbeetle.resources.limits.cpu: expected a CPU quantity such as "250m" or "0.5"; given "-1"',
        'Pulumi.staging.yaml: agent-platform:tigerbeetle.development: expected boolean; given "yes"',
        'Pulumi.staging.yaml: agent-platform:agentRuntime.btpMaxRetries: expected number; given "1.5"',
      ],
    );
  });

  it("takes budgets.nearPercent, 80 by default, as a whole percentage from 1 to 100", () => {
    assert.equal(loadStackConfig(stagingRaw()).budgets.nearPercent, 80);
    const set = (value: unknown) =>
      stagingRaw((v) => (v.budgets = JSON.stringify({ nearPercent: value })));
    assert.equal(loadStackConfig(set("95")).budgets.nearPercent, 95);
    assert.equal(loadStackConfig(set(100)).budgets.nearPercent, 100);
    assert.deepEqual(
      [0, 101, 80.5, "most"].flatMap((value) => refusal(set(value))),
      [
        "Pulumi.staging.yaml: agent-platform:budgets.nearPercent: expected >= 1; given 0",
        "Pulumi.staging.yaml: agent-platform:budgets.nearPercent: expected <= 100; given 101",
        "Pulumi.staging.yaml: agent-platform:budgets.nearPercent: expected int; given 80.5",
        'Pulumi.staging.yaml: agent-platform:budgets.nearPercent: expected number; given "most"',
      ],
    );
  });

  it("refuses requests above limits", () => {
    const problems = refusal(
      stagingRaw(
        (v) =>
          (v.agentSociety = JSON.stringify({
            resources: {
              requests: { cpu: "2", memory: "1Gi" },
              limits: { cpu: "1500m", memory: "1Gi" },
            },
          })),
      ),
    );
    assert.deepEqual(problems, [
      'Pulumi.staging.yaml: agent-platform:agentSociety.resources.requests.cpu: expected a request no larger than the limit 1500m; given "2"',
    ]);
  });

  it("refuses a missing secret on pulumi up, saying how to set it", () => {
    const problems = refusal(stagingRaw((v) => delete v.nostrSecretKey));
    assert.deepEqual(problems, [
      "Pulumi.staging.yaml: agent-platform:nostrSecretKey: is not set; it is agent-society's Nostr private key " +
        '(NOSTR_SECRET_KEY), 64 hex characters. Set it with: pulumi config set --secret --stack staging nostrSecretKey "$(openssl rand -hex 32)"',
    ]);
  });

  it("refuses a secret written in plaintext, without echoing it", () => {
    const raw = stagingRaw();
    const others = Object.keys(SECRETS).filter((k) => k !== "nostrSecretKey");
    const problems = refusal({ ...raw, secretKeys: new Set(others) });
    assert.equal(problems.length, 1);
    assert.match(
      problems[0],
      /^Pulumi\.staging\.yaml: agent-platform:nostrSecretKey: is a secret and must be set with "pulumi config set --secret nostrSecretKey <value>"/,
    );
    assert.ok(!problems[0].includes(KEY));
  });

  it("registers no resource when the config is wrong", async () => {
    await renderError("staging", { logLevel: "loud" });
    const monitor = pulumi.runtime.getMonitor() as unknown as { resources: Map<string, unknown> };
    assert.equal(monitor.resources.size, 0);
  });

  it("is a RunError, which the Pulumi CLI prints without a stack trace", async () => {
    const error = await renderError("staging", { logLevel: "loud" });
    assert.ok(pulumi.RunError.isInstance(error));
  });
});
