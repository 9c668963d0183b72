import { AGENT_STORAGE } from "../../stacks/defaults";
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import fc from "fast-check";
import { checkAgentSpecs } from "../../kgents/load";
import {
  MAX_FRONTMATTER_BYTES,
  MAX_NODES,
  MAX_SPEC_BYTES,
  parseFrontmatter,
} from "../../kgents/frontmatter";
import { agentContainers, checkAgentObjectSizes, escapeEnvValue } from "../../components/agent";
import { buildTopology } from "../../stacks/topology";
import { CATALOG } from "../../stacks/catalog";
import { planAgents } from "../../kgents/plan";
import { spec, specDir } from "./helpers";

/** Problems of one spec file, as `path: message`. */
function problemsOf(content: string): string[] {
  const dir = specDir({ "x.md": content });
  return checkAgentSpecs(dir).problems.map((p) => `${p.path}: ${p.message}`);
}

/** The one spec of `content`, parsed. */
function specOf(content: string) {
  const { specs, problems } = checkAgentSpecs(specDir({ "x.md": content }));
  assert.deepEqual(problems, []);
  return specs[0];
}

const billionLaughs = (() => {
  let text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  let previous = "a";
  for (let i = 0; i < 9; i++) {
    text += `b${i}: &b${i} [${Array(9).fill(`*${previous}`).join(",")}]\n`;
    previous = `b${i}`;
  }
  return `genus: B\nconfig:\n  x: "${"y"}"\nlaughs:\n  ${text.trim().split("\n").join("\n  ")}`;
})();

