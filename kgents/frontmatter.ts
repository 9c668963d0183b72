import {
  Alias,
  DocumentOptions,
  ParseOptions,
  SchemaOptions,
  Document,
  Node,
  Pair,
  Scalar,
  YAMLMap,
  YAMLSeq,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  parseDocument,
} from "yaml";
import matter from "gray-matter";
import { RESERVED_OBJECT_KEYS, defineOwn } from "../stacks/problems";

/**
 * Agent spec files as data, never code.
 *
 * A spec is `---`, YAML, `---`, then markdown. gray-matter splits it (the brief's reader), with an
 * `engines` option in which the YAML engine is this module's bounded YAML 1.2 read (the `yaml`
 * package, core schema, into plain data) and every other language is refused; passing options
 * also keeps gray-matter from caching a result by content. Nothing else is ever called:
 *
 * - No engines. The opening line must be exactly `---`: gray-matter's `---js` / `---javascript`
 *   (whose default engine runs the frontmatter through `eval`) is refused before gray-matter
 *   sees the file, and its `json`, `javascript` and `coffee` engines are refusals too.
 * - No tags but the core schema's: an unresolved tag (`!!js/function`, `!custom`) is refused.
 * - Bounded: the frontmatter (what is parsed) at most `MAX_FRONTMATTER_BYTES`, the whole file at
 *   most `MAX_SPEC_BYTES` (a runaway file, not a long design note below the frontmatter), at most
 *   `MAX_NODES` values after alias and merge expansion (a "billion laughs" file is refused at
 *   once), nesting at most `MAX_DEPTH` deep.
 * - Merge keys (`<<: *defaults`, `<<: [*a, *b]`) merge as YAML defines them: the map's own keys
 *   first, then the merged maps in order; each merged value counts toward `MAX_NODES`.
 * - Values as written: YAML 1.2 has no sexagesimal numbers, octal `010` or `1_000`; `config`
 *   values keep their source text (`0x1F` stays `"0x1F"`, `1.0` stays `"1.0"`), and a number
 *   anywhere else must be written in plain decimal. NUL and other control characters are refused.
 * - Duplicate keys and keys such as `__proto__` are refused; maps become objects with own
 *   properties only.
 * - A UTF-8 byte order mark and CRLF line ends are accepted.
 */

/**
 * How every user file is parsed (spec frontmatter here, stack files in `scripts/stack-file.ts`):
 * YAML 1.2 core schema; no custom tags and none of YAML 1.1's (`!!binary`, `!!set`,
 * `!!timestamp`), which stay unresolved and are refused; `<<` merge keys; unique keys.
 */
export const YAML_AS_DATA: ParseOptions & DocumentOptions & SchemaOptions = {
  version: "1.2",
  schema: "core",
  customTags: [],
  resolveKnownTags: false,
  merge: true,
  uniqueKeys: true,
  prettyErrors: true,
};

/** Largest frontmatter (the YAML between the `---` lines), in bytes. The shipped ones are under 1 KiB. */
export const MAX_FRONTMATTER_BYTES = 64 * 1024;
/** Largest spec file, frontmatter and markdown body together, in bytes: stops a runaway file. */
export const MAX_SPEC_BYTES = 1024 * 1024;
/** Most values (scalars, maps, lists, counted again for each alias use) in one frontmatter. */
export const MAX_NODES = 5000;
/** Deepest nesting of maps and lists. */
const MAX_DEPTH = 20;

/** One thing wrong with a file's frontmatter; `path` is the field, or a `(...)` marker. */
interface FrontmatterProblem {
  readonly path: string;
  readonly message: string;
}

type FrontmatterResult =
  | { readonly ok: true; readonly data: unknown; readonly body: string }
  | { readonly ok: false; readonly problems: FrontmatterProblem[] };

/** Plain decimal, as JSON writes numbers. */
const DECIMAL = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$/;

/** C0 controls but tab and line feed, DEL, and C1 controls. */
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;

/** Splits and parses a spec file's text. Never throws for any input. */
export function parseFrontmatter(text: string): FrontmatterResult {
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > MAX_SPEC_BYTES) return fail("(file)", fileTooLarge(bytes));
  const content = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const lines = content.split(/\r?\n/);
  const end = frontmatterEnd(lines);
  if (typeof end !== "number") return end;
  return splitWithGrayMatter(lines, end);
}

/**
 * The index of the line that closes the frontmatter, or the problem: no `---` first line (or
 * another engine's), no closing line, too many bytes, or a second YAML document before it.
 */
