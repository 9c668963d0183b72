/**
 * npm run render -- --stack <staging|production> [--out DIR]
 *
 * Runs the stack program offline, under Pulumi's mock runtime, with the config of
 * `Pulumi.<stack>.yaml`, and writes DIR/manifests.yaml (every Kubernetes object, in dependency
 * order, secrets as `[secret]`), DIR/outputs.json (the stack outputs) and DIR/kept.txt (the
 * objects `pulumi destroy` leaves in the cluster, one `Kind namespace/name` per line). DIR
 * defaults to `dist/<stack>/`.
 */
// First: @pulumi/pulumi loads faster with it (scripts/lazy-modules.js).
import "./lazy-modules";
import * as fs from "fs";
import * as path from "path";
import { renderStack, toYaml } from "./render-lib";
import { ROOT, checkStackName } from "./stack-file";
import { UsageError, parseOptions, runCli } from "./cli";

const USAGE = "usage: npm run render -- --stack <staging|production> [--out DIR]";

runCli(
  async () => {
    const values = parseOptions("render", USAGE, {
      stack: { type: "string" },
      out: { type: "string" },
    });
    if (values.stack === undefined) throw new UsageError(USAGE);
    const stack = checkStackName(values.stack);
    const out = path.resolve(values.out ?? path.join(ROOT, "dist", stack));
    if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) {
      throw new UsageError(`--out must name a directory; ${values.out} is a file`);
    }

    const rendered = await renderStack({ stack });
    try {
      fs.mkdirSync(out, { recursive: true });
    } catch (error) {
      throw new UsageError(
        `--out: cannot create the directory ${out} (${(error as { code?: string }).code ?? String(error)})`,
      );
    }
    fs.writeFileSync(path.join(out, "manifests.yaml"), toYaml(rendered.manifests));
    fs.writeFileSync(
      path.join(out, "outputs.json"),
      `${JSON.stringify(rendered.outputs, null, 2)}\n`,
    );

    fs.writeFileSync(path.join(out, "kept.txt"), rendered.kept.map((line) => `${line}\n`).join(""));

    for (const warning of rendered.warnings) console.error(`warning: ${warning}`);
    for (const { key, encrypted } of rendered.placeholders) {
      console.error(
        encrypted
          ? `note: secret "${key}" is encrypted in the stack file, which a render cannot read; rendered as [secret]`
          : `note: secret "${key}" is not set; rendered as [secret] (pulumi up refuses until it is set)`,
      );
    }
    console.log(
      `${rendered.manifests.length} objects -> ${path.relative(process.cwd(), out) || "."}/manifests.yaml, outputs.json, kept.txt`,
    );
  },
  { consequence: "nothing was written" },
);
