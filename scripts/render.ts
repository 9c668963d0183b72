/**
 * npm run render -- --stack <staging|production> [--out DIR]
 *
 * Runs the stack program offline, under Pulumi's mock runtime, with the config of
 * `Pulumi.<stack>.yaml`, and writes DIR/manifests.yaml (every Kubernetes object, in dependency
 * order, secrets as `[secret]`) and DIR/outputs.json (the stack outputs). DIR defaults to
 * `dist/<stack>/`.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { renderStack, toYaml } from "./render-lib";
import { ROOT } from "./stack-file";
import { runCli } from "./cli";

runCli(async () => {
  const { values } = parseArgs({
    options: { stack: { type: "string" }, out: { type: "string" } },
    strict: true,
  });
  if (values.stack === undefined)
    throw new UsageError("usage: npm run render -- --stack <staging|production> [--out DIR]");
  const out = path.resolve(values.out ?? path.join(ROOT, "dist", values.stack));

  const rendered = await renderStack({ stack: values.stack });
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, "manifests.yaml"), toYaml(rendered.manifests));
  fs.writeFileSync(
    path.join(out, "outputs.json"),
    `${JSON.stringify(rendered.outputs, null, 2)}\n`,
  );

  for (const key of rendered.placeholders) {
    console.error(`note: secret "${key}" is not readable offline; rendered as [secret]`);
  }
  console.log(
    `${rendered.manifests.length} objects -> ${path.relative(process.cwd(), out) || "."}/manifests.yaml, outputs.json`,
  );
});

class UsageError extends Error {
  override name = "UsageError";
}
