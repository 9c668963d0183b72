import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  ClusterError,
  describeKubectlFailure,
  isKubeconfigText,
  kubeTarget,
  missingContextMessage,
  providerSettings,
} from "../../scripts/kube";

/** What kubectl 1.33.13 printed on stderr, recorded from real runs against the local cluster. */
const REFUSED = [
  'E1201 22:12:37.976798    9093 memcache.go:265] "Unhandled Error" err="couldn\'t get current server API group list: Get \\"https://127.0.0.1:1/api?timeout=32s\\": dial tcp 127.0.0.1:1: connect: connection refused"',
  "The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?",
  "",
].join("\n");
const NO_SUCH_HOST =
  "Unable to connect to the server: dial tcp: lookup cluster.example.invalid on 127.0.0.53:53: no such host\n";
const UNAUTHORIZED = "error: You must be logged in to the server (Unauthorized)\n";
const FORBIDDEN =
  'Error from server (Forbidden): pods is forbidden: User "reader" cannot list resource "pods" in API group "" in the namespace "kgents-agents"\n';
const NO_TYPE = 'error: the server doesn\'t have a resource type "agents"\n';

describe("scripts/kube: the stack's cluster", () => {
  it("reads kubernetes:context and kubernetes:kubeconfig from a stack file as data", () => {
    assert.deepEqual(
      providerSettings(
        "config:\n  kubernetes:context: prod-eu\n  kubernetes:kubeconfig: ~/.kube/prod\n  agent-platform:logLevel: info\n",
      ),
      { context: "prod-eu", kubeconfig: "~/.kube/prod" },
    );
    assert.deepEqual(providerSettings("config:\n  agent-platform:logLevel: info\n"), {});
    assert.deepEqual(providerSettings(""), {});
    assert.deepEqual(providerSettings("config:\n  kubernetes:kubeconfig:\n    secure: v1:abc\n"), {
      kubeconfigSecret: true,
    });
  });

  it("tells a kubeconfig's text from a path to one, as the provider takes both", () => {
    assert.equal(isKubeconfigText("/home/me/.kube/config"), false);
    assert.equal(isKubeconfigText("~/.kube/config"), false);
    assert.equal(isKubeconfigText("apiVersion: v1\nkind: Config\n"), true);
    assert.equal(isKubeconfigText('{"apiVersion":"v1"}'), true);
  });

  it("gives kubectl the stack's kubeconfig and context", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kube-test-"));
    const file = path.join(dir, "kubeconfig");
    fs.writeFileSync(file, "apiVersion: v1\n");
    assert.deepEqual(kubeTarget("staging", {}), { kubeconfigArgs: [] });
    assert.deepEqual(kubeTarget("staging", { kubeconfig: file, context: "local" }), {
      kubeconfigArgs: ["--kubeconfig", file],
      context: "local",
    });
    const written: string[] = [];
    const target = kubeTarget("staging", { kubeconfig: "apiVersion: v1\nkind: Config\n" }, (t) => {
      written.push(t);
      return file;
    });
    assert.deepEqual(
      [written, target],
      [["apiVersion: v1\nkind: Config\n"], { kubeconfigArgs: ["--kubeconfig", file] }],
    );
    fs.rmSync(dir, { recursive: true });
  });

  it("refuses a kubeconfig it cannot read, in one line each", () => {
    assert.throws(
      () => kubeTarget("staging", { kubeconfig: "/nonexistent/kubeconfig" }),
      (e: unknown) =>
        e instanceof ClusterError &&
        e.message ===
          'The kubeconfig of stack "staging" (kubernetes:kubeconfig) does not exist: /nonexistent/kubeconfig',
    );
    assert.throws(
      () => kubeTarget("production", { kubeconfigSecret: true }),
      (e: unknown) =>
        e instanceof ClusterError &&
        e.message ===
          'kubernetes:kubeconfig of stack "production" is a secret, which only Pulumi can decrypt: point KUBECONFIG at that kubeconfig and unset the key, or name a kubernetes:context',
    );
  });

  it("says in one line why kubectl failed, without its log lines", () => {
    const where = 'kube context "local"';
    assert.deepEqual(
      [REFUSED, NO_SUCH_HOST, UNAUTHORIZED, FORBIDDEN, NO_TYPE].map((stderr) =>
        describeKubectlFailure(stderr, "staging", where),
      ),
      [
        'Cannot reach the cluster of stack "staging" (kube context "local", 127.0.0.1:1): connection refused',
        'Cannot reach the cluster of stack "staging" (kube context "local"): cluster.example.invalid: no such host',
        'The cluster of stack "staging" (kube context "local") refused the credentials (Unauthorized)',
        'The credentials of stack "staging" (kube context "local") may not read this: pods is forbidden: User "reader" cannot list resource "pods" in API group "" in the namespace "kgents-agents"',
        'kubectl failed on the cluster of stack "staging" (kube context "local"): the server doesn\'t have a resource type "agents"',
      ],
    );
    assert.equal(
      missingContextMessage("staging", "nope", ["local", "prod"]),
      'There is no kube context "nope" (kubernetes:context of stack "staging"); the contexts are: local, prod',
    );
    assert.equal(
      missingContextMessage("staging", "nope", []),
      'There is no kube context "nope" (kubernetes:context of stack "staging"); the contexts are: none',
    );
  });
});
