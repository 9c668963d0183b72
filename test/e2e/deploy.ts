/**
 * The first deployment of each stack, and the proof that the offline render is faithful: the
 * engine's URNs, the cluster's objects and the stack's outputs are the render's.
 */
import * as fs from "fs";
import * as path from "path";
import Ajv2020 from "ajv/dist/2020";
import { POLICY_PACK, ROOT } from "../../scripts/engine";
import { clusterFacts, substitute } from "../../scripts/render-json";
import { objectKey } from "../../scripts/render-lib";
import { notContained } from "./cluster";
import {
  StackName,
  check,
  engine,
  expect,
  expectEqual,
  expectedLive,
  asLiveComparable,
  failureOf,
  liveOf,
  renders,
  stacks,
  stateOf,
  typeAndName,
  undefinedValues,
} from "./world";

/** On an empty stack: a preview with the pack, every rendered resource to create, nothing "undefined". */
export function previewEmpty(name: StackName): Promise<void> {
  return check(
    `${name}: on an empty stack, a preview with the policy pack passes and shows no value as "undefined"`,
    async () => {
      const run = await engine(name, "preview-empty", (s, out) =>
        s.preview({ ...out, policyPacks: [POLICY_PACK] }),
      );
      expect(run.ok, failureOf(run));
      expect(run.text.includes("agent-platform@v0.1.0"), "the policy pack did not run");
      expectEqual(undefinedValues(run), [], "values shown as undefined");
      const creates = run.log
        .started()
        .filter((s) => s.op === "create")
        .map((s) => s.urn);
      const rendered = renders.get(name)!.resources.map((r) => r.urn);
      expectEqual(
        {
          notRendered: creates
            .filter((u) => !rendered.includes(u))
            .map(typeAndName)
            .sort(),
          notCreated: rendered.filter((u) => !creates.includes(u)),
        },
        {
          notRendered: [
            "pulumi:providers:kubernetes::default",
            "pulumi:providers:kubernetes::default_4_25_0",
            "pulumi:providers:pulumi::default",
            `pulumi:pulumi:Stack::agent-platform-${name}`,
          ],
          notCreated: [],
        },
        "resources to create: the render's, the stack and the engine's default providers",
      );
    },
  );
}

/** The first up. */
export function upCreates(name: StackName): Promise<void> {
  return check(`${name}: up creates every resource`, async () => {
    const run = await engine(name, "up", (s, out) => s.up({ ...out, policyPacks: [POLICY_PACK] }));
    expect(run.ok, failureOf(run));
    expectEqual(undefinedValues(run), [], "values shown as undefined");
  });
}

/** The render's URNs are the engine's: the offline render is faithful. */
export function urnsAreTheRenders(name: StackName): Promise<void> {
  return check(`${name}: the stack's URNs are the render's`, async () => {
    const state = await stateOf(name);
    const engineUrns = state
      .filter((r) => !r.type.startsWith("pulumi:"))
      .map((r) => r.urn)
      .sort();
    const renderUrns = renders
      .get(name)!
      .resources.filter((r) => !r.type.startsWith("pulumi:"))
      .map((r) => r.urn)
      .sort();
    expectEqual(
      {
        onlyInStack: engineUrns.filter((u) => !renderUrns.includes(u)),
        onlyInRender: renderUrns.filter((u) => !engineUrns.includes(u)),
      },
      { onlyInStack: [], onlyInRender: [] },
      "URNs",
    );
  });
}

/** The cluster holds the render's objects, field for field. */
export function clusterHoldsTheRender(name: StackName): Promise<void> {
  return check(
    `${name}: the cluster holds exactly the render's objects, each as rendered after the API server's defaults`,
    async () => {
      const state = await stateOf(name);
      const facts = clusterFacts(renders.get(name)!, state);
      const live = await liveOf(renders.get(name)!);
      const expected = new Map(
        renders.get(name)!.objects.map(({ manifest }) => {
          const object = expectedLive(manifest, facts);
          return [objectKey(object), object] as const;
        }),
      );
      expectEqual(
        {
          missing: [...expected.keys()].filter((k) => !live.has(k)).sort(),
          extra: [...live.keys()].filter((k) => !expected.has(k)).sort(),
        },
        { missing: [], extra: [] },
        "objects",
      );
      const differences = [...expected.entries()].flatMap(([key, object]) =>
        notContained(object, asLiveComparable(live.get(key)!)).map((d) => `${key}${d}`),
      );
      expectEqual(differences, [], "fields that differ from the render");
    },
  );
}

/** The outputs follow their schema and equal the render's. */
export function outputsMatch(name: StackName): Promise<void> {
  return check(
    `${name}: the outputs validate against the schema and equal the render's, but for what only the cluster knows`,
    async () => {
      const outputs = Object.fromEntries(
        Object.entries(await stacks.get(name)!.outputs()).map(([k, v]) => [
          k,
          v.secret ? "[secret]" : v.value,
        ]),
      );
      const schema = JSON.parse(
        fs.readFileSync(path.join(ROOT, "schema", "outputs.schema.json"), "utf8"),
      ) as object;
      const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
      expect(validate(outputs) === true, `schema: ${JSON.stringify(validate.errors)}`);
      const facts = clusterFacts(renders.get(name)!, await stateOf(name));
      expectEqual(outputs, substitute(renders.get(name)!.outputs, facts), "outputs");
    },
  );
}

/** Nothing left to change. */
export function secondPreview(name: StackName): Promise<void> {
  return check(
    `${name}: a second preview, with the policy pack, passes with --expect-no-changes`,
    async () => {
      const run = await engine(name, "preview-no-changes", (s, out) =>
        s.preview({ ...out, expectNoChanges: true, policyPacks: [POLICY_PACK] }),
      );
      expect(run.ok, failureOf(run));
    },
  );
}
