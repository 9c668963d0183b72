import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { InvalidInputError, Problem, describeValue, problemsFromZod } from "../stacks/problems";
import { MAX_SPEC_BYTES, fileTooLarge, parseFrontmatter } from "./frontmatter";
import { AgentSpec, frontmatterSchema, frontmatterSchemaWith, toAgentSpec } from "./schema";

/** The project root: spec paths inside it are shown relative to it. */
const ROOT = path.resolve(__dirname, "..");

/** The shipped specs. */
export const DEFAULT_SPEC_DIR = path.join(ROOT, "spec", "agents");

/**
 * Environment variable that points the program at another spec directory. Only the benchmark
 * and tests set it (through `renderStack({ specDir })`); `pulumi up` reads `spec/agents/`.
 */
export const SPEC_DIR_VARIABLE = "AGENT_PLATFORM_SPEC_DIR";

/** The spec directory the program reads. */
export function specDirectory(): string {
  return process.env[SPEC_DIR_VARIABLE] ?? DEFAULT_SPEC_DIR;
}

/** How a file is named in messages: relative to the project when inside it. */
export function displayPath(file: string): string {
  const relative = path.relative(ROOT, file);
  return relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
}

interface LoadOptions {
  /** Another genus rule; only the benchmark sets one (see `frontmatterSchemaWith`). */
  readonly genus?: z.ZodType<string>;
}

interface SpecCheck {
  /** Specs that parsed, sorted by file name (also when other files have problems). */
  readonly specs: AgentSpec[];
  readonly problems: Problem[];
  /**
   * The genera of specs that have problems of their own but name a valid genus: they exist, so a
   * peer or an override that names them is not "unknown" (their own problems say what is wrong).
   */
  readonly flawedGenera: string[];
}

/**
 * Reads and validates every `*.md` file of `dir`: each file on its own (frontmatter, fields,
 * types, a body), then the set (unique genus and name, peers that exist). Collects every
 * problem instead of stopping at the first.
 */
export function checkAgentSpecs(
  dir: string = specDirectory(),
  options: LoadOptions = {},
): SpecCheck {
  const schema =
    options.genus === undefined ? frontmatterSchema : frontmatterSchemaWith(options.genus);
  const problems: Problem[] = [];
  let files: string[];
  try {
    files = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(".md"))
      .sort()
      .map((f) => path.join(dir, f));
  } catch {
    return {
      specs: [],
      flawedGenera: [],
      problems: [
        {
          source: displayPath(dir),
          path: "(directory)",
          message: "expected a directory of agent specs (*.md); given a path that does not exist",
        },
      ],
    };
  }

  const specs: AgentSpec[] = [];
  const flawedGenera: string[] = [];
  for (const file of files) {
    const content = readSpecFile(file, problems);
    if (content === undefined) continue;
    const { spec, genus } = parseSpecFile(file, content, problems, schema);
    if (spec !== undefined) specs.push(spec);
    else if (genus !== undefined) flawedGenera.push(genus);
  }
  problems.push(...crossCheck(specs, flawedGenera));
  return { specs, problems, flawedGenera };
}

/** Like `checkAgentSpecs`, but throws `InvalidInputError` listing every problem. */
export function loadAgentSpecs(
  dir: string = specDirectory(),
  options: LoadOptions = {},
): AgentSpec[] {
  const { specs, problems } = checkAgentSpecs(dir, options);
  if (problems.length > 0) {
    throw new InvalidInputError(`Invalid agent specs in ${displayPath(dir)}`, problems);
  }
  return specs;
}

/**
 * A spec file's text, or a problem: a directory or a dangling link named `*.md`, or a file that
 * cannot be read, is reported by name instead of stopping the whole check.
 */
function readSpecFile(file: string, problems: Problem[]): string | undefined {
  const source = displayPath(file);
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) {
      problems.push({
        source,
        path: "(file)",
        message: "expected a spec file; given a directory or another kind of entry named *.md",
      });
      return undefined;
    }
    if (stat.size > MAX_SPEC_BYTES) {
      problems.push({
        source,
        path: "(file)",
        message: fileTooLarge(stat.size),
      });
      return undefined;
    }
    const bytes = fs.readFileSync(file);
    // Decoded strictly: bytes that are not UTF-8 are refused, not replaced.
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (error) {
    const code = (error as { code?: string }).code;
    problems.push({
      source,
      path: "(file)",
      message:
        code === undefined || code === "ERR_ENCODING_INVALID_ENCODED_DATA"
          ? "expected UTF-8 text; given bytes that are not UTF-8"
          : `expected a readable spec file; given a path that cannot be read (${code}${code === "ENOENT" ? ": a link to nothing" : ""})`,
    });
    return undefined;
  }
}

/**
 * One file: frontmatter present and valid YAML, fields valid, a body that documents it. Returns the
 * spec, or, when the file has problems, the genus it names if that one is valid.
 */
