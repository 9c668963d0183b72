import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import { ROOT } from "../../scripts/stack-file";

/** Runs `code` in a node that loaded scripts/lazy-modules.js first; its stdout as JSON. */
function withLazyModules(code: string): unknown {
  const result = spawnSync(
    process.execPath,
    ["--require", "./scripts/lazy-modules.js", "-e", code],
    { cwd: ROOT, encoding: "utf8" },
  );
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout);
}

/** What `scripts/lazy-modules.js` defers, and that what uses it still works. */
describe("lazy modules", function () {
  this.timeout(30_000);

  it("@pulumi/pulumi loads without typescript and @npmcli/arborist", () => {
    const loaded = withLazyModules(`
      require("@pulumi/pulumi");
      const files = Object.keys(require.cache);
      console.log(JSON.stringify({
        typescript: files.some((f) => f.includes("/node_modules/typescript/")),
        arborist: files.some((f) => f.includes("/node_modules/@npmcli/arborist/")),
        pulumi: files.some((f) => f.includes("/node_modules/@pulumi/pulumi/")),
      }));`);
    assert.deepEqual(loaded, { typescript: false, arborist: false, pulumi: true });
  });

  it("a function is still serialized (typescript loaded on first use), and typescript works", () => {
    const result = withLazyModules(`
      const pulumi = require("@pulumi/pulumi");
      const ts = require("typescript");
      pulumi.runtime.serializeFunction(() => 42).then((f) => console.log(JSON.stringify({
        serialized: f.text.includes("42"),
        version: ts.version === require("typescript/package.json").version,
        loaded: Object.keys(require.cache).some((f) => f.includes("/node_modules/typescript/")),
      })));`);
    assert.deepEqual(result, { serialized: true, version: true, loaded: true });
  });
});
