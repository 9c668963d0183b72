import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** A fresh temporary spec directory with the given files (name → content). */
export function specDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "specs-"));
  for (const [name, content] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

/** A spec file: frontmatter lines, then a body. */
export function spec(frontmatter: string, body = "# Agent\n\nDocumented.\n"): string {
  return `---\n${frontmatter.trim()}\n---\n\n${body}`;
}