function parseSpecFile(
  file: string,
  content: string,
  problems: Problem[],
  schema: typeof frontmatterSchema = frontmatterSchema,
): { spec?: AgentSpec; genus?: string } {
  const source = displayPath(file);
  const parsed = parseFrontmatter(content);
  if (!parsed.ok) {
    problems.push(...parsed.problems.map((p) => ({ source, ...p })));
    return {};
  }
  const result = schema.safeParse(parsed.data, { reportInput: true });
  const fileProblems = result.success
    ? []
    : result.error.issues.flatMap((i) => toProblems(source, i));
  if (parsed.body.trim() === "") {
    fileProblems.push({
      source,
      path: "(body)",
      message:
        "expected a markdown body below the frontmatter that documents the agent; given nothing",
    });
  }
  problems.push(...fileProblems);
  if (!result.success || fileProblems.length > 0) {
    const genus = (parsed.data as { genus?: unknown } | null)?.genus;
    return schema.shape.genus.safeParse(genus).success ? { genus: genus as string } : {};
  }
  return { spec: toAgentSpec(source, result.data, parsed.body) };
}

/** The top-level fields a spec may have, for "unknown field" messages. */
const FIELDS: Readonly<Record<string, readonly string[]>> = {
  "": Object.keys(frontmatterSchema.shape),
  resources: ["cpu", "memory", "limits"],
  "resources.limits": ["cpu", "memory"],
  sidecar: ["enabled", "image", "resources"],
  "sidecar.resources": ["cpu", "memory", "limits"],
  "sidecar.resources.limits": ["cpu", "memory"],
  networkPolicy: ["allowEgress", "allowedPeers"],
};

/** A zod issue as problems; an unknown key becomes one problem per key, naming its value. */
function toProblems(source: string, issue: z.core.$ZodIssue): Problem[] {
  const where = issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys") {
    const input = (issue as { input?: Record<string, unknown> }).input ?? {};
    const allowed = (FIELDS[where] ?? []).join(", ");
    return issue.keys.map((key) => ({
      source,
      path: where === "" ? key : `${where}.${key}`,
      message: `unknown field; allowed ${where === "" ? "fields" : `fields of ${where}`}: ${allowed}; given ${describeValue(input[key])}`,
    }));
  }
  if (issue.code === "invalid_key") {
    // A record key that breaks the key rule: the inner issue says why.
    const inner = (issue as { issues: z.core.$ZodIssue[] }).issues[0];
    return [
      {
        source,
        path: where,
        message: `${inner?.message ?? "invalid key"}; given the key ${describeValue(issue.path[issue.path.length - 1])}`,
      },
    ];
  }
  if (issue.path.length === 0 && issue.code === "invalid_type") {
    return [
      {
        source,
        path: "(frontmatter)",
        message: `expected a YAML mapping of fields; given ${describeValue((issue as { input?: unknown }).input)}`,
      },
    ];
  }
  const [problem] = problemsFromZod(source, new z.ZodError([issue]));
  // A custom "expected ..." message says more than zod's type name.
  if (issue.code === "invalid_type" && issue.message.startsWith("expected ")) {
    return [{ ...problem, message: `${issue.message}; given ${describeValue(issue.input)}` }];
  }
  return [problem];
}

/**
 * Rules across files: a genus and a name appear once; every `allowedPeers` entry is the genus
 * of some spec (a spec with problems of its own counts: `flawedGenera`). A pure function over
 * parsed specs.
 */
function crossCheck(specs: readonly AgentSpec[], flawedGenera: readonly string[] = []): Problem[] {
  const problems: Problem[] = [];
  const firstByGenus = new Map<string, AgentSpec>();
  const firstByName = new Map<string, AgentSpec>();
  for (const spec of specs) {
    const genusOwner = firstByGenus.get(spec.genus);
    if (genusOwner === undefined) firstByGenus.set(spec.genus, spec);
    else {
      problems.push({
        source: spec.file,
        path: "genus",
        message: `expected a genus no other spec has; ${genusOwner.file} already has it; given "${spec.genus}"`,
      });
    }
    const nameOwner = firstByName.get(spec.name);
    if (nameOwner === undefined) firstByName.set(spec.name, spec);
    else {
      problems.push({
        source: spec.file,
        path: "name",
        message: `expected a name no other spec has; ${nameOwner.file} already has it; given "${spec.name}"`,
      });
    }
  }
  const genera = [...new Set([...firstByGenus.keys(), ...flawedGenera])].sort();
  for (const spec of specs) {
    spec.networkPolicy.allowedPeers.forEach((peer, index) => {
      if (!genera.includes(peer)) {
        problems.push({
          source: spec.file,
          path: `networkPolicy.allowedPeers[${index}]`,
          message: `expected the genus of an agent with a spec (${genera.map((g) => `"${g}"`).join(", ")}); given "${peer}"`,
        });
      }
    });
  }
  return problems;
}
