import { strict as assert } from "assert";
import { CATALOG } from "../../stacks/catalog";
import { renderStack } from "../../scripts/render-lib";
import { imageRegistryUnsetWarning, loadStackConfig } from "../../stacks/config";
import { IMAGE_REGISTRY_UNSET, imageRef, isPinned } from "../../stacks/images";
import { InvalidInputError } from "../../stacks/problems";
import { at, editedObject, one, render, stackRawConfig } from "../harness";

/** Where images come from (issue 14, item 4): configuration `pulumi up` requires. */

function rawConfig(stack: "staging" | "production", extra: Record<string, string> = {}) {
  return stackRawConfig(stack, (values) => Object.assign(values, extra));
}

function images(manifests: readonly { kind: string }[]): string[] {
  const found = new Set<string>();
  const walk = (value: unknown, key?: string) => {
    if (typeof value === "string" && key === "image") found.add(value);
    else if (Array.isArray(value)) value.forEach((v) => walk(v));
    else if (typeof value === "object" && value !== null) {
      for (const [k, v] of Object.entries(value)) walk(v, k);
    }
  };
  manifests.forEach((m) => walk(m));
  return [...found].sort();
}

describe("images: where they come from", () => {
  it("pulumi up without imageRegistry is refused, naming the key and how to set it", async () => {
    for (const stack of ["staging", "production"] as const) {
      assert.throws(
        () => loadStackConfig({ ...rawConfig(stack), deploying: true }),
        (e: unknown) =>
          e instanceof InvalidInputError &&
          e.problems.length === 1 &&
          `${e.problems[0].source}: ${e.problems[0].path}: ${e.problems[0].message}` ===
            `Pulumi.${stack}.yaml: agent-platform:imageRegistry: is not set; pulumi up needs the registry that holds the platform's images (agent-society, agent-runtime/core, agent-runtime/connector, kgents). Set it with: pulumi config set --stack ${stack} imageRegistry <registry such as ghcr.io/acme>`,
      );
      // A preview (and the render) runs, and says so; with the key set, `up` runs too.
      assert.equal(
        loadStackConfig({ ...rawConfig(stack), deploying: false }).imageRegistry,
        undefined,
      );
      const set = rawConfig(stack, { imageRegistry: "ghcr.io/acme" });
      assert.equal(loadStackConfig({ ...set, deploying: true }).imageRegistry, "ghcr.io/acme");
    }
  });

  it("the program itself refuses under `pulumi up`, before any resource is registered", async () => {
    await assert.rejects(
      renderStack({ stack: "staging", mode: "up" }),
      (e: unknown) =>
        e instanceof InvalidInputError &&
        e.problems.map((p) => p.path).join() === "agent-platform:imageRegistry",
    );
    const run = await renderStack({
      stack: "staging",
      mode: "up",
      overrides: { imageRegistry: "ghcr.io/acme" },
    });
    assert.deepEqual(run.warnings, []);
  });

  it("a render without a registry marks every platform image, and warns", async () => {
    const { manifests, warnings } = await render("staging");
    assert.deepEqual(warnings, [imageRegistryUnsetWarning("staging")]);
    assert.match(warnings[0], /pulumi config set --stack staging imageRegistry /);
    assert.deepEqual(images(manifests), [
      "ghcr.io/tigerbeetle/tigerbeetle:0.16.68",
      `${IMAGE_REGISTRY_UNSET}/agent-runtime/connector:staging`,
      `${IMAGE_REGISTRY_UNSET}/agent-runtime/core:staging`,
      `${IMAGE_REGISTRY_UNSET}/agent-society:staging`,
      `${IMAGE_REGISTRY_UNSET}/kgents:staging`,
    ]);
  });

  it("with a registry, every platform image comes from it; production's are pinned", async () => {
    const { manifests, warnings } = await render("production", { imageRegistry: "ghcr.io/acme" });
    assert.deepEqual(warnings, []);
    assert.deepEqual(images(manifests), [
      "ghcr.io/acme/agent-runtime/connector:1.0.0",
      "ghcr.io/acme/agent-runtime/core:1.0.0",
      "ghcr.io/acme/agent-society:1.0.0",
      "ghcr.io/acme/kgents:1.0.0",
      "ghcr.io/tigerbeetle/tigerbeetle:0.16.68",
    ]);
  });

  it('"" is not a registry: a bare name would be pulled from Docker Hub', () => {
    assert.throws(
      () => loadStackConfig({ ...rawConfig("staging", { imageRegistry: "" }), deploying: true }),
      (e: unknown) =>
        e instanceof InvalidInputError &&
        e.problems.map((p) => `${p.path}: ${p.message}`).join("\n") ===
          `agent-platform:imageRegistry: expected a registry such as "ghcr.io/acme" (the platform's images are pulled from <registry>/agent-society:<tag>, ...); given ""`,
    );
  });

  it("a digest is written after @, a tag after :", () => {
    const digest = `sha256:${"c".repeat(64)}`;
    assert.equal(
      imageRef("ghcr.io/acme", CATALOG.agentSociety.image.repository, digest),
      `ghcr.io/acme/agent-society@${digest}`,
    );
    assert.equal(
      imageRef("registry.local:5000/team", CATALOG.connector.image.repository, "1.4.2"),
      "registry.local:5000/team/agent-runtime/connector:1.4.2",
    );
  });

  it("TigerBeetle's official image by digest too: <repository>@sha256:..., under no registry", async () => {
    const digest = `sha256:${"e".repeat(64)}`;
    const { manifests } = await render("staging", {
      tigerbeetle: editedObject("staging", "tigerbeetle", (tb) => (tb.imageTag = digest)),
    });
    const statefulSet = one(manifests, "StatefulSet", "tigerbeetle-0-staging");
    assert.deepEqual(
      at(statefulSet, "spec", "template", "spec", "containers").map(
        (c: { image: string }) => c.image,
      ),
      [`ghcr.io/tigerbeetle/tigerbeetle@${digest}`],
    );
  });

  it("pinned: release versions and digests; every other tag can move", () => {
    const pinned = ["1.4.2", "v2.0.0", "0.16.68", "1.5.0-rc.1", `sha256:${"d".repeat(64)}`];
    const moving = ["latest", "production", "staging", "3.12-slim", "1.4", "1", "main", "v1"];
    assert.deepEqual(
      pinned.map(isPinned),
      pinned.map(() => true),
    );
    assert.deepEqual(
      moving.map(isPinned),
      moving.map(() => false),
    );
  });
});
