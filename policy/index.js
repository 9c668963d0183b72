// The pack's entry point (`main` in policy/package.json), what `--policy-pack policy` runs.
//
// Pulumi's policy runner (@pulumi/pulumi/cmd/run-policy-pack) compiles a TypeScript entry point
// with ts-node and type-checks it, which costs seconds on every preview and update. `npm test`
// type-checks the pack already, so this file bundles serve.ts and the pack's own modules with
// esbuild, in memory (about 40 ms; packages stay in node_modules), and runs the result: the pack
// always runs as its sources are now, and starts without a type check or a loader hook on every
// require (README, "Real engine").
const path = require("path");
const Module = require("module");
const { buildSync } = require("esbuild");

const entry = path.join(__dirname, "serve.ts");
const { outputFiles } = buildSync({
  entryPoints: [entry],
  bundle: true,
  platform: "node",
  packages: "external",
  sourcemap: "inline",
  write: false,
  logLevel: "warning",
});
const bundle = new Module(entry, module);
bundle.filename = path.join(__dirname, "serve.bundle.js");
bundle.paths = Module._nodeModulePaths(__dirname);
bundle._compile(outputFiles[0].text, bundle.filename);
