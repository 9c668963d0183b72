import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { FORMAT_SCRIPT, RECOVER_SCRIPT } from "../../components/tigerbeetle-replica";
import { editedObject, render, renderError } from "../harness";

/** TigerBeetle config refusals (by exact message) and the init container's script, run for real. */

describe("tigerbeetle: refusals, before any resource is registered", () => {
  const refused = async (edit: (v: Record<string, unknown>) => void) => {
    const error = await renderError("production", {
      tigerbeetle: editedObject("production", "tigerbeetle", edit),
    });
    return error.problems.map((p) => `${p.source}: ${p.path}: ${p.message}`);
  };
  const key = "Pulumi.production.yaml: agent-platform:tigerbeetle";

  it("cluster ID 0 in production", async () => {
    assert.deepEqual(await refused((v) => (v.clusterId = "0")), [
      `${key}.clusterId: expected a cluster ID other than 0 in production (0 is reserved for testing); given "0"`,
    ]);
  });

  it("4Gi of memory in production", async () => {
    const resources = {
      requests: { cpu: "2", memory: "4Gi" },
      limits: { cpu: "4", memory: "4Gi" },
    };
    assert.deepEqual(await refused((v) => (v.resources = resources)), [
      `${key}.resources.limits.memory: expected at least 6Gi per replica in production; given "4Gi"`,
    ]);
  });

  it("7 replicas", async () => {
    assert.deepEqual(await refused((v) => (v.replicaCount = 7)), [
      `${key}.replicaCount: expected <= 6; given 7`,
    ]);
  });

  it("2 replicas, --development in production, together", async () => {
    assert.deepEqual(
      await refused((v) => {
        v.replicaCount = 2;
        v.development = true;
      }),
      [
        `${key}.replicaCount: expected at least 3 replicas in production (6 over three zones recommended); given 2`,
        `${key}.development: expected false in production (--development relaxes TigerBeetle's requirements); given true`,
      ],
    );
  });

  it("a missing cluster ID and an unknown seccomp type", async () => {
    assert.deepEqual(
      await refused((v) => {
        delete v.clusterId;
        v.seccomp = { type: "runtimeDefault" };
      }),
      [
        `${key}.clusterId: expected string; given nothing`,
        `${key}.seccomp.type: expected one of "unconfined", "localhost"; given "runtimeDefault"`,
      ],
    );
  });
});

describe("tigerbeetle: the data-file scripts, run in a shell", () => {
  // A script with the binary replaced by a stub that prints what it was asked to do.
  function run(script: string, fileExists: boolean) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tb-init-"));
    const stub = path.join(dir, "tigerbeetle");
    fs.writeFileSync(stub, '#!/bin/sh\necho "called: $*"\n', { mode: 0o755 });
    const file = path.join(dir, "1_0.tigerbeetle");
    if (fileExists) fs.writeFileSync(file, "");
    const stubbed = script.split("/tigerbeetle ").join(`${stub} `);
    const result = spawnSync("/bin/sh", ["-c", stubbed, "step", file, "--cluster=1"], {
      encoding: "utf8",
    });
    fs.rmSync(dir, { recursive: true });
    return { status: result.status, out: result.stdout.split(dir).join("DIR") };
  }

  it("an existing data file is never touched, by either script", () => {
    for (const script of [RECOVER_SCRIPT, FORMAT_SCRIPT]) {
      const { status, out } = run(script, true);
      assert.equal(status, 0);
      assert.ok(!out.includes("called"), out);
    }
  });

  it("a missing file: the replica's script recovers it, the bootstrap Job's formats it", () => {
    assert.deepEqual(run(RECOVER_SCRIPT, false), {
      status: 0,
      out:
        "data file DIR/1_0.tigerbeetle missing in an existing cluster: recovering it from the other replicas\n" +
        "called: recover --cluster=1 DIR/1_0.tigerbeetle\n",
    });
    assert.deepEqual(run(FORMAT_SCRIPT, false), {
      status: 0,
      out:
        "bootstrap: formatting new data file DIR/1_0.tigerbeetle\n" +
        "called: format --cluster=1 DIR/1_0.tigerbeetle\n",
    });
  });
});

describe("tigerbeetle: upgrades roll one replica at a time", () => {
  for (const [stack, count] of [
    ["staging", 3],
    ["production", 6],
  ] as const) {
    it(`${stack}: each StatefulSet waits for the one before it, and only for it`, async () => {
      const { run } = await render(stack);
      const sets = run.resources.filter((r) => r.type === "kubernetes:apps/v1:StatefulSet");
      assert.equal(sets.length, count);
      const byName = new Map(sets.map((r) => [r.name, r]));
      for (let i = 0; i < count; i++) {
        const set = byName.get(`tigerbeetle-replica-${i}`)!;
        const waitsFor = sets.filter((other) => set.dependencies.includes(other.urn));
        assert.deepEqual(
          waitsFor.map((r) => r.name),
          i === 0 ? [] : [`tigerbeetle-replica-${i - 1}`],
        );
      }
    });
  }
});
