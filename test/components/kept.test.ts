import { strict as assert } from "assert";
import { keptObjects } from "../../scripts/render-lib";
import { editedObject, one, render } from "../harness";

/**
 * What `pulumi destroy` leaves, and how the next `up` takes it back (components/shared/kept.ts):
 * every kept object is a Patch resource (created by a server-side apply, which adopts an object
 * that is there), and every Patch resource is kept.
 */
describe("kept objects: destroy leaves them, the next up adopts them", () => {
  for (const stack of ["staging", "production"] as const) {
    const suffix = stack === "staging" ? "-staging" : "";
    const ns = `tigerbeetle${suffix}`;

    it(`${stack}: exactly TigerBeetle's namespace, record, claims and format Jobs, and the CRD`, async () => {
      // Bootstrap adds the format Jobs, which are kept too.
      const { run } = await render(stack, {
        tigerbeetle: editedObject(stack, "tigerbeetle", (v) => (v.bootstrap = true)),
      });
      const replicas = stack === "staging" ? [0, 1, 2] : [0, 1, 2, 3, 4, 5];
      assert.deepEqual(keptObjects(run.resources), [
        `Namespace ${ns}`,
        `ConfigMap ${ns}/tigerbeetle-cluster${suffix}`,
        ...replicas.map((i) => `PersistentVolumeClaim ${ns}/tigerbeetle-data-${i}${suffix}`),
        ...replicas.map((i) => `Job ${ns}/tigerbeetle-format-${i}${suffix}`),
        "CustomResourceDefinition agents.kgents.io",
      ]);
      const kept = run.resources.filter((r) => r.retainOnDelete);
      const patches = run.resources.filter((r) => r.type.endsWith("Patch"));
      assert.deepEqual(
        kept.map((r) => r.urn),
        patches.map((r) => r.urn),
      );
      // The former ordinary type, so an existing stack updates them in place (in production a
      // delete under the old type would be refused: they are protected).
      for (const r of kept.filter((r) => r.name !== "agents.kgents.io")) {
        assert.deepEqual(r.aliases, [`type=${r.type.replace(/Patch$/, "")}`], r.name);
      }
    });

    it(`${stack}: the CRD carries its former URN, as an object of the agents ConfigGroup`, async () => {
      const { run } = await render(stack);
      const crd = run.resources.find((r) => r.name === "agents.kgents.io")!;
      const group = run.resources.find((r) => r.type === "kubernetes:yaml/v2:ConfigGroup")!;
      const chain = group.urn.slice(0, group.urn.lastIndexOf("::"));
      const former = `${chain}$kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition::agents:agents.kgents.io`;
      // Exactly the former URN (formerCrdUrn, as the program computed it in its run) and the
      // SDK's own alias, from the v1beta1 type.
      assert.deepEqual(crd.aliases, [
        former,
        "type=kubernetes:apiextensions.k8s.io/v1beta1:CustomResourceDefinitionPatch",
      ]);
      // The Agent objects wait for it.
      assert.ok(group.dependencies.includes(crd.urn));
    });
  }

  it("staging and production apply the very same CRD, with nothing of either environment", async () => {
    const [staging, production] = await Promise.all([render("staging"), render("production")]);
    const crd = (manifests: typeof staging.manifests) =>
      one(manifests, "CustomResourceDefinition", "agents.kgents.io");
    assert.deepEqual(crd(staging.manifests), crd(production.manifests));
    assert.deepEqual(crd(staging.manifests).metadata, {
      name: "agents.kgents.io",
      labels: {
        "app.kubernetes.io/name": "kgents",
        "app.kubernetes.io/component": "crd",
        "app.kubernetes.io/part-of": "agent-runtime",
        "app.kubernetes.io/managed-by": "pulumi",
      },
      annotations: { "pulumi.com/patchForce": "true" },
    });
  });
});
