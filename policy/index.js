// The pack's entry point (`main` in policy/package.json), what `--policy-pack policy` runs.
//
// Pulumi's policy runner (@pulumi/pulumi/cmd/run-policy-pack) registers ts-node with type checking
// for `.ts` files, which costs seconds on every preview and update. `npm test` type-checks the
// pack already, so this process registers tsx instead (it takes over `.ts` files: transpiled, not
// checked), the way `npm run stack` loads the program. (tsx's namespaced `require` would load a
// second copy of the gRPC messages, which the analyzer server then cannot serialize.)
require("tsx/cjs/api").register();
require("./serve.ts");
