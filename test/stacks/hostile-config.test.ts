import { strict as assert } from "assert";
import { RawConfig, loadStackConfig } from "../../stacks/config";
import { loadInputs } from "../../stacks/inputs";
import { InvalidInputError } from "../../stacks/problems";
import { MIN_BTP_RETRIES, btpRetryWindowSeconds } from "../../stacks/services/agent-runtime";
import { spec, specDir } from "../kgents/helpers";
import { stackRawConfig } from "../harness";
import { DEFAULT_SPEC_DIR } from "../../kgents/load";

const SECRET_VALUE = "do-not-print-me";

/** A stack file as the CLI would pass it, secrets set, after `change`. */
function raw(
  stack: "staging" | "production",
  change: (values: Record<string, string>, secretKeys: Set<string>) => void = () => {},
  otherKeys: string[] = [],
): RawConfig {
  return { ...stackRawConfig(stack, change), otherKeys };
}

function problems(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof InvalidInputError, String(error));
    assert.ok(!error.message.includes(SECRET_VALUE), "a secret value was printed");
    return error.problems.map((p) => `${p.source}: ${p.path}: ${p.message}`);
  }
  throw new Error("expected the input to be refused");
}

/** A JSON config value, changed: loosely typed because tests write deliberately wrong values. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;
const edit = (json: string | undefined, change: (o: Loose) => void) => {
  // A key the stack file leaves to the defaults starts as an empty override.
  const object = JSON.parse(json ?? "{}") as Loose;
  change(object);
  return JSON.stringify(object);
};

describe("stack config: careless and hostile input", () => {
  const cases: [string, () => RawConfig, string[]][] = [
    [
      "production's file claiming to be staging",
      () => raw("production", (v) => (v.environment = "staging")),
      [
        'Pulumi.production.yaml: agent-platform:environment: expected "production" or nothing: the stack "production" is the production environment; given "staging"',
      ],
    ],
    [
      "a mistyped project prefix",
      () => raw("staging", () => {}, ["agent-platfrom:logLevel", "kubernetes:context"]),
      [
        'Pulumi.staging.yaml: agent-platfrom:logLevel: unknown config namespace "agent-platfrom"; allowed: agent-platform, kubernetes, pulumi (is it a typo of "agent-platform"?)',
      ],
    ],
    [
      "server-side apply switched off in the stack file (the environment variable is then unread)",
      () => ({
        ...raw("staging"),
        providerSettings: {
          "kubernetes:enableServerSideApply": "False",
          PULUMI_K8S_ENABLE_SERVER_SIDE_APPLY: "true",
        },
      }),
      [
        'Pulumi.staging.yaml: kubernetes:enableServerSideApply: expected "true" or unset: kept objects (TigerBeetle\'s namespace, claims and record, the Agent CRD) are Patch resources, which need server-side apply; given "False"',
      ],
    ],
    [
      "server-side apply switched off in the environment",
      () => ({ ...raw("staging"), providerSettings: { PULUMI_K8S_ENABLE_SERVER_SIDE_APPLY: "0" } }),
      [
        'environment: PULUMI_K8S_ENABLE_SERVER_SIDE_APPLY: expected "true" or unset: kept objects (TigerBeetle\'s namespace, claims and record, the Agent CRD) are Patch resources, which need server-side apply; given "0"',
      ],
    ],
    [
      "a __proto__ key that would supply clusterId",
      () =>
        raw("production", (v) => {
          // The stack file's tigerbeetle holds only clusterId; this one hides it in __proto__.
          v.tigerbeetle = '{"__proto__":{"clusterId":"0"}}';
        }),
      [
        "Pulumi.production.yaml: agent-platform:tigerbeetle.__proto__: expected a config field; given a reserved key (__proto__, constructor, prototype)",
        "Pulumi.production.yaml: agent-platform:tigerbeetle.clusterId: expected string; given nothing",
      ],
    ],
    [
      "a secure: value on a key that is not a secret",
      () =>
        raw("staging", (v, secret) => {
          v.logLevel = SECRET_VALUE;
          secret.add("logLevel");
        }),
      [
        'Pulumi.staging.yaml: agent-platform:logLevel: is not a secret; set it in plaintext with "pulumi config set logLevel <value>" (given a secret value, not shown)',
      ],
    ],
    [
      "a mistyped secret key",
      () =>
        raw("staging", (v, secret) => {
          v.nostrSecretKy = SECRET_VALUE;
          secret.add("nostrSecretKy");
        }),
      [
        "Pulumi.staging.yaml: agent-platform:nostrSecretKy: unknown secret key; allowed secret keys: nostrSecretKey, connectorAdminApiKey, btpAuthToken (given a secret value, not shown)",
      ],
    ],
    [
      "a missing image tag in production (production has no default)",
      () => raw("production", (v) => (v.agents = edit(v.agents, (a) => delete a.imageTag))),
      [
        'Pulumi.production.yaml: agent-platform:agents.imageTag: expected an image tag: production has no default, so name a pinned version such as "1.4.2" or a digest "sha256:<64 hex>"; given nothing',
      ],
    ],
    [
      "moving tags in production; a digest is pinned",
      () =>
        raw("production", (v) => {
          v.connector = edit(v.connector, (c) => (c.imageTag = "latest"));
          v.agentSociety = edit(v.agentSociety, (c) => (c.imageTag = "production"));
          v.agentRuntime = edit(v.agentRuntime, (c) => (c.imageTag = `sha256:${"b".repeat(64)}`));
          v.agents = edit(v.agents, (a) => (a.overrides.B = { imageTag: "3.12-slim" }));
        }),
      [
        'Pulumi.production.yaml: agent-platform:agentSociety.imageTag: expected a pinned version such as "1.4.2" or a digest "sha256:<64 hex>" in production (a tag that is not a release version can be moved to another image); given "production"',
        'Pulumi.production.yaml: agent-platform:connector.imageTag: expected a pinned version such as "1.4.2" or a digest "sha256:<64 hex>" in production (a tag that is not a release version can be moved to another image); given "latest"',
        'Pulumi.production.yaml: agent-platform:agents.overrides.B.imageTag: expected a pinned version such as "1.4.2" or a digest "sha256:<64 hex>" in production (a tag that is not a release version can be moved to another image); given "3.12-slim"',
      ],
    ],
    [
      "a seccomp profile path with ..",
      () =>
        raw("staging", (v) => {
          v.tigerbeetle = edit(v.tigerbeetle, (t) => {
            t.seccomp = { type: "localhost", localhostProfile: "../../etc/io-uring.json" };
          });
        }),
      [
        'Pulumi.staging.yaml: agent-platform:tigerbeetle.seccomp.localhostProfile: expected a path without "." or ".." segments (the kubelet refuses them); given "../../etc/io-uring.json"',
      ],
    ],
    [
      "a TigerBeetle memory limit too small for its cache grid",
      () =>
        raw("staging", (v) => {
          v.tigerbeetle = edit(v.tigerbeetle, (t) => {
            t.resources = {
              requests: { cpu: "1", memory: "100Mi" },
              limits: { cpu: "1", memory: "100Mi" },
            };
          });
        }),
      [
        'Pulumi.staging.yaml: agent-platform:tigerbeetle.resources.limits.memory: expected at least 1Gi per replica (--cache-grid takes at least 256MiB, and TigerBeetle needs as much again beside it); given "100Mi"',
      ],
    ],
    [
      "genera of two unknown forms in agents.overrides",
      () =>
        raw("staging", (v) => {
          v.agents = JSON.stringify({ deploy: "all", overrides: { x: {}, yy: {} } });
        }),
      [
        'Pulumi.staging.yaml: agent-platform:agents.overrides.x: expected a genus: one capital letter A-Z, or "Psi"; given the key "x"',
        'Pulumi.staging.yaml: agent-platform:agents.overrides.yy: expected a genus: one capital letter A-Z, or "Psi"; given the key "yy"',
      ],
    ],
  ];

  for (const [what, input, expected] of cases) {
    it(`refuses ${what}, by key, without echoing secrets`, () => {
      assert.deepEqual(
        problems(() => loadStackConfig(input())),
        expected,
      );
    });
  }

  it("lists config, spec and agents-config problems in one error", () => {
    const dir = specDir({
      "b.md": spec("genus: B\nnetworkPolicy: { allowedPeers: [Q, R] }"),
      "l.md": spec("genus: L\nreplicas: eleven"),
    });
    const staging = raw("staging", (v) => (v.logLevel = "loud"));
    assert.deepEqual(
      problems(() => loadInputs(staging, dir)).map((p) => p.replace(/^.*\/(\w\.md)/, "$1")),
      [
        'Pulumi.staging.yaml: agent-platform:logLevel: expected one of "debug", "info", "warn", "error"; given "loud"',
        'l.md: replicas: expected number; given "eleven"',
        // L has a spec, with a problem of its own: it is a genus that exists.
        'b.md: networkPolicy.allowedPeers[0]: expected the genus of an agent with a spec ("B", "L"); given "Q"',
        'b.md: networkPolicy.allowedPeers[1]: expected the genus of an agent with a spec ("B", "L"); given "R"',
      ],
    );
    // With valid specs, unknown genera in overrides are listed together too.
    const overrides = raw("staging", (v) => {
      v.agents = JSON.stringify({ deploy: "all", overrides: { Q: {}, R: {} } });
    });
    assert.deepEqual(
      problems(() => loadInputs(overrides, DEFAULT_SPEC_DIR)),
      [
        'Pulumi.staging.yaml: agent-platform:agents.overrides.Q: expected the genus of an agent with a spec ("B", "F", "L", "Psi", "U"); given "Q"',
        'Pulumi.staging.yaml: agent-platform:agents.overrides.R: expected the genus of an agent with a spec ("B", "F", "L", "Psi", "U"); given "R"',
      ],
    );
  });
});

describe("every problem at once", () => {
  it("a production stack file that breaks every rule gets every problem, schema and rules alike", () => {
    const production = raw("production", (v) => {
      v.logLevel = "loud";
      v.agentSociety = JSON.stringify({ imageTag: "latest", replicas: -1 });
      v.agentRuntime = JSON.stringify({ imageTag: "1.0.0", btpMaxRetries: 3 });
      v.tigerbeetle = JSON.stringify({ clusterId: "0", replicaCount: 2, development: "maybe" });
      v.agents = JSON.stringify({
        imageTag: "1.0.0",
        overrides: { b: {}, Q: {}, L: { replicas: 3 } },
      });
    });
    assert.deepEqual(
      problems(() => loadInputs(production, DEFAULT_SPEC_DIR)),
      [
        'Pulumi.production.yaml: agent-platform:logLevel: expected one of "debug", "info", "warn", "error"; given "loud"',
        'Pulumi.production.yaml: agent-platform:tigerbeetle.development: expected boolean; given "maybe"',
        "Pulumi.production.yaml: agent-platform:agentSociety.replicas: expected >= 0; given -1",
        "Pulumi.production.yaml: agent-platform:agentRuntime.btpMaxRetries: expected at least 10, so that agent-runtime keeps retrying while the connector starts after it (Pulumi waits up to 600 s for it); given 3",
        'Pulumi.production.yaml: agent-platform:agents.overrides.b: expected a genus: one capital letter A-Z, or "Psi"; given the key "b"',
        'Pulumi.production.yaml: agent-platform:agentSociety.imageTag: expected a pinned version such as "1.4.2" or a digest "sha256:<64 hex>" in production (a tag that is not a release version can be moved to another image); given "latest"',
        "Pulumi.production.yaml: agent-platform:tigerbeetle.replicaCount: expected at least 3 replicas in production (6 over three zones recommended); given 2",
        'Pulumi.production.yaml: agent-platform:tigerbeetle.clusterId: expected a cluster ID other than 0 in production (0 is reserved for testing); given "0"',
        'Pulumi.production.yaml: agent-platform:agents.overrides.Q: expected the genus of an agent with a spec ("B", "F", "L", "Psi", "U"); given "Q"',
      ],
    );
  });

  it("one typo in a spec reads as one problem, not one more for each agent that calls it", () => {
    const dir = specDir({
      "b.md": spec("genus: B\nnetworkPolicy: { allowedPeers: [L] }"),
      "f.md": spec("genus: F\nnetworkPolicy: { allowedPeers: [L] }"),
      "l.md": spec("genus: L\nreplica: 2"),
      "psi.md": spec("genus: Psi\nnetworkPolicy: { allowedPeers: [L] }"),
    });
    assert.deepEqual(
      problems(() => loadInputs(raw("staging"), dir)).map((p) => p.replace(/^.*\/(\w+\.md)/, "$1")),
      [
        "l.md: replica: unknown field; allowed fields: genus, name, image, replicas, resources, sidecar, entrypoint, config, networkPolicy; given 2",
      ],
    );
  });
});

describe("agent images in production", () => {
  const specs = specDir({
    "b.md": spec("genus: B\nimage: python:latest\nsidecar: { image: ghcr.io/acme/d:latest }"),
    "l.md": spec(`genus: L\nimage: python:latest@sha256:${"a".repeat(64)}`),
  });

  it("refuses a moving tag on a deployed spec's image and sidecar image; a digest pins any tag", () => {
    assert.deepEqual(
      problems(() => loadInputs(raw("production"), specs)).map((p) =>
        p.replace(/^.*\/(\w\.md)/, "$1"),
      ),
      [
        'b.md: image: expected an image with a pinned version such as "1.4.2" or a digest "sha256:<64 hex>" in production: its tag can be moved to another image; given "python:latest"',
        'b.md: sidecar.image: expected an image with a pinned version such as "1.4.2" or a digest "sha256:<64 hex>" in production: its tag can be moved to another image; given "ghcr.io/acme/d:latest"',
      ],
    );
  });

  it("accepts them in staging, and in production when the stack overrides the logic image's tag", () => {
    assert.equal(loadInputs(raw("staging"), specs).specs.length, 2);
    const overridden = raw("production", (v) => {
      v.agents = JSON.stringify({
        imageTag: "1.0.0",
        deploy: "all",
        overrides: { B: { imageTag: "3.12.8" } },
      });
    });
    assert.deepEqual(
      problems(() => loadInputs(overridden, specs)).map((p) => p.replace(/^.*\/(\w\.md)/, "$1")),
      [
        'b.md: sidecar.image: expected an image with a pinned version such as "1.4.2" or a digest "sha256:<64 hex>" in production: its tag can be moved to another image; given "ghcr.io/acme/d:latest"',
      ],
    );
  });
});

describe("agent-runtime's BTP retries outlast the connector's start", () => {
  it("the default window (10 retries) is longer than the provider's 600 s wait; 5 is refused", () => {
    assert.equal(btpRetryWindowSeconds(5), 31);
    assert.equal(btpRetryWindowSeconds(MIN_BTP_RETRIES), 1023);
    assert.ok(btpRetryWindowSeconds(MIN_BTP_RETRIES - 1) < 600);
    assert.equal(loadStackConfig(raw("staging")).agentRuntime.btpMaxRetries, 10);
    assert.deepEqual(
      problems(() =>
        loadStackConfig(
          raw(
            "staging",
            (v) => (v.agentRuntime = edit(v.agentRuntime, (a) => (a.btpMaxRetries = 5))),
          ),
        ),
      ),
      [
        "Pulumi.staging.yaml: agent-platform:agentRuntime.btpMaxRetries: expected at least 10, so that agent-runtime keeps retrying while the connector starts after it (Pulumi waits up to 600 s for it); given 5",
      ],
    );
  });
});
