import { AGENT_STORAGE } from "../../stacks/defaults";
import { strict as assert } from "assert";
import { loadAgentSpecs } from "../../kgents/load";
import { checkAgentsConfig, planAgents, withTag } from "../../kgents/plan";
import { withStorage } from "../../stacks/schema-parts";
import { InvalidInputError } from "../../stacks/problems";

const specs = loadAgentSpecs();
const REGISTRY = "ghcr.io/acme";

describe("agents config against specs", () => {
  it("deploys every spec by default, peers and callers worked out", () => {
    const plan = planAgents(
      { imageTag: "staging", deploy: "all", overrides: {}, ephemeralStorage: AGENT_STORAGE },
      specs,
      "staging",
      REGISTRY,
    );
    assert.deepEqual(
      plan.map((a) => [a.genus, a.peers, a.callers]),
      [
        ["B", ["L", "F"], ["U"]],
        ["F", ["L"], ["B"]],
        ["L", [], ["B", "F", "Psi"]],
        ["Psi", ["L"], []],
        ["U", ["B"], []],
      ],
    );
  });

  it("applies replicas, image tag and resources overrides to that agent only", () => {
    const resources = {
      requests: { cpu: "300m", memory: "512Mi" },
      limits: { cpu: "1", memory: "1Gi" },
    };
    const plan = planAgents(
      {
        imageTag: "staging",
        deploy: "all",
        overrides: { B: { replicas: 3, imageTag: "1.5.0-rc.1", resources } },
        ephemeralStorage: AGENT_STORAGE,
      },
      specs,
      "staging",
      REGISTRY,
    );
    const [b, f] = plan;
    assert.equal(b.replicas, 3);
    assert.equal(b.image, "ghcr.io/acme/kgents:1.5.0-rc.1");
    assert.equal(b.sidecar.image, "ghcr.io/acme/kgents:1.5.0-rc.1");
    // CPU and memory from the override; ephemeral storage is the stack's for every agent.
    assert.deepEqual(b.resources, withStorage(resources, AGENT_STORAGE));
    assert.deepEqual(b.sidecar.resources, withStorage(specs[0].sidecar.resources, AGENT_STORAGE));
    assert.deepEqual(b.resources.limits["ephemeral-storage"], "1536Mi");
    assert.equal(f.replicas, 1);
    // No spec sets an image: each runs the stack's kgents image.
    assert.equal(f.image, "ghcr.io/acme/kgents:staging");
  });

  it("a spec's own image is used as written, its tag overridable", () => {
    const own = { ...specs[1], image: "registry.example:5000/team/forge:2.0.1" };
    const [plain] = planAgents(
      { imageTag: "staging", deploy: ["F", "L"], overrides: {}, ephemeralStorage: AGENT_STORAGE },
      [own, specs[2]],
      "staging",
      REGISTRY,
    );
    assert.equal(plain.image, "registry.example:5000/team/forge:2.0.1");
    const [overridden] = planAgents(
      {
        imageTag: "staging",
        deploy: ["F", "L"],
        overrides: { F: { imageTag: "2.0.2" } },
        ephemeralStorage: AGENT_STORAGE,
      },
      [own, specs[2]],
      "staging",
      REGISTRY,
    );
    assert.equal(overridden.image, "registry.example:5000/team/forge:2.0.2");
  });

  it("deploys a chosen subset and only counts deployed callers", () => {
    const plan = planAgents(
      { imageTag: "staging", deploy: ["L", "F"], overrides: {}, ephemeralStorage: AGENT_STORAGE },
      specs,
      "staging",
      REGISTRY,
    );
    assert.deepEqual(
      plan.map((a) => [a.genus, a.callers]),
      [
        ["F", []],
        ["L", ["F"]],
      ],
    );
  });

  it("names overrides and deploy entries without a spec, and missing peers", () => {
    assert.deepEqual(
      checkAgentsConfig(
        {
          imageTag: "1.0.0",
          deploy: ["B", "Q", "F"],
          overrides: { X: { replicas: 2 }, F: {} },
          ephemeralStorage: AGENT_STORAGE,
        },
        specs,
        "production",
      ),
      [
        {
          source: "Pulumi.production.yaml",
          path: "agent-platform:agents.deploy[1]",
          message:
            'expected the genus of an agent with a spec ("B", "F", "L", "Psi", "U"); given "Q"',
        },
        {
          source: "Pulumi.production.yaml",
          path: "agent-platform:agents.deploy",
          message:
            'expected every peer of a deployed agent to be deployed too: B-gent (spec/agents/b-gent.md) lists "L" in networkPolicy.allowedPeers; given ["B","Q","F"]',
        },
        {
          source: "Pulumi.production.yaml",
          path: "agent-platform:agents.deploy",
          message:
            'expected every peer of a deployed agent to be deployed too: F-gent (spec/agents/f-gent.md) lists "L" in networkPolicy.allowedPeers; given ["B","Q","F"]',
        },
        {
          source: "Pulumi.production.yaml",
          path: "agent-platform:agents.overrides.X",
          message:
            'expected the genus of an agent with a spec ("B", "F", "L", "Psi", "U"); given "X"',
        },
      ],
    );
    assert.throws(
      () =>
        planAgents(
          {
            imageTag: "staging",
            deploy: "all",
            overrides: { X: {} },
            ephemeralStorage: AGENT_STORAGE,
          },
          specs,
          "staging",
          REGISTRY,
        ),
      (e: unknown) =>
        e instanceof InvalidInputError &&
        e.message ===
          'Invalid agents config for stack "staging" (1 problem); nothing was deployed:\n  - Pulumi.staging.yaml: agent-platform:agents.overrides.X: expected the genus of an agent with a spec ("B", "F", "L", "Psi", "U"); given "X"',
    );
  });

  it("replaces an image's tag and drops a digest", () => {
    assert.equal(withTag("python:3.12-slim", "3.13"), "python:3.13");
    assert.equal(withTag("ghcr.io:5000/acme/kgents", "1.2"), "ghcr.io:5000/acme/kgents:1.2");
    assert.equal(
      withTag(`ghcr.io/acme/kgents:1.0@sha256:${"a".repeat(64)}`, "1.1"),
      "ghcr.io/acme/kgents:1.1",
    );
  });
});
