import { strict as assert } from "assert";
import { formatPath, ownedPaths, parsePath, valueAt } from "../../scripts/property-path";

describe("scripts/property-path: Pulumi's property paths and managed fields", () => {
  it("writes and reads paths as Pulumi's diffs name them", () => {
    const cases: [(string | number)[], string][] = [
      [["spec", "replicas"], "spec.replicas"],
      [
        ["metadata", "labels", "app.kubernetes.io/part-of"],
        'metadata.labels["app.kubernetes.io/part-of"]',
      ],
      [
        ["spec", "template", "spec", "containers", 0, "resources", "limits", "ephemeral-storage"],
        'spec.template.spec.containers[0].resources.limits["ephemeral-storage"]',
      ],
      [["data", 'say "hi"'], 'data["say \\"hi\\""]'],
    ];
    for (const [segments, path] of cases) {
      assert.equal(formatPath(segments), path);
      assert.deepEqual(parsePath(path), segments);
    }
    assert.equal(parsePath("spec..replicas"), undefined);
    assert.equal(parsePath('labels["open'), undefined);
  });

  it("reads a value at a path, undefined past anything missing", () => {
    const object = { spec: { containers: [{ name: "logic", image: "a" }] } };
    assert.equal(valueAt(object, ["spec", "containers", 0, "image"]), "a");
    assert.equal(valueAt(object, ["spec", "containers", 1, "image"]), undefined);
    assert.equal(valueAt(object, ["spec", "replicas", "x"]), undefined);
  });

  it("turns a managed-fields set into the paths it owns in the live object", () => {
    const live = {
      metadata: { labels: { team: "payments" } },
      spec: {
        containers: [
          { name: "logic", env: [{ name: "A", value: "1" }] },
          { name: "debug", image: "busybox" },
        ],
        finalizers: ["a", "b"],
      },
    };
    const set = {
      "f:metadata": { "f:labels": { "f:team": {} } },
      "f:spec": {
        "f:containers": {
          'k:{"name":"logic"}': {
            "f:env": { 'k:{"name":"A"}': { ".": {}, "f:name": {}, "f:value": {} } },
          },
          'k:{"name":"debug"}': { ".": {}, "f:image": {}, "f:name": {} },
          'k:{"name":"gone"}': { ".": {}, "f:image": {} },
        },
        "f:finalizers": { 'v:"b"': {} },
      },
    };
    assert.deepEqual(ownedPaths(set, live).map(formatPath), [
      "metadata.labels.team",
      "spec.containers[0].env[0].name",
      "spec.containers[0].env[0].value",
      "spec.containers[1].image",
      "spec.containers[1].name",
      "spec.finalizers[1]",
    ]);
    // An element owned whole stops there when asked (nobody else has a field inside it).
    assert.deepEqual(
      ownedPaths(
        set,
        live,
        (s) => s[s.length - 1] === 1 || (s[s.length - 1] === 0 && s[s.length - 2] === "env"),
      ).map(formatPath),
      [
        "metadata.labels.team",
        "spec.containers[0].env[0]",
        "spec.containers[1]",
        "spec.finalizers[1]",
      ],
    );
  });
});
