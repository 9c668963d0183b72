import { strict as assert } from "assert";
import type { RecordedResource } from "../scripts/mock-runtime";
import { WORKLOADS, WorkloadKey } from "../stacks/catalog";
import { STACKS, render } from "./harness";

/** The four services start in order: each component waits for every resource of the one before. */

const COMPONENT_TYPES: Record<WorkloadKey, string> = {
  tigerbeetle: "agent-platform:index:TigerBeetle",
  agentSociety: "agent-platform:index:AgentSociety",
  agentRuntime: "agent-platform:index:AgentRuntime",
  connector: "agent-platform:index:Connector",
};

/** Custom resources below `urn` in the parent tree. */
function descendants(resources: readonly RecordedResource[], urn: string): RecordedResource[] {
  const children = resources.filter((r) => r.parent === urn);
  return children.flatMap((c) => [...(c.custom ? [c] : []), ...descendants(resources, c.urn)]);
}

/**
 * The links of the start order that the registrations do not show: service B "waits for" A
 * when B's component registered with a dependency on every Kubernetes object of A, which is
 * what `dependsOn: [a]` gives (Pulumi then registers B, and so all of B's children, only after
 * A's objects are created and ready).
 */
export function missingStartLinks(resources: readonly RecordedResource[]): string[] {
  const component = (key: WorkloadKey) => {
    const found = resources.filter((r) => r.type === COMPONENT_TYPES[key]);
    assert.equal(found.length, 1, COMPONENT_TYPES[key]);
    return found[0];
  };
  const missing: string[] = [];
  for (let i = 1; i < WORKLOADS.length; i++) {
    const [before, after] = [WORKLOADS[i - 1], WORKLOADS[i]];
    const waitsFor = new Set(component(after).dependencies);
    const objects = descendants(resources, component(before).urn);
    const unwaited = objects.filter((o) => !waitsFor.has(o.urn));
    if (objects.length === 0 || unwaited.length > 0) {
      missing.push(
        `${after} does not wait for ${before} (${unwaited.length} objects not waited for)`,
      );
    }
  }
  return missing;
}

describe("start order", () => {
  for (const stack of STACKS) {
    it(`${stack}: tigerbeetle → agentSociety → agentRuntime → connector, each waiting for the last`, async () => {
      const { run, outputs } = await render(stack);
      assert.deepEqual(missingStartLinks(run.resources), []);
      assert.deepEqual(outputs.startOrder, [...WORKLOADS]);
    });
  }

  it("the check fails when any link of the chain is removed", async () => {
    const { run } = await render("production");
    for (const [i, key] of WORKLOADS.entries()) {
      if (i === 0) continue;
      // The same registrations, with one component's dependsOn gone.
      const broken = run.resources.map((r) =>
        r.type === COMPONENT_TYPES[key] ? { ...r, dependencies: [] } : r,
      );
      assert.deepEqual(missingStartLinks(broken), [
        `${key} does not wait for ${WORKLOADS[i - 1]} (${
          descendants(
            run.resources,
            run.resources.find((r) => r.type === COMPONENT_TYPES[WORKLOADS[i - 1]])!.urn,
          ).length
        } objects not waited for)`,
      ]);
    }
  });

  it("no service waits for a later one (the chain has no cycle)", async () => {
    const { run } = await render("staging");
    for (const [i, key] of WORKLOADS.entries()) {
      const self = run.resources.find((r) => r.type === COMPONENT_TYPES[key])!;
      for (const later of WORKLOADS.slice(i + 1)) {
        const laterComponent = run.resources.find((r) => r.type === COMPONENT_TYPES[later])!;
        const laterObjects = new Set(
          descendants(run.resources, laterComponent.urn).map((o) => o.urn),
        );
        assert.ok(!self.dependencies.some((d) => laterObjects.has(d)), `${key} waits for ${later}`);
      }
    }
  });
});
