import { strict as assert } from "assert";
import { render, STACKS } from "./harness";
import { isBuiltIn, schemaErrors } from "./k8s-schema";

describe("every rendered object passes the Kubernetes schema", () => {
  for (const stack of STACKS) {
    it(`${stack}: all built-in objects validate`, async () => {
      const { manifests } = await render(stack);
      const builtIn = manifests.filter(isBuiltIn);
      assert.ok(builtIn.length > 0);
      const errors = builtIn.flatMap((m) =>
        schemaErrors(m).map((e) => `${m.kind} ${m.metadata.name}: ${e}`),
      );
      assert.deepEqual(errors, []);
    });
  }

  it("the validator rejects a broken object (it can fail)", async () => {
    const { manifests } = await render("production");
    const deployment = manifests.find((m) => m.kind === "Deployment")!;
    const broken = { ...deployment, spec: { ...(deployment.spec as object), replicas: "two" } };
    assert.equal(schemaErrors(broken).length, 1);
    assert.deepEqual(schemaErrors({ ...deployment, kind: "Deploymnt" }), [
      "no Kubernetes schema for apps/v1 Deploymnt",
    ]);
  });
});