describe("spec files are data, never code", () => {
  // The corpus: every class of careless or hostile frontmatter, with the exact refusal.
  const refused: [string, string, string[]][] = [
    [
      "a JavaScript engine (gray-matter's ---js)",
      '---js\n{ genus: (require("fs").writeFileSync("/tmp/pwned", "x"), "B") }\n---\n\n# B\n',
      [
        '(frontmatter): expected the first line to be exactly "---" (frontmatter is read as YAML only; no other language or engine runs); given "---js"',
      ],
    ],
    [
      "a javascript engine, spelled out",
      "---javascript\n({ genus: 'B' })\n---\n\n# B\n",
      [
        '(frontmatter): expected the first line to be exactly "---" (frontmatter is read as YAML only; no other language or engine runs); given "---javascript"',
      ],
    ],
    [
      "a js-yaml 3 function tag",
      spec('genus: B\nconfig:\n  x: !!js/function "function () { return 1 }"'),
      [
        "(frontmatter): expected plain YAML data; given text that does not parse (the tag tag:yaml.org,2002:js/function is not allowed: only plain YAML values are, line 4 of the file)",
      ],
    ],
    [
      "a custom tag",
      spec("genus: B\nreplicas: !env REPLICAS"),
      [
        "(frontmatter): expected plain YAML data; given text that does not parse (the tag !env is not allowed: only plain YAML values are, line 3 of the file)",
      ],
    ],
    [
      "a YAML 1.1 tag such as !!binary",
      spec("genus: B\nconfig:\n  blob: !!binary aGk="),
      [
        "(frontmatter): expected plain YAML data; given text that does not parse (the tag tag:yaml.org,2002:binary is not allowed: only plain YAML values are, line 4 of the file)",
      ],
    ],
    [
      "an alias that contains itself",
      spec("genus: B\nloop: &a [*a]"),
      [`(frontmatter): expected nesting at most 20 deep; given deeper`],
    ],
    [
      "a billion laughs",
      spec(billionLaughs),
      [
        `(frontmatter): expected at most ${MAX_NODES} values, aliases counted each time they are used; given more`,
      ],
    ],
    [
      "a duplicated key",
      spec("genus: B\ngenus: L"),
      [
        "(frontmatter): expected valid YAML; given text that does not parse (a key appears twice in one mapping, line 3 of the file)",
      ],
    ],
    [
      "a __proto__ key",
      spec('genus: B\n__proto__: { replicas: 9 }\nconfig: { constructor: "x" }'),
      [
        '__proto__: expected a field name; given the reserved key "__proto__"',
        'config.constructor: expected a field name; given the reserved key "constructor"',
      ],
    ],
    [
      "a NUL byte and an escape character in config values",
      spec('genus: B\nconfig:\n  a: "x\\0y"\n  b: "\\e[31mred"'),
      [
        "config.a: expected text without control characters; given U+0000 at character 2",
        "config.b: expected text without control characters; given U+001B at character 1",
      ],
    ],
    [
      "numbers that are not plain decimal outside config",
      spec(
        "genus: B\nreplicas: 0x2\nnetworkPolicy: { allowEgress: false }\nresources: { cpu: 0o7 }",
      ),
      [
        "replicas: expected a number in plain decimal, such as 10; given 0x2",
        "resources.cpu: expected a number in plain decimal, such as 10; given 0o7",
      ],
    ],
    [
      "quantities Kubernetes takes but the Agent CRD refuses",
      spec('genus: B\nresources: { cpu: "1e3", memory: "+1", limits: { cpu: "100u" } }'),
      ["1e3", "+1", "100u"].map(
        (q, i) =>
          `${["resources.cpu", "resources.memory", "resources.limits.cpu"][i]}: expected a ${i === 1 ? "memory" : "CPU"} quantity such as ${i === 1 ? '"256Mi" or "1Gi"' : '"250m" or "0.5"'} (digits, an optional fraction, and one of m, k, M, G, T, Ki, Mi, Gi, Ti); given "${q}"`,
      ),
    ],
    [
      "a file over the size limit",
      spec(`genus: B\nconfig:\n  big: "${"x".repeat(MAX_SPEC_BYTES)}"`),
      [
        `(file): expected a spec file of at most ${MAX_SPEC_BYTES} bytes (frontmatter and markdown body together); given ${MAX_SPEC_BYTES + 57} bytes`,
      ],
    ],
    [
      "frontmatter over its size limit",
      spec(`genus: B\nconfig:\n  big: "${"x".repeat(MAX_FRONTMATTER_BYTES)}"`),
      [
        `(frontmatter): expected frontmatter of at most ${MAX_FRONTMATTER_BYTES} bytes (the YAML between the "---" lines; the markdown body below them does not count); given ${MAX_FRONTMATTER_BYTES + 26} bytes`,
      ],
    ],
    [
      "a merge bomb",
      spec(
        `genus: B\nconfig:\n  x: "y"\nbomb:\n  a: &a {${Array.from({ length: 9 }, (_, i) => `k${i}: lol`).join(", ")}}\n` +
          Array.from(
            { length: 9 },
            (_, i) =>
              `  b${i}: &b${i} {${Array.from({ length: 9 }, (_, j) => `m${j}: {<<: *${i === 0 ? "a" : `b${i - 1}`}}`).join(", ")}}`,
          ).join("\n"),
      ),
      [
        `(frontmatter): expected at most ${MAX_NODES} values, aliases counted each time they are used; given more`,
      ],
    ],
    [
      "a merge of something that is not a mapping",
      spec("genus: B\nx: &x 5\nresources: { <<: *x, cpu: 50m, memory: 64Mi }"),
      ['resources: expected a mapping, or a list of mappings, after "<<"; given 5'],
    ],
    [
      "a config value over 4096 characters",
      spec(`genus: B\nconfig:\n  big: "${"x".repeat(4097)}"`),
      [`config.big: expected at most 4096 characters; given "${"x".repeat(76)}...`],
    ],
    [
      "more than 100 config keys",
      spec(`genus: B\nconfig:\n${Array.from({ length: 101 }, (_, i) => `  k${i}: v`).join("\n")}`),
      ["config: expected at most 100 keys; given 101"],
    ],
    [
      "an unclosed frontmatter",
      "---\ngenus: B\n\n# B\n",
      ['(frontmatter): expected a closing "---" line after the frontmatter; given none'],
    ],
    [
      "nesting too deep",
      spec(`genus: B\nx: ${"[".repeat(30)}${"]".repeat(30)}`),
      ["(frontmatter): expected nesting at most 20 deep; given deeper"],
    ],
  ];

  for (const [what, content, expected] of refused) {
    it(`refuses ${what}, naming the field`, () => {
      const problems = problemsOf(content).filter(
        (p) => !p.startsWith("x:") && !p.startsWith("laughs:"),
      );
      assert.deepEqual(problems, expected);
    });
  }

  it("never runs the code of a ---js frontmatter", () => {
    const marker = path.join(fs.mkdtempSync("/tmp/frontmatter-"), "ran");
    problemsOf(
      `---js\n(require("fs").writeFileSync(${JSON.stringify(marker)}, "x"), { genus: "B" })\n---\n\n# B\n`,
    );
    assert.equal(fs.existsSync(marker), false);
  });

  it("keeps config values exactly as written (YAML 1.2, source text)", () => {
    const parsed = specOf(
      spec(
        "genus: B\nconfig:\n  window: 12:30\n  octal: 010\n  hex: 0x1F\n  under: 1_000\n  yes_word: yes\n  float: 1.0\n  flag: true\n  quoted: '007'",
      ),
    );
    assert.deepEqual(parsed.config, {
      window: "12:30",
      octal: "010",
      hex: "0x1F",
      under: "1_000",
      yes_word: "yes",
      float: "1.0",
      flag: "true",
      quoted: "007",
    });
  });

  it("takes a long markdown body: only the frontmatter is bounded so tightly", () => {
    const text = spec("genus: B", `# B-gent\n\n${"A long design note. ".repeat(3500)}\n`);
    assert.ok(Buffer.byteLength(text) > 70_000);
    assert.equal(specOf(text).genus, "B");
  });

  it("merges YAML merge keys: a merge, an override beside it, a list of mappings", () => {
    const parse = (yaml: string) => parseFrontmatter(`---\n${yaml}\n---\nbody`);
    assert.deepEqual(parse("r: &r { cpu: 50m, memory: 64Mi }\ns: { <<: *r }"), {
      ok: true,
      data: { r: { cpu: "50m", memory: "64Mi" }, s: { cpu: "50m", memory: "64Mi" } },
      body: "body",
    });
    // The map's own keys win, wherever they stand; then the merged maps in order.
    assert.deepEqual(parse("r: &r { cpu: 50m, memory: 64Mi }\ns: { memory: 1Gi, <<: *r }"), {
      ok: true,
      data: { r: { cpu: "50m", memory: "64Mi" }, s: { memory: "1Gi", cpu: "50m" } },
      body: "body",
    });
    assert.deepEqual(
      parse("a: &a { cpu: 1m }\nb: &b { cpu: 2m, memory: 2Mi }\ns: { <<: [*a, *b] }"),
      {
        ok: true,
        data: {
          a: { cpu: "1m" },
          b: { cpu: "2m", memory: "2Mi" },
          s: { cpu: "1m", memory: "2Mi" },
        },
        body: "body",
      },
    );
    // A quoted "<<" is an ordinary key.
    assert.deepEqual(parse('s: { "<<": 1 }'), { ok: true, data: { s: { "<<": 1 } }, body: "body" });
    // Through the whole spec: the sidecar's resources are the merged ones.
    const withSidecar = specOf(
      spec(
        "genus: B\nresources: &r { cpu: 50m, memory: 64Mi }\nsidecar: { enabled: true, resources: { <<: *r, memory: 128Mi } }",
      ),
    );
    assert.deepEqual(withSidecar.sidecar.resources, {
      requests: { cpu: "50m", memory: "128Mi" },
      limits: { cpu: "50m", memory: "128Mi" },
    });
  });

  it("accepts a UTF-8 byte order mark and CRLF line ends", () => {
    const parsed = specOf(
      "\uFEFF---\r\ngenus: B\r\nreplicas: 2\r\n---\r\n\r\n# B\r\n\r\nThe banker.\r\n",
    );
    assert.equal(parsed.genus, "B");
    assert.equal(parsed.replicas, 2);
  });

  it("refuses a directory and a dangling link named *.md, and reads the other files", () => {
    const dir = specDir({ "b.md": spec("genus: B") });
    fs.mkdirSync(path.join(dir, "dir.md"));
    fs.symlinkSync(path.join(dir, "missing"), path.join(dir, "link.md"));
    const { specs, problems } = checkAgentSpecs(dir);
    assert.deepEqual(
      specs.map((s) => s.genus),
      ["B"],
    );
    assert.deepEqual(
      problems.map((p) => `${path.basename(p.source)}: ${p.path}: ${p.message}`),
      [
        "dir.md: (file): expected a spec file; given a directory or another kind of entry named *.md",
        "link.md: (file): expected a readable spec file; given a path that cannot be read (ENOENT: a link to nothing)",
      ],
    );
  });

  it("refuses bytes that are not UTF-8", () => {
    const dir = specDir({});
    fs.writeFileSync(
      path.join(dir, "b.md"),
      Buffer.from([0x2d, 0x2d, 0x2d, 0x0a, 0xff, 0xfe, 0x0a]),
    );
    assert.deepEqual(
      checkAgentSpecs(dir).problems.map((p) => p.message),
      ["expected UTF-8 text; given bytes that are not UTF-8"],
    );
  });

  it("refuses an agent object over the size limit, naming the spec, the object and the limit", () => {
    const parsed = specOf(spec(`genus: B\nconfig:\n  note: "${"x".repeat(4000)}"`));
    const [agent] = planAgents(
      { imageTag: "staging", deploy: "all", overrides: {}, ephemeralStorage: AGENT_STORAGE },
      [parsed],
      "staging",
      "ghcr.io/acme",
    );
    const args = {
      environment: "staging",
      topology: buildTopology({ namespaceSuffix: "" }, CATALOG),
      agents: [agent],
    };
    assert.deepEqual(checkAgentObjectSizes(args), []);
    const sizes = checkAgentObjectSizes(args, 4096).map(
      (p) => `${p.path}: ${p.message.replace(/\d+ bytes \(/, "N bytes (")}`,
    );
    assert.deepEqual(sizes, [
      "(object): expected each Kubernetes object of an agent to be at most 4096 bytes; given the Deployment b-gent of N bytes (shorten config)",
      "(object): expected each Kubernetes object of an agent to be at most 4096 bytes; given the Agent b-gent of N bytes (shorten config)",
    ]);
  });

  it("escapes $ so Kubernetes passes $(VAR) through unexpanded", () => {
    assert.equal(escapeEnvValue("$(KGENTS_GENUS) costs $$5"), "$$(KGENTS_GENUS) costs $$$$5");
    const parsed = specOf(spec('genus: B\nconfig:\n  greeting: "$(KGENTS_GENUS)"'));
    const [agent] = planAgents(
      { imageTag: "staging", deploy: "all", overrides: {}, ephemeralStorage: AGENT_STORAGE },
      [parsed],
      "staging",
      "ghcr.io/acme",
    );
    const env = agentContainers(agent)[0].env as { name: string; value: string }[];
    assert.deepEqual(
      env.find((e) => e.name === "KGENTS_GREETING"),
      {
        name: "KGENTS_GREETING",
        value: "$$(KGENTS_GENUS)",
      },
    );
  });

  it("property: no frontmatter, however built, runs code, throws, or takes more than a second", function () {
    this.timeout(120_000);
    const yamlish = fc.oneof(
      fc.string({ unit: "binary", maxLength: 200 }),
      fc
        .array(
          fc.constantFrom(
            "---",
            "---js",
            "genus: B",
            "&a [1,2]",
            "*a",
            "!!js/function x",
            "!x y",
            "__proto__: 1",
            "config:",
            "  k: 0x1F",
            "  k: *a",
            "- x",
            "{",
            "}",
            "[",
            "]",
            ": :",
            "? x",
            "|",
            ">",
            "\t",
            "\u0000",
            "\uFEFF",
            "\r",
            "%YAML 1.1",
            "<<: *a",
            "'",
            '"',
          ),
          { maxLength: 40 },
        )
        .map((lines) => lines.join("\n")),
    );
    fc.assert(
      fc.property(yamlish, (text) => {
        const started = process.hrtime.bigint();
        const result = parseFrontmatter(text);
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        assert.ok(ms < 1000, `took ${ms} ms`);
        assert.equal(typeof result.ok, "boolean");
        assert.equal(Object.getPrototypeOf({}).polluted, undefined);
        if (!result.ok) assert.ok(result.problems.length > 0);
      }),
      { numRuns: 2000 },
    );
  });
});
