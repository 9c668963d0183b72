/**
 * npm run lint:manifests [-- --stack <staging|production>]
 *
 * Runs kube-score, the production-readiness linter (built from its Go module by
 * `npm run tools -- --only lint`), on the offline render of each stack (both by default) with
 * its default checks, and prints every finding: covered by an exception of
 * `policy/exceptions.ts` (each one a row of the README's "Deliberate exceptions" table), or not.
 * A finding no exception covers is a defect: it is printed first, and the command exits 1.
 */
import { execFile } from "child_process";
import {
  Finding,
  LINTER_EXCEPTIONS,
  ScoredObject,
  findingsOf,
  uncovered,
} from "../policy/exceptions";
import { parseOptions, runCli } from "./cli";
import { StepFailed, toolsEnvironment } from "./local-lib";
import { renderStack, toYaml } from "./render-lib";
import { checkStackName, stackNames } from "./stack-file";

const USAGE = "usage: npm run lint:manifests [-- --stack <staging|production>]";

function kubeScore(yaml: string, env: NodeJS.ProcessEnv): Promise<ScoredObject[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "kube-score",
      ["score", "--output-format", "json", "-"],
      { env, maxBuffer: 256 << 20 },
      // kube-score exits 1 when any check fails: the verdicts are in its output either way.
      (error, stdout, stderr) => {
        try {
          resolve(JSON.parse(stdout) as ScoredObject[]);
        } catch {
          reject(new Error(`kube-score failed: ${stderr.trim() || String(error)}`));
        }
      },
    );
    child.stdin!.end(yaml);
  });
}

const describe = (f: Finding) =>
  `${f.check}: ${f.kind} ${f.namespace}/${f.name}${f.container === undefined ? "" : ` (${f.container})`}: ${f.summary}`;

runCli(
  async () => {
    const values = parseOptions("lint:manifests", USAGE, { stack: { type: "string" } });
    const stacks = values.stack === undefined ? stackNames() : [checkStackName(values.stack)];
    const env = { ...process.env, ...(await toolsEnvironment("lint", "nothing was linted")) };
    let defects = 0;
    for (const stack of stacks) {
      const { manifests } = await renderStack({ stack });
      const findings = findingsOf(await kubeScore(toYaml(manifests), env), manifests);
      const bad = uncovered(findings);
      defects += bad.length;
      console.log(
        `${stack}: ${manifests.length} objects, ${findings.length} findings, ${bad.length} not covered by an exception`,
      );
      for (const f of bad) console.log(`  DEFECT ${describe(f)}`);
      for (const exception of LINTER_EXCEPTIONS) {
        const covered = findings.filter((f) => f.check === exception.check && exception.covers(f));
        if (covered.length > 0) {
          console.log(`  ${covered.length} x ${exception.check}: exception "${exception.row}"`);
        }
      }
    }
    if (defects > 0) {
      throw new StepFailed(
        `${defects} finding(s) no exception covers: fix each, or add it to policy/exceptions.ts and the README's "Deliberate exceptions" table with why and what would lift it`,
      );
    }
  },
  {
    exitCodeOf: (error) => {
      if (!(error instanceof StepFailed)) return undefined;
      console.error(error.message);
      return 1;
    },
  },
);
