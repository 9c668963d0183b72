import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";

/**
 * One thing wrong with user input: where it is, what was given, and what is allowed.
 * Config and spec validation collect every problem before anything is deployed.
 */
export interface Problem {
  /** The file or config source, e.g. `Pulumi.production.yaml` or `spec/agents/b-gent.md`. */
  readonly source: string;
  /** The key or field path, e.g. `agent-platform:agentSociety.replicas`. */
  readonly path: string;
  /** What is wrong and what is allowed, ending with what was given. */
  readonly message: string;
}

/**
 * Bad user input. It extends `pulumi.RunError`, which the Pulumi CLI prints without a stack
 * trace, and carries every problem found so that tests and scripts can read them one by one.
 */
export class InvalidInputError extends pulumi.RunError {
  constructor(
    readonly title: string,
    readonly problems: readonly Problem[],
  ) {
    super(formatProblems(title, problems));
    this.name = "InvalidInputError";
  }
}

export function formatProblems(title: string, problems: readonly Problem[]): string {
  const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
  const lines = problems.map((p) => `  - ${p.source}: ${p.path}: ${p.message}`);
  return [`${title} (${count}); nothing was deployed:`, ...lines].join("\n");
}

/** Shows a value the user gave, short and unambiguous. Secrets must never reach this. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Turns zod issues into problems. `pathPrefix` joins the zod path (e.g. the config key);
 * `secretPaths` lists path prefixes whose values are secret and must not be echoed.
 */
export function problemsFromZod(
  source: string,
  error: z.ZodError,
  options: { pathPrefix?: string; secretPaths?: readonly string[] } = {},
): Problem[] {
  return error.issues.map((issue) => {
    const path = joinPath(options.pathPrefix, issue.path);
    const secret = (options.secretPaths ?? []).some((s) => path === s || path.startsWith(`${s}.`));
    const input = (issue as { input?: unknown }).input;
    const given = secret ? "a secret value (not shown)" : describeValue(input);
    return { source, path, message: `${describeIssue(issue)}; given ${given}` };
  });
}

function joinPath(prefix: string | undefined, path: readonly PropertyKey[]): string {
  const parts = path.map((p) => (typeof p === "number" ? `[${p}]` : String(p)));
  const joined = parts.reduce((acc, part) => {
    if (part.startsWith("[")) return `${acc}${part}`;
    return acc === "" || acc.endsWith(":") ? `${acc}${part}` : `${acc}.${part}`;
  }, prefix ?? "");
  return joined === "" ? "(root)" : joined;
}

/** zod's own wording, made to read "what is allowed". */
function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "unrecognized_keys":
      return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
    case "invalid_type":
      return `expected ${issue.expected}`;
    case "invalid_value":
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "too_small":
      return issue.origin === "string"
        ? `expected at least ${String(issue.minimum)} characters`
        : issue.origin === "array"
          ? `expected at least ${String(issue.minimum)} entries`
          : `expected ${issue.inclusive ? ">=" : ">"} ${String(issue.minimum)}`;
    case "too_big":
      return issue.origin === "string"
        ? `expected at most ${String(issue.maximum)} characters`
        : issue.origin === "array"
          ? `expected at most ${String(issue.maximum)} entries`
          : `expected ${issue.inclusive ? "<=" : "<"} ${String(issue.maximum)}`;
    default:
      return issue.message;
  }
}
