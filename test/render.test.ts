import { strict as assert } from "assert";
import { imageRegistryUnsetWarning } from "../stacks/config";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderStack, toYaml } from "../scripts/render-lib";
import fc from "fast-check";
import { loadAll } from "js-yaml";
import { parseAllDocuments } from "yaml";
import { ROOT } from "../scripts/stack-file";
import { STACKS, render } from "./harness";

import { SECRETS } from "../stacks/secrets";

const NAMESPACED_KINDS_EXEMPT = new Set(["Namespace", "CustomResourceDefinition"]);

const DISTINCT_KEY = "c0ffee".repeat(10) + "beef";

function runRender(...args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", "scripts/render.ts", ...args], {
    cwd: ROOT,
    encoding: "utf8",
  });
}

describe("offline render", () => {
  for (const stack of STACKS) {
    it(`${stack}: the same config gives the same bytes`, async () => {
      const first = toYaml((await renderStack({ stack })).manifests);
      const second = toYaml((await renderStack({ stack })).manifests);
      assert.equal(first, second);
    });

    it(`${stack}: every object has a name, and a namespace unless cluster-scoped`, async () => {
      for (const m of (await render(stack)).manifests) {
        assert.match(m.metadata.name, /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, `${m.kind} name`);
        if (!NAMESPACED_KINDS_EXEMPT.has(m.kind))
          assert.ok(m.metadata.namespace, `${m.kind} ${m.metadata.name} namespace`);
        assert.deepEqual(Object.keys(m).slice(0, 3), ["apiVersion", "kind", "metadata"]);
      }
    });

    it(`${stack}: a namespace comes before everything that lives in it`, async () => {
      const manifests = (await render(stack)).manifests;
      manifests.forEach((m, index) => {
        if (m.metadata.namespace === undefined) return;
        const nsIndex = manifests.findIndex(
          (n) => n.kind === "Namespace" && n.metadata.name === m.metadata.namespace,
        );
        assert.ok(
          nsIndex !== -1 && nsIndex < index,
          `${m.kind} ${m.metadata.name} after its namespace`,
        );
      });
    });

    it(`${stack}: no secret value appears in manifests or outputs`, async () => {
      // A distinct valid value for every secret, so that each can be looked for.
      const values = Object.keys(SECRETS).map((_, i) => DISTINCT_KEY.slice(0, 62) + `0${i}`);
      const overrides = Object.fromEntries(Object.keys(SECRETS).map((k, i) => [k, values[i]]));
      const rendered = await renderStack({ stack, overrides });
      const text = toYaml(rendered.manifests) + JSON.stringify(rendered.outputs);
      for (const value of values) {
        assert.ok(!text.includes(value));
        assert.ok(!text.includes(Buffer.from(value).toString("base64")));
      }
      // Where they would be: NOSTR_SECRET_KEY, the admin API key in two Secrets (the connector's
      // ADMIN_API_KEY, agent-society's CONNECTOR_ADMIN_API_KEY), and the BTP token in two.
      assert.equal(text.split("[secret]").length - 1, 5);
      // The placeholder that stands in for an unreadable secret never shows either.
      assert.ok(!toYaml((await render(stack)).manifests).includes("0".repeat(64)));
    });
  }

  it("quotes the YAML 1.1 numbers with underscores and the 1.2-only forms too", () => {
    const data = {
      a: "1_000",
      b: "1_0.5",
      c: "0x_1F",
      d: "0o17",
      e: "y",
      f: "1.0",
      g: "190:20:30",
    };
    const written = toYaml([
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "m" }, data },
    ]);
    assert.deepEqual(written.split("\n").slice(6, 13), [
      "  a: '1_000'",
      "  b: '1_0.5'",
      "  c: '0x_1F'",
      "  d: '0o17'",
      "  e: 'y'",
      "  f: '1.0'",
      "  g: '190:20:30'",
    ]);
  });

  it("every string reads back as written, by a YAML 1.1 reader and a 1.2 reader (property)", () => {
    // Strings made of what other types are made of: digits, signs, dots, underscores, colons,
    // the letters of booleans and nulls, spaces; and any string at all.
    const pieces = fc.constantFrom(
      ..."0123456789+-._:~eExXoObB ".split(""),
      "yes",
      "no",
      "on",
      "off",
      "y",
      "n",
      "true",
      "false",
      "null",
      "inf",
      "nan",
      "0x",
      "0o",
      "0b",
      "T",
      "Z",
    );
    const likeScalars = fc.array(pieces, { maxLength: 8 }).map((parts) => parts.join(""));
    fc.assert(
      fc.property(
        fc.oneof(likeScalars, fc.string(), fc.string({ unit: "grapheme", maxLength: 12 })),
        (value) => {
          // The string as a value, and as a key (ConfigMap data keys, labels).
          const written = toYaml([
            { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "v" }, data: { v: value } },
            {
              apiVersion: "v1",
              kind: "ConfigMap",
              metadata: { name: "k" },
              data: { [value]: "k" },
            },
          ]);
          for (const version of ["1.1", "1.2"] as const) {
            const [asValue, asKey] = parseAllDocuments(written, { version }).map(
              (d) => (d.toJS() as { data: Record<string, string> }).data,
            );
            assert.equal(
              asValue.v,
              value,
              `YAML ${version}: ${JSON.stringify(value)} in\n${written}`,
            );
            assert.deepEqual(
              Object.keys(asKey),
              [value],
              `YAML ${version}: the key ${JSON.stringify(value)}`,
            );
          }
          const [jsValue, jsKey] = loadAll(written).map(
            (d) => (d as { data: Record<string, string> }).data,
          );
          assert.equal(jsValue.v, value);
          assert.deepEqual(Object.keys(jsKey), [value]);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("quotes strings a YAML 1.1 reader such as kubectl would read as booleans or numbers", () => {
    const manifest = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "m" },
      data: { a: "on", b: "yes", c: "NO", d: "12:30", e: "0755", f: "1e3", g: "plain" },
    };
    assert.equal(
      toYaml([manifest]),
      [
        "---",
        "apiVersion: v1",
        "kind: ConfigMap",
        "metadata:",
        "  name: m",
        "data:",
        "  a: 'on'",
        "  b: 'yes'",
        "  c: 'NO'",
        "  d: '12:30'",
        "  e: '0755'",
        "  f: '1e3'",
        "  g: plain",
        "",
      ].join("\n"),
    );
  });

  it("the CLI writes manifests.yaml, outputs.json and kept.txt to --out, equal to the library's render", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "render-"));
    const result = runRender("--stack", "production", "--out", out);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(
      result.stderr,
      // The stack file names no registry: the render shows where images would come from.
      `warning: ${imageRegistryUnsetWarning("production")}\n` +
        'note: secret "nostrSecretKey" is not set; rendered as [secret] (pulumi up refuses until it is set)\n' +
        'note: secret "connectorAdminApiKey" is not set; rendered as [secret] (pulumi up refuses until it is set)\n' +
        'note: secret "btpAuthToken" is not set; rendered as [secret] (pulumi up refuses until it is set)\n',
    );
    const rendered = await render("production");
    assert.equal(
      fs.readFileSync(path.join(out, "manifests.yaml"), "utf8"),
      toYaml(rendered.manifests),
    );
    assert.deepEqual(
      JSON.parse(fs.readFileSync(path.join(out, "outputs.json"), "utf8")),
      rendered.outputs,
    );
    // What a destroy leaves: TigerBeetle's namespace, cluster record and six claims, and the CRD.
    assert.equal(
      fs.readFileSync(path.join(out, "kept.txt"), "utf8"),
      [
        "Namespace tigerbeetle",
        "ConfigMap tigerbeetle/tigerbeetle-cluster",
        ...[0, 1, 2, 3, 4, 5].map((i) => `PersistentVolumeClaim tigerbeetle/tigerbeetle-data-${i}`),
        "CustomResourceDefinition agents.kgents.io",
        "",
      ].join("\n"),
    );
    assert.match(result.stdout, new RegExp(`^${rendered.manifests.length} objects -> `));
  });

  it("the CLI reports bad config by key, exits 1, and prints no stack trace", () => {
    const stack = "ci-broken";
    const file = path.join(ROOT, `Pulumi.${stack}.yaml`);
    fs.writeFileSync(
      file,
      "config:\n  agent-platform:environment: staging\n  agent-platform:logLevel: loud\n" +
        '  agent-platform:tigerbeetle: { clusterId: "1" }\n',
    );
    try {
      const result = runRender(
        "--stack",
        stack,
        "--out",
        fs.mkdtempSync(path.join(os.tmpdir(), "render-")),
      );
      assert.equal(result.status, 1);
      assert.equal(
        result.stderr,
        `Invalid config for stack "${stack}" (1 problem); nothing was written:\n` +
          `  - Pulumi.${stack}.yaml: agent-platform:logLevel: expected one of "debug", "info", "warn", "error"; given "loud"\n`,
      );
    } finally {
      fs.rmSync(file);
    }
  });

  it("the CLI names the stacks there are when asked for one that is not", () => {
    const result = runRender("--stack", "prod");
    assert.equal(result.status, 1);
    assert.equal(
      result.stderr,
      'There is no stack "prod" (a stack name, not a path); the stacks are: production, staging\n',
    );
  });
});