function frontmatterEnd(lines: string[]): number | FrontmatterResult {
  const first = lines[0].trimEnd();
  if (first !== "---") {
    if (first.startsWith("---")) return fail("(frontmatter)", engineRefused(first));
    return fail(
      "(frontmatter)",
      'expected YAML frontmatter between "---" lines at the top of the file, with at least "genus"; given a file without frontmatter',
    );
  }
  const end = lines.findIndex((line, i) => i > 0 && /^(---|\.\.\.)\s*$/.test(line));
  if (end === -1) {
    return fail("(frontmatter)", 'expected a closing "---" line after the frontmatter; given none');
  }
  const yamlBytes = Buffer.byteLength(lines.slice(1, end).join("\n"), "utf8");
  if (yamlBytes > MAX_FRONTMATTER_BYTES) {
    return fail(
      "(frontmatter)",
      `expected frontmatter of at most ${MAX_FRONTMATTER_BYTES} bytes (the YAML between the "---" lines; the markdown body below them does not count); given ${yamlBytes} bytes`,
    );
  }
  // gray-matter closes the frontmatter at the first line that starts with "---"; the one this
  // reader closes at is the first that is exactly "---" (or "..."). Another line that starts with
  // "---" before it would be a second YAML document: refused, so that both agree.
  const early = lines.slice(1, end).findIndex((line) => line.startsWith("---"));
  if (early !== -1) {
    return fail(
      "(frontmatter)",
      `expected one YAML document between the "---" lines; given another "---" on line ${early + 2} of the file`,
    );
  }
  return end;
}

/** gray-matter's split of the checked file, its YAML read by `readYaml` and every other engine refused. */
function splitWithGrayMatter(lines: string[], end: number): FrontmatterResult {
  let read: FrontmatterResult | undefined;
  const yamlEngine = {
    // gray-matter hands over what follows the opening "---", its line end included.
    parse: (yamlText: string) => {
      read = readYaml(yamlText.replace(/^\n/, ""));
      return {};
    },
  };
  const refusal = (name: string) => ({
    parse: (): never => {
      throw new EngineRefused(name);
    },
  });
  let file: { content: string; matter: string; isEmpty?: boolean };
  try {
    // Line ends as one "\n" (a CRLF file reads as the same data), the byte order mark gone.
    file = matter(lines.join("\n"), {
      language: "yaml",
      delimiters: ["---", lines[end].trimEnd()],
      engines: {
        yaml: yamlEngine,
        json: refusal("json"),
        javascript: refusal("javascript"),
        coffee: refusal("coffee"),
      },
    });
  } catch (error) {
    // An engine gray-matter has not got ("is not registered"), or one of the refusals above.
    return fail(
      "(frontmatter)",
      engineRefused(`---${error instanceof EngineRefused ? error.language : "?"}`),
    );
  }
  // Frontmatter of only blanks and comments never reaches an engine: read it all the same.
  const result = read ?? readYaml(file.matter.replace(/^\n/, ""));
  if (!result.ok) return result;
  return { ok: true, data: result.data, body: file.content };
}

/** An engine other than YAML, refused: by the first-line rule, or by gray-matter's engines. */
class EngineRefused extends Error {
  constructor(readonly language: string) {
    super(`engine ${language} refused`);
  }
}

function engineRefused(firstLine: string): string {
  return `expected the first line to be exactly "---" (frontmatter is read as YAML only; no other language or engine runs); given ${JSON.stringify(firstLine.slice(0, 40))}`;
}

/** The file bound's message, for the text and for a file too large to read at all. */
export function fileTooLarge(bytes: number): string {
  return `expected a spec file of at most ${MAX_SPEC_BYTES} bytes (frontmatter and markdown body together); given ${bytes} bytes`;
}

/** The frontmatter's YAML as plain data, or its problems. */
function readYaml(yamlText: string): FrontmatterResult {
  let document: Document.Parsed;
  try {
    document = parseDocument(yamlText, YAML_AS_DATA);
  } catch (error) {
    return fail(
      "(frontmatter)",
      `expected valid YAML; given text that does not parse (${String(error)})`,
    );
  }
  const syntax = [...document.errors, ...document.warnings];
  if (syntax.length > 0) {
    return {
      ok: false,
      problems: syntax.map((e) => ({
        path: "(frontmatter)",
        // linePos is 1-based within the frontmatter, which starts on the file's second line.
        message: `${e.code === "TAG_RESOLVE_FAILED" ? "expected plain YAML data" : "expected valid YAML"}; given text that does not parse (${describeYamlError(e.code, e.message)}, line ${(e.linePos?.[0].line ?? 0) + 1} of the file)`,
      })),
    };
  }
  const reader = new Reader(document);
  const data = reader.read(document.contents, [], 0);
  if (reader.problems.length > 0) return { ok: false, problems: reader.problems };
  return { ok: true, data: data ?? null, body: "" };
}

function fail(path: string, message: string): FrontmatterResult {
  return { ok: false, problems: [{ path, message }] };
}

/** A yaml error in one line, without its position (the caller names the line). */
export function describeYamlError(code: string, message: string): string {
  const first = message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
  if (code === "TAG_RESOLVE_FAILED") {
    return `the tag ${first.replace(/^Unresolved tag:?\s*/, "")} is not allowed: only plain YAML values are`;
  }
  if (code === "DUPLICATE_KEY") return "a key appears twice in one mapping";
  return first;
}

