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

/**
 * Problems as one message: the title, how many, what did not happen because of them (`pulumi up`:
 * nothing was deployed), and one line each.
 */
export function formatProblems(
  title: string,
  problems: readonly Problem[],
  consequence = "nothing was deployed",
): string {
  const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
  const lines = problems.map((p) => `  - ${p.source}: ${p.path}: ${p.message}`);
  const head = consequence === "" ? `${title} (${count}):` : `${title} (${count}); ${consequence}:`;
  return [head, ...lines].join("\n");
}

/**
 * Keys that would reach an object's prototype machinery when user data is merged or copied:
 * refused at any depth of a spec or a config value.
 */
export const RESERVED_OBJECT_KEYS: ReadonlySet<string> = new Set([
  "__proto__",
  "constructor",
  "prototype",
]);

/**
 * Sets `key` as an own property, even an odd one: a key named `__proto__` stays a key (and is
 * refused as unknown); nothing reaches Object.prototype.
 */
export function defineOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
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
  options: { pathPrefix?: string; secretPaths?: readonly string[]; schema?: z.ZodType } = {},
): Problem[] {
  return error.issues.flatMap((issue): Problem[] => {
    if (issue.code === "unrecognized_keys") {
      // One problem per unknown key, naming the keys that are allowed there.
      const allowed = options.schema ? allowedKeysAt(options.schema, issue.path) : undefined;
      const hint = allowed ? `; allowed keys: ${allowed.join(", ")}` : "";
      return issue.keys.map((key) => ({
        source,
        path: joinPath(options.pathPrefix, [...issue.path, key]),
        message: `unknown key${hint}`,
      }));
    }
    if (issue.code === "invalid_key") {
      // A record key that breaks the key rule: the inner issue says what is allowed.
      const inner = (issue as { issues?: z.core.$ZodIssue[] }).issues?.[0];
      return [
        {
          source,
          path: joinPath(options.pathPrefix, issue.path),
          message: `${inner === undefined ? "invalid key" : describeIssue(inner)}; given the key ${describeValue(issue.path.at(-1))}`,
        },
      ];
    }
    const path = joinPath(options.pathPrefix, issue.path);
    const secret = (options.secretPaths ?? []).some((s) => path === s || path.startsWith(`${s}.`));
    const input = (issue as { input?: unknown }).input;
    const given = secret ? "a secret value (not shown)" : describeValue(input);
    return [{ source, path, message: `${describeIssue(issue)}; given ${given}` }];
  });
}

/** The keys an object schema allows at `path`, looking through defaults, optionals and pipes. */
function allowedKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] | undefined {
  let current: z.ZodType | undefined = schema;
  for (const key of [...path, undefined]) {
    current = unwrap(current);
    if (key === undefined) break;
    if (current instanceof z.ZodObject)
      current = current.shape[String(key)] as z.ZodType | undefined;
    else if (current instanceof z.ZodRecord) current = current.valueType as z.ZodType;
    else if (current instanceof z.ZodArray) current = current.element as z.ZodType;
    else return undefined;
  }
  return current instanceof z.ZodObject ? Object.keys(current.shape) : undefined;
}

/** The schema inside defaults, optionals, nullables and pipes. */
export function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let current = schema;
  for (;;) {
    if (
      current instanceof z.ZodDefault ||
      current instanceof z.ZodOptional ||
      current instanceof z.ZodNullable
    ) {
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodPipe) {
      current = current.in as z.ZodType;
    } else {
      return current;
    }
  }
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
    case "invalid_type":
      // A message the schema wrote itself says more than the type.
      if (!issue.message.startsWith("Invalid input")) return issue.message;
      return `expected ${issue.expected}`;
    case "invalid_value":
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "too_small":
      // A message the schema wrote itself says more than the bound.
      if (!issue.message.startsWith("Too small")) return issue.message;
      return issue.origin === "string"
        ? `expected at least ${String(issue.minimum)} characters`
        : issue.origin === "array"
          ? `expected at least ${plural(Number(issue.minimum), "entry", "entries")}`
          : `expected ${issue.inclusive ? ">=" : ">"} ${String(issue.minimum)}`;
    case "too_big":
      return issue.origin === "string"
        ? `expected at most ${String(issue.maximum)} characters`
        : issue.origin === "array"
          ? `expected at most ${plural(Number(issue.maximum), "entry", "entries")}`
          : `expected ${issue.inclusive ? "<=" : "<"} ${String(issue.maximum)}`;
    default:
      return issue.message;
  }
}

export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
