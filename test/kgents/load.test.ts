import { strict as assert } from "assert";
import * as path from "path";
import { checkAgentSpecs, loadAgentSpecs } from "../../kgents/load";
import { configEnvName } from "../../kgents/schema";
import { InvalidInputError } from "../../stacks/problems";
import { spec, specDir } from "./helpers";

/** Problems of a directory as "file: path: message" lines, the file by base name. */
function problemLines(dir: string): string[] {
  return checkAgentSpecs(dir).problems.map(
    (p) => `${path.basename(p.source)}: ${p.path}: ${p.message}`,
  );
}

describe("spec loading", () => {
  it("loads the shipped specs with the operator's defaults filled in", () => {
    const specs = loadAgentSpecs();
    assert.deepEqual(
      specs.map((s) => [s.file, s.genus, s.name, s.replicas, s.sidecar.enabled]),
      [
        ["spec/agents/b-gent.md", "B", "B-gent", 1, true],
        ["spec/agents/f-gent.md", "F", "F-gent", 1, false],
        ["spec/agents/l-gent.md", "L", "L-gent", 2, true],
        ["spec/agents/psi-gent.md", "Psi", "Psi-gent", 1, true],
        ["spec/agents/u-gent.md", "U", "U-gent", 1, false],
      ],
    );
    const b = specs[0];
    assert.deepEqual(b.networkPolicy, { allowEgress: false, allowedPeers: ["L", "F"] });
    assert.deepEqual(b.resources, {
      requests: { cpu: "100m", memory: "256Mi" },
      limits: { cpu: "250m", memory: "384Mi" },
    });
    assert.ok(b.description.startsWith("# B-gent, the banker"));
  });

  it("fills every default of a minimal spec", () => {
    const dir = specDir({ "k.md": spec("genus: K") });
    assert.deepEqual(loadAgentSpecs(dir), [
      {
        file: path.join(dir, "k.md"),
        genus: "K",
        name: "K-gent",
        image: undefined,
        replicas: 1,
        resources: {
          requests: { cpu: "100m", memory: "256Mi" },
          limits: { cpu: "100m", memory: "256Mi" },
        },
        sidecar: {
          enabled: false,
          image: undefined,
          resources: {
            requests: { cpu: "50m", memory: "128Mi" },
            limits: { cpu: "100m", memory: "256Mi" },
          },
        },
        entrypoint: "agents.k.main",
        config: {},
        networkPolicy: { allowEgress: false, allowedPeers: [] },
        description: "# Agent\n\nDocumented.",
      },
    ]);
  });

  it("accepts sidecar as true, false or an object", () => {
    const dir = specDir({
      "a.md": spec("genus: A\nsidecar: true"),
      "b.md": spec("genus: B\nsidecar: false"),
      "c.md": spec("genus: C\nsidecar: { image: 'ghcr.io/acme/d-gent:1.0' }"),
      "d.md": spec("genus: D\nsidecar: { enabled: false }"),
    });
    assert.deepEqual(
      loadAgentSpecs(dir).map((s) => [s.genus, s.sidecar.enabled, s.sidecar.image]),
      [
        ["A", true, undefined],
        ["B", false, undefined],
        ["C", true, "ghcr.io/acme/d-gent:1.0"],
        ["D", false, undefined],
      ],
    );
  });

  it("maps config keys to KGENTS_<KEY> by upper-casing", () => {
    assert.equal(configEnvName("max_spend_per_call"), "KGENTS_MAX_SPEND_PER_CALL");
    assert.equal(configEnvName("a1"), "KGENTS_A1");
  });

  it("reports every problem of every file at once, each with file, field, value and rule", () => {
    const dir = specDir({
      "a.md": "# No frontmatter here\n",
      "b.md": spec(
        [
          "genus: b",
          "colour: red",
          'replicas: "2"',
          "image: python",
          "sidecar: yes",
          "resources: { cpu: lots, memory: 1Gi, limits: { memory: 512Mi } }",
          "config: { Bad-Key: 1, genus: x, nested: [1] }",
          "networkPolicy: { allowEgress: maybe, peers: [L] }",
        ].join("\n"),
      ),
      "c.md": spec("name: Nameless"),
      "d.md": "---\ngenus: [unclosed\n---\n\n# D\n",
      "e.md": spec("genus: E", ""),
      "f.md": spec("- just\n- a list"),
    });
    assert.deepEqual(problemLines(dir), [
      'a.md: (frontmatter): expected YAML frontmatter between "---" lines at the top of the file, with at least "genus"; given a file without frontmatter',
      'b.md: genus: expected a genus: one capital letter A-Z, or "Psi"; given "b"',
      'b.md: image: expected an image with a tag or digest, such as "ghcr.io/acme/kgents:1.4.2"; given "python"',
      'b.md: replicas: expected number; given "2"',
      'b.md: resources.cpu: expected a CPU quantity such as "250m" or "0.5" (digits, an optional fraction, and one of m, k, M, G, T, Ki, Mi, Gi, Ti); given "lots"',
      'b.md: resources.memory: expected a request no larger than the limit 512Mi; given "1Gi"',
      'b.md: sidecar: expected true, false, or an object with enabled, image, resources; given "yes"',
      'b.md: config.Bad-Key: expected a lower snake case key such as "max_spend"; given the key "Bad-Key"',
      'b.md: config.genus: expected a key other than "genus", "state_path" (the stack sets KGENTS_GENUS and KGENTS_STATE_PATH itself); given the key "genus"',
      "b.md: config.nested: expected a string, number or boolean; given [1]",
      'b.md: networkPolicy.allowEgress: expected boolean; given "maybe"',
      'b.md: networkPolicy.peers: unknown field; allowed fields of networkPolicy: allowEgress, allowedPeers; given ["L"]',
      'b.md: colour: unknown field; allowed fields: genus, name, image, replicas, resources, sidecar, entrypoint, config, networkPolicy; given "red"',
      "c.md: genus: expected string; given nothing",
      "d.md: (frontmatter): expected valid YAML; given text that does not parse (Flow sequence in block collection must be sufficiently indented and end with a ], line 2 of the file)",
      "e.md: (body): expected a markdown body below the frontmatter that documents the agent; given nothing",
      'f.md: (frontmatter): expected a YAML mapping of fields; given ["just","a list"]',
    ]);
  });

  it("rejects genera the operator's broken pattern let through", () => {
    for (const genus of ["Bx", "BPsi", "Psi2", "psi", "AB"]) {
      const dir = specDir({ "x.md": spec(`genus: ${genus}`) });
      assert.deepEqual(problemLines(dir), [
        `x.md: genus: expected a genus: one capital letter A-Z, or "Psi"; given "${genus}"`,
      ]);
    }
  });

  it("reports duplicate genera and names, and peers without a spec", () => {
    const dir = specDir({
      "b1.md": spec("genus: B\nnetworkPolicy: { allowedPeers: [L, Q] }"),
      "b2.md": spec("genus: B\nname: Other"),
      "l.md": spec("genus: L\nname: Other\nnetworkPolicy: { allowedPeers: [B, Z] }"),
    });
    assert.deepEqual(problemLines(dir), [
      `b2.md: genus: expected a genus no other spec has; ${path.join(dir, "b1.md")} already has it; given "B"`,
      `l.md: name: expected a name no other spec has; ${path.join(dir, "b2.md")} already has it; given "Other"`,
      'b1.md: networkPolicy.allowedPeers[1]: expected the genus of an agent with a spec ("B", "L"); given "Q"',
      'l.md: networkPolicy.allowedPeers[1]: expected the genus of an agent with a spec ("B", "L"); given "Z"',
    ]);
  });

  it("reports a missing directory", () => {
    assert.deepEqual(problemLines("/nonexistent/specs"), [
      "specs: (directory): expected a directory of agent specs (*.md); given a path that does not exist",
    ]);
  });

  it("throws InvalidInputError naming the directory and the count", () => {
    const dir = specDir({ "a.md": "nothing\n", "b.md": spec("genus: 1") });
    assert.throws(
      () => loadAgentSpecs(dir),
      (error: unknown) =>
        error instanceof InvalidInputError &&
        error.problems.length === 2 &&
        error.message.startsWith(
          `Invalid agent specs in ${dir} (2 problems); nothing was deployed:\n`,
        ),
    );
  });
});
