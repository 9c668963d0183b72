import { strict as assert } from "assert";
import { commonAnnotations, podTemplateMetadata } from "../../../components/shared/labels";
import { PATCH_FORCE_ANNOTATION } from "../../../components/shared/kept";
import { STACKS, at, render } from "../../harness";

/**
 * Every object takes back a field a hand edit took over (`pulumi.com/patchForce`), so that drift
 * is shown by a refreshed preview and restored by `up --refresh`, instead of failing on a conflict;
 * no pod template carries the annotation (it would roll the pods, and pods are not applied).
 */
describe("common annotations", () => {
  it("are the environment and the provider's patchForce; a pod template keeps only the first", () => {
    assert.deepEqual(commonAnnotations("staging"), {
      environment: "staging",
      "pulumi.com/patchForce": "true",
    });
    const labels = { app: "x" };
    assert.deepEqual(podTemplateMetadata(labels, commonAnnotations("production")), {
      labels: { app: "x" },
      annotations: { environment: "production" },
    });
    assert.deepEqual(
      podTemplateMetadata(labels, commonAnnotations("staging"), { "example.io/x": "1" }),
      { labels: { app: "x" }, annotations: { environment: "staging", "example.io/x": "1" } },
    );
  });

  for (const stack of STACKS) {
    it(`${stack}: every object carries patchForce, and no pod template does`, async () => {
      const { manifests } = await render(stack);
      const without = manifests
        .filter((m) => at(m, "metadata", "annotations", PATCH_FORCE_ANNOTATION) !== "true")
        .map((m) => `${m.kind} ${m.metadata.name}`);
      assert.deepEqual(without, []);
      const templates = manifests.filter((m) => at(m, "spec", "template") !== undefined);
      assert.equal(templates.length, stack === "staging" ? 11 : 14);
      const carrying = templates
        .filter((m) => at(m, "spec", "template", "metadata", "annotations", PATCH_FORCE_ANNOTATION))
        .map((m) => `${m.kind} ${m.metadata.name}`);
      assert.deepEqual(carrying, []);
      for (const m of templates) {
        assert.equal(
          at(m, "spec", "template", "metadata", "annotations", "environment"),
          stack,
          `${m.kind} ${m.metadata.name}: its pods keep the environment annotation`,
        );
      }
    });
  }
});
