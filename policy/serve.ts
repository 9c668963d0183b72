import { PolicyPack } from "@pulumi/policy";
import { policies } from "./pack";

// `pulumi preview --policy-pack policy` (and `pulumi up`) runs this file, through index.js; the
// checks themselves are pure functions in policies.ts, tested without the CLI (test/policy.test.ts), and the pack
// itself is run through Pulumi's policy runner in test/policy-runner.test.ts. PolicyPack reads
// its version from policy/package.json; the dependencies come from the root node_modules.
new PolicyPack("agent-platform", { policies });
