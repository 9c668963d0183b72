import { PolicyPack } from "@pulumi/policy";
import { policies } from "./pack";

// `pulumi preview --policy-pack policy` (and `pulumi up`) runs this file; the checks themselves
// are pure functions in policies.ts, tested without the CLI (test/policy.test.ts).
new PolicyPack("agent-platform", { policies });
