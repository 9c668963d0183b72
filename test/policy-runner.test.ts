import { strict as assert } from "assert";
import { ChildProcess, spawn } from "child_process";
import { join } from "path";
import * as grpc from "@grpc/grpc-js";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import {
  AnalyzeDiagnostic,
  AnalyzeRequest,
  AnalyzeResponse,
  AnalyzeStackRequest,
  AnalyzerInfo,
  AnalyzerResource,
  AnalyzerResourceOptions,
  EnforcementLevel,
} from "@pulumi/pulumi/proto/analyzer_pb";
import { kubernetesType } from "../components/shared/urns";
import { Manifest } from "../scripts/render-lib";
import { one, render } from "./harness";

/**
 * The policy pack as the Pulumi CLI runs it: `@pulumi/pulumi`'s policy runner loads
 * `policy/index.js` (which loads serve.ts with tsx, untyped), the pack serves the analyzer gRPC
 * API, and the engine calls it. Here the test plays the engine, so a pack that does
 * not load, or wraps its checks wrongly, fails without a Pulumi CLI.
 */

const POLICY_DIR = join(__dirname, "..", "policy");
const RUNNER = join(__dirname, "..", "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack");
/** What the engine sends for a value not known during a preview. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Resolves with the pack's analyzer address (the port it prints first). */
function analyzerAddress(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const port = /^(\d+)\n/.exec(stdout)?.[1];
      if (port !== undefined) resolve(`127.0.0.1:${port}`);
    });
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("exit", (code) => reject(new Error(`the policy pack exited (${code}): ${stderr}`)));
  });
}

function call<Req, Res>(
  method: (
    request: Req,
    callback: (error: grpc.ServiceError | null, response: Res) => void,
  ) => unknown,
  request: Req,
): Promise<Res> {
  return new Promise((resolve, reject) =>
    method(request, (error, response) => (error === null ? resolve(response) : reject(error))),
  );
}

function diagnostics(response: AnalyzeResponse): [string, string, EnforcementLevel][] {
  return response
    .getDiagnosticsList()
    .map((d: AnalyzeDiagnostic) => [d.getPolicyname(), d.getMessage(), d.getEnforcementlevel()]);
}

function typeOf(m: Manifest): string {
  return kubernetesType(m.apiVersion, m.kind);
}

function resource(m: Manifest): AnalyzerResource {
  return new AnalyzerResource()
    .setType(typeOf(m))
    .setName(m.metadata.name)
    .setUrn(`urn:pulumi:production::agent-platform::${typeOf(m)}::${m.metadata.name}`)
    .setOptions(new AnalyzerResourceOptions())
    .setProperties(Struct.fromJavaScript(JSON.parse(JSON.stringify(m))));
}

function analyzeRequest(m: Manifest): AnalyzeRequest {
  const r = resource(m);
  return new AnalyzeRequest()
    .setType(r.getType())
    .setName(r.getName())
    .setUrn(r.getUrn())
    .setOptions(new AnalyzerResourceOptions())
    .setProperties(r.getProperties());
}

describe("the policy pack under Pulumi's policy runner", function () {
  this.timeout(120_000);
  let child: ChildProcess | undefined;
  let client: AnalyzerClient;

  before(async () => {
    // The first argument is the engine's address; the pack calls it only to log errors.
    child = spawn(process.execPath, [RUNNER, "127.0.0.1:1", "."], { cwd: POLICY_DIR });
    client = new AnalyzerClient(await analyzerAddress(child), grpc.credentials.createInsecure());
  });

  after(() => {
    client?.close();
    child?.removeAllListeners("exit");
    child?.kill();
  });

  it("loads, named agent-platform, with its six mandatory policies", async () => {
    const info = await call<Empty, AnalyzerInfo>(client.getAnalyzerInfo.bind(client), new Empty());
    assert.equal(info.getName(), "agent-platform");
    assert.equal(info.getVersion(), "0.1.0");
    assert.deepEqual(
      info.getPoliciesList().map((p) => [p.getName(), p.getEnforcementlevel()]),
      [
        "restricted-security-context",
        "requests-and-limits",
        "probes",
        "immutable-image-tags",
        "pod-disruption-budgets",
        "default-deny-network-policy",
      ].map((name) => [name, EnforcementLevel.MANDATORY]),
    );
  });

  it("passes the rendered production objects, and reports a broken one as mandatory", async () => {
    const { manifests } = await render("production");
    const society = one(manifests, "Deployment", "agent-society", "agent-society");
    assert.deepEqual(
      diagnostics(await call(client.analyze.bind(client), analyzeRequest(society))),
      [],
    );

    const broken = structuredClone(society) as Manifest & {
      spec: { template: { spec: { containers: { image: string }[] } } };
    };
    broken.spec.template.spec.containers[0].image = "agent-society:latest";
    assert.deepEqual(diagnostics(await call(client.analyze.bind(client), analyzeRequest(broken))), [
      [
        "immutable-image-tags",
        // The engine shows the policy's description, then the message.
        "In production, every image is pinned: a release version or a digest.\n" +
          'Deployment agent-society/agent-society: container "agent-society" image ' +
          '"agent-society:latest" has the tag latest, which can move; production needs a pinned ' +
          'version such as "1.4.2" or a digest "sha256:<64 hex>"',
        EnforcementLevel.MANDATORY,
      ],
    ]);
  });

  it("a pod spec not known during a preview is reported as advisory, not passed", async () => {
    const { manifests } = await render("production");
    const sts = structuredClone(one(manifests, "StatefulSet", "tigerbeetle-0", "tigerbeetle"));
    (sts as unknown as { spec: { template: { spec: unknown } } }).spec.template.spec = UNKNOWN;
    const found = diagnostics(await call(client.analyze.bind(client), analyzeRequest(sts)));
    assert.deepEqual(
      found.map(([name, message, level]) => [name, message.startsWith("can't run policy"), level]),
      [
        ["restricted-security-context", true, EnforcementLevel.ADVISORY],
        ["requests-and-limits", true, EnforcementLevel.ADVISORY],
        ["probes", true, EnforcementLevel.ADVISORY],
        ["immutable-image-tags", true, EnforcementLevel.ADVISORY],
      ],
    );
  });

  it("stack policies run over every resource of the stack", async () => {
    const { manifests } = await render("production");
    const all = manifests.map(resource);
    assert.deepEqual(
      diagnostics(
        await call(
          client.analyzeStack.bind(client),
          new AnalyzeStackRequest().setResourcesList(all),
        ),
      ),
      [],
    );
    const withoutDeny = manifests
      .filter(
        (m) =>
          !(
            m.kind === "NetworkPolicy" &&
            m.metadata.name === "default-deny" &&
            m.metadata.namespace === "agent-society"
          ),
      )
      .map(resource);
    assert.deepEqual(
      diagnostics(
        await call(
          client.analyzeStack.bind(client),
          new AnalyzeStackRequest().setResourcesList(withoutDeny),
        ),
      ),
      [
        [
          "default-deny-network-policy",
          "Every namespace the stack creates has a default-deny NetworkPolicy.\n" +
            "Namespace agent-society has no default-deny NetworkPolicy " +
            "(podSelector: {}, policyTypes: [Ingress, Egress], no rules)",
          EnforcementLevel.MANDATORY,
        ],
      ],
    );
  });
});
