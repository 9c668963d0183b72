import { strict as assert } from "assert";
import { Manifest } from "../../scripts/render-lib";
import { parseQuantity } from "../../stacks/quantity";
import { STACKS, at, editedObject, render, renderError } from "../harness";

/** What a production-readiness linter checks on every pod the stack runs. */

interface Container {
  name: string;
  image: string;
  imagePullPolicy: string;
  resources: { requests: Record<string, string>; limits: Record<string, string> };
}

/** Every pod template of a render, with its object's key. */
function pods(manifests: readonly Manifest[]): { key: string; spec: Record<string, unknown> }[] {
  return manifests.flatMap((m) => {
    const template =
      at(m, "spec", "template", "spec") ?? at(m, "spec", "jobTemplate", "spec", "template", "spec");
    return template === undefined ? [] : [{ key: `${m.kind} ${m.metadata.name}`, spec: template }];
  });
}

function containersOf(spec: Record<string, unknown>): Container[] {
  return [
    ...((spec.initContainers as Container[]) ?? []),
    ...((spec.containers as Container[]) ?? []),
  ];
}

const bytes = (text: string) => parseQuantity(text)!;

describe("pod posture", () => {
  for (const stack of STACKS) {
    it(`${stack}: every container requests and limits ephemeral storage, and each pod's emptyDirs fit inside`, async () => {
      const { manifests } = await render(stack);
      const found = pods(manifests);
      assert.equal(found.length > 0, true);
      for (const { key, spec } of found) {
        const containers = containersOf(spec);
        for (const c of containers) {
          assert.ok(c.resources.requests["ephemeral-storage"] !== undefined, `${key} ${c.name}`);
          assert.ok(c.resources.limits["ephemeral-storage"] !== undefined, `${key} ${c.name}`);
        }
        // The kubelet evicts a pod whose disk use passes the sum of its containers' limits;
        // emptyDirs count toward it. Init containers run before the others, so the main ones'.
        const main = (spec.containers as Container[]).reduce(
          (sum, c) => sum + bytes(c.resources.limits["ephemeral-storage"]),
          0n,
        );
        const volumes = ((spec.volumes as { emptyDir?: { sizeLimit?: string } }[]) ?? [])
          .filter((v) => v.emptyDir !== undefined)
          .reduce((sum, v) => sum + bytes(v.emptyDir!.sizeLimit!), 0n);
        assert.ok(main > volumes, `${key}: containers' limit ${main} over emptyDirs ${volumes}`);
      }
    });
  }

  it("a moving tag is pulled on every start; a pinned version or a digest once per node", async () => {
    const policies = (manifests: readonly Manifest[]) =>
      [
        ...new Set(
          pods(manifests).flatMap(({ spec }) =>
            containersOf(spec).map((c) => `${c.imagePullPolicy} ${c.image.split("/").pop()}`),
          ),
        ),
      ].sort();
    assert.deepEqual(policies((await render("staging")).manifests), [
      "Always agent-society:staging",
      "Always connector:staging",
      "Always core:staging",
      "Always kgents:staging",
      "IfNotPresent tigerbeetle:0.16.68",
    ]);
    assert.deepEqual(policies((await render("production")).manifests), [
      "IfNotPresent agent-society:1.0.0",
      "IfNotPresent connector:1.0.0",
      "IfNotPresent core:1.0.0",
      "IfNotPresent kgents:1.0.0",
      "IfNotPresent tigerbeetle:0.16.68",
    ]);
    // Staging deploys a push by its digest: the pod spec changes, and the digest is pinned.
    const digest = `sha256:${"ab".repeat(32)}`;
    const { manifests } = await render("staging", {
      agentSociety: editedObject("staging", "agentSociety", (v) => {
        v.imageTag = digest;
      }),
    });
    const society = pods(manifests).find((p) => p.key === "Deployment agent-society-staging")!;
    const [container] = containersOf(society.spec);
    assert.equal(container.image, `image-registry-not-set.invalid/agent-society@${digest}`);
    assert.equal(container.imagePullPolicy, "IfNotPresent");
  });

  it("refuses ephemeral-storage limits that would not hold a pod's emptyDir, by key", async () => {
    const error = await renderError("staging", {
      agents: editedObject("staging", "agents", (v) => {
        v.ephemeralStorage = { request: "256Mi", limit: "512Mi" };
      }),
      connector: editedObject("staging", "connector", (v) => {
        (v.resources as { limits: Record<string, string> }).limits["ephemeral-storage"] = "32Mi";
        (v.resources as { requests: Record<string, string> }).requests["ephemeral-storage"] =
          "16Mi";
      }),
    });
    assert.deepEqual(
      error.problems.map((p) => `${p.path}: ${p.message}`),
      [
        `agent-platform:connector.resources.limits.ephemeral-storage: expected a limit that holds the container's /tmp volume (64Mi) and more; given "32Mi"`,
        `agent-platform:agents.ephemeralStorage.limit: expected a limit that holds the agent's state volume (1Gi) and more; given "512Mi"`,
      ],
    );
  });
});
