/**
 * The offline render of one stack as JSON, for the end-to-end tests: the resources the program
 * registers (URNs), each Kubernetes object with its URN, the outputs and what destroy keeps. A
 * process of its own, because the render runs Pulumi's mock runtime, which must never share a
 * process with the Automation API's real one.
 *
 *   node --import tsx test/e2e/render-json.ts --stack <name> --spec-dir DIR --registry REGISTRY
 */
import { parseArgs } from "util";
import { renderStack, toManifests } from "../../scripts/render-lib";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      stack: { type: "string" },
      "spec-dir": { type: "string" },
      registry: { type: "string" },
    },
    strict: true,
  });
  const rendered = await renderStack({
    stack: values.stack!,
    specDir: values["spec-dir"],
    overrides: { imageRegistry: values.registry },
    mode: "up",
  });
  const resources = rendered.run.resources.map((r) => ({
    urn: r.urn,
    type: r.type,
    custom: r.custom,
    protect: r.protect,
    retainOnDelete: r.retainOnDelete,
  }));
  // The same order and redaction as manifests.yaml, with the URN of each object.
  const objects = rendered.run.resources
    .filter((r) => r.custom && r.type.startsWith("kubernetes:") && r.state.kind !== undefined)
    .map((r) => ({ urn: r.urn, manifest: toManifests([r])[0] }));
  process.stdout.write(
    JSON.stringify({ resources, objects, outputs: rendered.outputs, kept: rendered.kept }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