/** Turns the YAML tree into plain data, counting every value it visits. */
class Reader {
  readonly problems: FrontmatterProblem[] = [];
  private nodes = 0;
  private stopped = false;

  constructor(private readonly document: Document.Parsed) {}

  read(node: Node | Pair | null | undefined, path: readonly string[], depth: number): unknown {
    if (this.stopped || node === null || node === undefined) return null;
    if (++this.nodes > MAX_NODES) {
      return this.stop(
        `expected at most ${MAX_NODES} values, aliases counted each time they are used; given more`,
      );
    }
    if (depth > MAX_DEPTH)
      return this.stop(`expected nesting at most ${MAX_DEPTH} deep; given deeper`);
    if (isAlias(node)) return this.read((node as Alias).resolve(this.document), path, depth);
    if (isMap(node)) return this.readMap(node as YAMLMap, path, depth);
    if (isSeq(node)) {
      return (node as YAMLSeq).items.map((item, i) =>
        this.read(item as Node, [...path, `[${i}]`], depth + 1),
      );
    }
    if (isScalar(node)) return this.readScalar(node as Scalar, path);
    return this.stop("expected plain YAML data; given a value of another kind");
  }

  private readMap(map: YAMLMap, path: readonly string[], depth: number): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    const merges: (Node | null)[] = [];
    for (const pair of map.items) {
      if (isMergeKey(pair.key)) {
        merges.push(pair.value as Node | null);
        continue;
      }
      if (!isScalar(pair.key) || typeof (pair.key as Scalar).value === "object") {
        this.add(path, "expected text keys only; given a key that is a map or a list");
        continue;
      }
      const key = keyText(pair.key as Scalar);
      if (RESERVED_OBJECT_KEYS.has(key)) {
        this.add(
          [...path, key],
          `expected a field name; given the reserved key ${JSON.stringify(key)}`,
        );
        continue;
      }
      defineOwn(result, key, this.read(pair.value as Node | null, [...path, key], depth + 1));
    }
    // `<<` as YAML defines it: the map's own keys win, then each merged map in order; a merged
    // map is read (and counted) again each time it is merged, as an alias is.
    for (const merge of merges) {
      if (this.stopped) break;
      const sources = isSeq(merge) ? (merge as YAMLSeq).items : [merge];
      for (const source of sources) {
        const value = this.read(source as Node | null, path, depth + 1);
        if (this.stopped) break;
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
          this.add(
            path,
            `expected a mapping, or a list of mappings, after "<<"; given ${describeMerge(value)}`,
          );
          continue;
        }
        for (const [key, merged] of Object.entries(value)) {
          if (!Object.hasOwn(result, key)) defineOwn(result, key, merged);
        }
      }
    }
    return result;
  }

  private readScalar(scalar: Scalar, path: readonly string[]): unknown {
    const value = scalar.value;
    const source = scalar.source ?? String(value);
    if (typeof value === "string") {
      const control = CONTROL.exec(value);
      if (control !== null) {
        const code = control[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
        this.add(
          path,
          `expected text without control characters; given U+${code} at character ${control.index + 1}`,
        );
      }
      return value;
    }
    // Inside `config`, values are environment variable text: keep what the user wrote.
    if (path[0] === "config" && path.length === 2 && value !== null && scalar.type === "PLAIN") {
      return source;
    }
    if (typeof value === "number" && !DECIMAL.test(source)) {
      this.add(path, `expected a number in plain decimal, such as 10; given ${source}`);
    }
    return value;
  }

  private add(path: readonly string[], message: string): void {
    this.problems.push({ path: fieldPath(path), message });
  }

  private stop(message: string): null {
    this.stopped = true;
    this.problems.push({ path: "(frontmatter)", message });
    return null;
  }
}

/** A merge key: a plain `<<` (quoted, `"<<"` is an ordinary key). */
function isMergeKey(key: unknown): boolean {
  return isScalar(key) && (key as Scalar).type === "PLAIN" && (key as Scalar).source === "<<";
}

function describeMerge(value: unknown): string {
  return Array.isArray(value) ? "a list" : value === null ? "nothing" : JSON.stringify(value);
}

/** `networkPolicy.allowedPeers[1]`: keys joined by dots, list indexes in brackets. */
function fieldPath(path: readonly string[]): string {
  if (path.length === 0) return "(frontmatter)";
  return path.reduce(
    (acc, part) => (part.startsWith("[") || acc === "" ? acc + part : `${acc}.${part}`),
    "",
  );
}

/** A key as written: plain keys keep their source (`010` stays `010`). */
function keyText(key: Scalar): string {
  if (key.type === "PLAIN" && key.source !== undefined) return key.source;
  return String(key.value);
}
