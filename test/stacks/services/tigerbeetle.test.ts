import { strict as assert } from "assert";
import {
  TigerBeetleConfig,
  cacheGridSize,
  dataFileName,
  quorumSize,
  spreadsAcrossZones,
  tigerbeetleRules,
  tigerbeetleSchema,
} from "../../../stacks/services/tigerbeetle";

/** A valid production setting; each test breaks one thing. */
const PRODUCTION: TigerBeetleConfig = {
  imageTag: "0.16.68",
  clusterId: "12345",
  replicaCount: 6,
  resources: {
    requests: { cpu: "2", memory: "8Gi", "ephemeral-storage": "256Mi" },
    limits: { cpu: "4", memory: "8Gi", "ephemeral-storage": "1Gi" },
  },
  storage: { className: "", size: "200Gi" },
  development: false,
  seccomp: { type: "unconfined" },
  placement: { nodes: "required", zones: "required" },
  bootstrap: false,
};

function rules(environment: string, change: Partial<TigerBeetleConfig>): string[] {
  return tigerbeetleRules(environment, { ...PRODUCTION, ...change }).map(
    (i) => `${i.path.join(".")}: ${i.message}; given ${JSON.stringify(i.input)}`,
  );
}

describe("tigerbeetle config rules (pure)", () => {
  it("a production setting with 6 replicas, non-zero ID and 8Gi passes", () => {
    assert.deepEqual(rules("production", {}), []);
  });

  it("production: cluster ID 0 is refused", () => {
    assert.deepEqual(rules("production", { clusterId: "0" }), [
      'clusterId: expected a cluster ID other than 0 in production (0 is reserved for testing); given "0"',
    ]);
  });

  it("production: less than 6Gi of memory is refused; exactly 6Gi passes", () => {
    const limits = (memory: string) => ({
      requests: { cpu: "2", memory, "ephemeral-storage": "256Mi" },
      limits: { cpu: "4", memory, "ephemeral-storage": "1Gi" },
    });
    assert.deepEqual(rules("production", { resources: limits("4Gi") }), [
      'resources.limits.memory: expected at least 6Gi per replica in production; given "4Gi"',
    ]);
    assert.deepEqual(rules("production", { resources: limits("6143Mi") }).length, 1);
    assert.deepEqual(rules("production", { resources: limits("6Gi") }), []);
  });

  it("production: fewer than 3 replicas are refused", () => {
    assert.deepEqual(rules("production", { replicaCount: 2 }), [
      "replicaCount: expected at least 3 replicas in production (6 over three zones recommended); given 2",
    ]);
    assert.deepEqual(rules("production", { replicaCount: 3 }), []);
  });

  it("production: --development is refused", () => {
    assert.deepEqual(rules("production", { development: true }), [
      "development: expected false in production (--development relaxes TigerBeetle's requirements); given true",
    ]);
  });

  it("staging allows all of it: 1 replica, cluster 0, 2Gi, --development", () => {
    const resources = {
      requests: { cpu: "1", memory: "2Gi", "ephemeral-storage": "256Mi" },
      limits: { cpu: "1", memory: "2Gi", "ephemeral-storage": "1Gi" },
    };
    assert.deepEqual(
      rules("staging", { replicaCount: 1, clusterId: "0", resources, development: true }),
      [],
    );
  });

  it("every production problem is reported at once", () => {
    assert.equal(
      rules("production", { replicaCount: 1, clusterId: "0", development: true }).length,
      3,
    );
  });

  it("schema: replica count 1 to 6, cluster ID a u128 in decimal, seccomp unconfined or localhost", () => {
    const parse = (change: Record<string, unknown>) =>
      tigerbeetleSchema.safeParse({ ...PRODUCTION, ...change }).success;
    assert.equal(parse({ replicaCount: 0 }), false);
    assert.equal(parse({ replicaCount: 7 }), false);
    assert.equal(parse({ replicaCount: 1 }), true);
    assert.equal(parse({ clusterId: "340282366920938463463374607431768211455" }), true);
    assert.equal(parse({ clusterId: "340282366920938463463374607431768211456" }), false);
    assert.equal(parse({ clusterId: "0x10" }), false);
    assert.equal(parse({ clusterId: "007" }), false);
    // A number, as `pulumi config set --path` stores digits: exact when safe, refused when not.
    assert.equal(parse({ clusterId: 5 }), true);
    assert.equal(parse({ clusterId: 2 ** 53 }), false);
    assert.equal(parse({ clusterId: -1 }), false);
    assert.equal(
      parse({ seccomp: { type: "localhost", localhostProfile: "profiles/tb.json" } }),
      true,
    );
    assert.equal(
      parse({ seccomp: { type: "localhost", localhostProfile: "/etc/tb.json" } }),
      false,
    );
    assert.equal(parse({ seccomp: { type: "runtimeDefault" } }), false);
    assert.equal(parse({ seccomp: { type: "localhost" } }), false);
    assert.equal(parse({ seccomp: { type: "unconfined", localhostProfile: "a.json" } }), false);
    assert.equal(parse({ storage: { className: "fast", size: "0" } }), false);
  });
});

describe("tigerbeetle derived values (pure)", () => {
  it("--cache-grid is the memory limit minus 3 GiB, or half of a small limit", () => {
    assert.equal(cacheGridSize("6Gi"), "3GiB");
    assert.equal(cacheGridSize("8Gi"), "5GiB");
    assert.equal(cacheGridSize("16Gi"), "13GiB");
    assert.equal(cacheGridSize("2Gi"), "1GiB");
    assert.equal(cacheGridSize("3Gi"), "1536MiB");
    assert.equal(cacheGridSize("256Mi"), "256MiB");
  });

  it("the PDB keeps a majority: 6 → 4, 5 → 3, 3 → 2, 1 → 1", () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6].map(quorumSize), [1, 2, 2, 3, 3, 4]);
  });

  it("zone spread from 3 replicas up", () => {
    assert.deepEqual([1, 2, 3, 6].map(spreadsAcrossZones), [false, false, true, true]);
  });

  it("data file names follow the docs' <cluster>_<replica>.tigerbeetle", () => {
    assert.equal(dataFileName("12345", 2), "12345_2.tigerbeetle");
  });
});
