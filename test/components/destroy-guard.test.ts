import { strict as assert } from "assert";
import { DESTROY_GUARD_NAME, DESTROY_GUARD_TYPE } from "../../components/destroy-guard";
import type { RecordedResource } from "../../scripts/mock-runtime";
import { STACKS, render } from "../harness";

/**
 * `pulumi destroy` is refused before its first delete: the protected guard depends on every
 * other resource, so the engine must delete it first and alone. The end-to-end tests run the
 * destroy on the real engine (npm run test:e2e); these hold the registrations to that design.
 */

function guardOf(resources: readonly RecordedResource[]): RecordedResource {
  const found = resources.filter((r) => r.type === DESTROY_GUARD_TYPE);
  assert.equal(found.length, 1);
  return found[0];
}

/** Custom resources the guard does not depend on directly. */
export function unguarded(resources: readonly RecordedResource[]): string[] {
  const guard = guardOf(resources);
  const guarded = new Set(guard.dependencies);
  return resources.filter((r) => r.custom && !guarded.has(r.urn)).map((r) => r.urn);
}

/** What must wait for TigerBeetle's cluster record: everything but what it needs itself. */
export function notWaitingForRecord(resources: readonly RecordedResource[]): string[] {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const record = resources.find((r) => r.name === "tigerbeetle-cluster");
  assert.ok(record !== undefined, "the cluster record");
  const memo = new Map<string, boolean>();
  // A resource waits for the record when the record, or something that waits for it, is among
  // its dependencies, or its parent waits for it (a child registers after its parent).
  const waits = (r: RecordedResource): boolean => {
    if (memo.has(r.urn)) return memo.get(r.urn)!;
    memo.set(r.urn, false);
    const parent = byUrn.get(r.parent);
    const result =
      r.dependencies.some((d) => d === record.urn || (byUrn.has(d) && waits(byUrn.get(d)!))) ||
      (parent !== undefined && waits(parent));
    memo.set(r.urn, result);
    return result;
  };
  return resources.filter((r) => r.urn !== record.urn && !waits(r)).map((r) => r.name);
}

describe("destroy guard", () => {
  for (const stack of STACKS) {
    it(`${stack}: one protected guard depends on every custom resource, the agents' objects included`, async () => {
      const { run } = await render(stack);
      const guard = guardOf(run.resources);
      assert.equal(guard.name, DESTROY_GUARD_NAME);
      assert.equal(guard.protect, true);
      assert.equal(guard.custom, false);
      assert.deepEqual(unguarded(run.resources), []);
      const agentObjects = run.resources.filter((r) => r.name.startsWith("agents:"));
      assert.equal(agentObjects.length > 0, true);
      assert.deepEqual(
        agentObjects.filter((r) => !guard.dependencies.includes(r.urn)),
        [],
        "every object of the agents' ConfigGroup",
      );
      // Nothing depends on the guard: it never delays or joins a replacement.
      assert.deepEqual(
        run.resources.filter((r) => r.dependencies.includes(guard.urn)).map((r) => r.urn),
        [],
      );
    });

    it(`${stack}: everything but the TigerBeetle namespace waits for the ledger's record`, async () => {
      const { run } = await render(stack);
      assert.deepEqual(notWaitingForRecord(run.resources).sort(), [
        "tigerbeetle",
        "tigerbeetle-namespace",
      ]);
    });
  }

  it("the checks fail when a resource is left out", async () => {
    const { run } = await render("staging");
    const guard = guardOf(run.resources);
    const crd = run.resources.find((r) => r.name === "agents.kgents.io")!;
    const without = run.resources.map((r) =>
      r === guard ? { ...r, dependencies: r.dependencies.filter((d) => d !== crd.urn) } : r,
    );
    assert.deepEqual(unguarded(without), [crd.urn]);

    const namespaces = run.resources.find(
      (r) => r.type === "agent-platform:index:KgentsNamespaces",
    )!;
    const record = run.resources.find((r) => r.name === "tigerbeetle-cluster")!;
    const loose = run.resources.map((r) =>
      r === namespaces ? { ...r, dependencies: r.dependencies.filter((d) => d !== record.urn) } : r,
    );
    assert.deepEqual(
      notWaitingForRecord(loose).sort(),
      [
        "kgents",
        "kgents-agents",
        "kgents-ephemeral",
        "kgents-agents-budget",
        "kgents-agents-default-deny",
        "kgents-agents-limits",
        "kgents-ephemeral-budget",
        "kgents-ephemeral-default-deny",
        "kgents-ephemeral-limits",
        "tigerbeetle",
        "tigerbeetle-namespace",
      ].sort(),
    );
  });
});
