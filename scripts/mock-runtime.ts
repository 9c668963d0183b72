import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import { configGroupChild } from "../components/shared/urns";

/**
 * Runs the stack program (`index.ts`, exactly what `pulumi up` runs) under Pulumi's mock
 * runtime and records every resource it registers: what the offline render needs, and no more.
 *
 * What stands in for the engine and the provider, kept small:
 * - Resource options and dependencies are read from the registration request the SDK sends (the
 *   mock monitor's `registerResource`), because Pulumi's public mock API (`newResource`) does not
 *   pass them (pulumi/pulumi#14421), and the render orders its objects by them and lists what
 *   destroy keeps from them.
 * - `ProviderStandIn` fills in what the provider or cluster would: auto-names, Service IPs, and
 *   the objects of a `yaml/v2` ConfigGroup, expanded as the provider registers them.
 * - Secrets are recognized by the SDK's own signature (`runtime.specialSigKey`), and the run ends
 *   when the SDK's RPC queue has drained (`runtime.disconnect`).
 * The real engine is the judge: `npm run test:e2e` deploys both stacks through it and checks that
 * the engine's state has exactly the render's URNs, and that every object the cluster holds
 * contains the render's (README, "Tests").
 */

/** A Kubernetes object as it would be applied: apiVersion, kind, metadata first. */
export type Manifest = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string } & Record<string, unknown>;
};

/** One resource as the program registered it, with the options the engine would have seen. */
export interface RecordedResource {
  readonly urn: string;
  /** Type token, e.g. `kubernetes:apps/v1:Deployment` or `agent-platform:index:AgentSociety`. */
  readonly type: string;
  /** Pulumi resource name. */
  readonly name: string;
  readonly custom: boolean;
  /** URN of the parent, or "" for a top-level resource. */
  readonly parent: string;
  /** URNs this resource waits for: its `dependsOn` (components expanded) and its Output inputs. */
  readonly dependencies: readonly string[];
  readonly protect: boolean;
  readonly retainOnDelete: boolean;
  readonly ignoreChanges: readonly string[];
  readonly replaceOnChanges: readonly string[];
  /** Former identities (`aliases`): a URN, or `type=<type>` / `name=<name>` for a partial spec. */
  readonly aliases: readonly string[];
  /** Inputs as sent; secret values are still wrapped (see `isSecretValue`). */
  readonly inputs: Record<string, unknown>;
  /** Inputs plus what a provider would have filled in (auto-names, cluster IPs). */
  readonly state: Record<string, unknown>;
}

export interface ProgramRun {
  readonly resources: readonly RecordedResource[];
  /** Stack outputs, fully resolved; secret outputs still wrapped. */
  readonly outputs: Record<string, unknown>;
  /** What the program logged with `pulumi.log.warn`, in order. */
  readonly warnings: readonly string[];
}

interface RunOptions {
  readonly project: string;
  readonly stack: string;
  /** Config values by full key (`agent-platform:environment`), as Pulumi passes them: strings. */
  readonly config: Record<string, string>;
  /** Full keys whose values are secret. */
  readonly secretKeys: readonly string[];
  /** Run as `pulumi preview` rather than `pulumi up`. */
  readonly preview?: boolean;
  /** The program to run; `index.ts` unless given (the benchmark runs a part of it). */
  readonly program?: () => Promise<Record<string, unknown>>;
}

/** The signature Pulumi puts on a serialized secret value (the SDK's `runtime` exports both). */
const SECRET_SIG_KEY = pulumi.runtime.specialSigKey;
const SECRET_SIG = pulumi.runtime.specialSecretSig;

export function isSecretValue(value: unknown): value is { value: unknown } {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG
  );
}

/** Replaces every secret with `marker`, keeping an object's keys so that shapes stay valid. */
export function redactSecrets(value: unknown, marker = "[secret]"): unknown {
  if (isSecretValue(value)) return markLeaves(value.value, marker);
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, marker));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactSecrets(v, marker)]));
  }
  return value;
}

function markLeaves(value: unknown, marker: string): unknown {
  if (Array.isArray(value)) return value.map((v) => markLeaves(v, marker));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, markLeaves(v, marker)]));
  }
  return marker;
}

/** JSON with object keys sorted, for hashing. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

function hash(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * What the Kubernetes provider and API server would add: a name for auto-named objects
 * (`<resource name>-<8 hex>`, from a hash of the redacted inputs, so the same program gives the
 * same names) and a cluster IP for Services that are not headless.
 */
class ProviderStandIn {
  private readonly usedIps = new Set<string>();

  fill(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
    if (!type.startsWith("kubernetes:")) return { ...inputs };
    const state: Record<string, unknown> = { ...inputs };
    const metadata = { ...((inputs.metadata as Record<string, unknown> | undefined) ?? {}) };
    if (metadata.name === undefined) {
      metadata.name = `${name}-${hash(stableJson(redactSecrets(inputs))).slice(0, 8)}`;
    }
    state.metadata = metadata;
    if (type === "kubernetes:core/v1:Service") {
      const spec = { ...((inputs.spec as Record<string, unknown> | undefined) ?? {}) };
      if (spec.clusterIP === undefined && spec.type !== "ExternalName") {
        spec.clusterIP = this.clusterIp(`${String(metadata.namespace)}/${String(metadata.name)}`);
      }
      state.spec = spec;
    }
    return state;
  }

  /**
   * The objects of a `yaml/v2` ConfigGroup, registered as the provider registers them: each as a
   * resource of its own kind, named `<resourcePrefix>:<namespace>/<name>` (the prefix defaults
   * to the group's name), parented to the group. The provider orders them as cli-utils does:
   * an object depends on the CRD of its kind and on the Namespace it lives in, when the group
   * holds them. The group's own `dependsOn` stays on the group: the provider creates nothing
   * before the group registers. Its `yaml` text (the program passes no `objs`) is read as the program writes it, one JSON
   * object per line (`jsonStream`).
   */
  expand(group: RecordedResource): RecordedResource[] {
    const objs = ((group.inputs.yaml as string | undefined) ?? "")
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line) as Manifest);
    const prefix = (group.inputs.resourcePrefix as string | undefined) ?? group.name;
    const children = objs.map((obj) => ({ obj, ...configGroupChild(group.urn, prefix, obj) }));

    // What the group itself provides: CRDs by the kind they define, Namespaces by name.
    const provided = new Map<string, string>();
    for (const { obj, urn } of children) {
      if (obj.kind === "CustomResourceDefinition") {
        const spec = obj.spec as { group: string; names: { kind: string } };
        provided.set(`kind ${spec.group} ${spec.names.kind}`, urn);
      }
      if (obj.kind === "Namespace") provided.set(`namespace ${obj.metadata.name}`, urn);
    }
    const apiGroup = (apiVersion: string) =>
      apiVersion.includes("/") ? apiVersion.split("/")[0] : "";

    return children.map(({ obj, type, name, urn }) => ({
      urn,
      type,
      name,
      custom: true,
      parent: group.urn,
      dependencies: [
        provided.get(`kind ${apiGroup(obj.apiVersion)} ${obj.kind}`),
        provided.get(`namespace ${obj.metadata.namespace}`),
      ].filter((dep): dep is string => dep !== undefined),
      protect: false,
      retainOnDelete: false,
      ignoreChanges: [],
      replaceOnChanges: [],
      aliases: [],
      inputs: obj,
      state: this.fill(type, name, obj),
    }));
  }

  /** A stable address in 10.96.0.0/16 for a Service, unique within the run. */
  private clusterIp(key: string): string {
    let n = parseInt(hash(key).slice(0, 8), 16) % 65024; // leave 10.96.254-255 unused
    for (;;) {
      const ip = `10.96.${Math.floor(n / 254)}.${(n % 254) + 1}`;
      if (!this.usedIps.has(ip)) {
        this.usedIps.add(ip);
        return ip;
      }
      n = (n + 1) % 65024;
    }
  }
}

const CONFIG_GROUP = "kubernetes:yaml/v2:ConfigGroup";

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getDependenciesList(): string[];
  getProtect(): boolean;
  getRetainondelete(): boolean;
  getIgnorechangesList(): string[];
  getReplaceonchangesList(): string[];
  getAliasesList(): AliasMessage[];
}
interface AliasMessage {
  getUrn(): string;
  getSpec(): { getName(): string; getType(): string } | undefined;
}

/** An alias as `RecordedResource.aliases` shows it. */
function describeAlias(alias: AliasMessage): string {
  const spec = alias.getSpec();
  if (spec === undefined) return alias.getUrn();
  return [
    spec.getType() === "" ? [] : [`type=${spec.getType()}`],
    spec.getName() === "" ? [] : [`name=${spec.getName()}`],
  ]
    .flat()
    .join(" ");
}
type Callback = (err: unknown, response?: { getUrn(): string }) => void;
interface Monitor {
  registerResource(req: RegisterRequest, callback: Callback): Promise<void>;
}

/** Runs the program once. Each call starts from a fresh mock runtime. */
export async function runProgram(options: RunOptions): Promise<ProgramRun> {
  const standIn = new ProviderStandIn();
  const states = new Map<
    string,
    { inputs: Record<string, unknown>; state: Record<string, unknown> }
  >();
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        // A component's outputs are what its constructor or provider registers (for a
        // ConfigGroup, references to the objects it created), never an echo of its inputs.
        const state = args.custom ? standIn.fill(args.type, args.name, args.inputs) : {};
        states.set(`${args.type}::${args.name}`, { inputs: args.inputs, state });
        return { id: args.custom ? `${args.name}-id` : undefined, state };
      },
      call(args) {
        return args.inputs;
      },
    },
    options.project,
    options.stack,
    options.preview ?? false,
  );
  pulumi.runtime.setAllConfig(options.config, [...options.secretKeys]);
  const recorder = recordRegistrations(standIn, states);

  // Loaded only now, after the mocks are in place. (require, not import(): the program is
  // CommonJS, as Pulumi's Node.js runtime loads it, and tests load TypeScript through require.)
  const program =
    options.program ??
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require("../index") as () => Promise<Record<string, unknown>>);
  const warnings = collectWarnings();
  try {
    const exported = await program();
    const outputs = (await resolve(exported)) as Record<string, unknown>;
    // Public, and the one wait there is (pulumi/pulumi#6666): until the RPC queue has drained,
    // every registration the program started answered. The next run's setMocks starts afresh.
    await pulumi.runtime.disconnect();
    return { resources: recorder.resources, outputs, warnings: warnings.list };
  } finally {
    warnings.stop();
  }
}

/**
 * Records every registration as the engine would receive it. The mock monitor's
 * `registerResource` sees the whole request, options included; `newResource` does not
 * (pulumi/pulumi#14421): both are read.
 */
function recordRegistrations(
  standIn: ProviderStandIn,
  states: ReadonlyMap<string, { inputs: Record<string, unknown>; state: Record<string, unknown> }>,
) {
  const resources: RecordedResource[] = [];
  const monitor = pulumi.runtime.getMonitor() as unknown as Monitor;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) =>
    register(req, (err, response) => {
      if (!err && response) {
        const recorded = states.get(`${req.getType()}::${req.getName()}`);
        const resource = recordedResource(req, response.getUrn(), recorded);
        resources.push(resource);
        if (resource.type === CONFIG_GROUP) resources.push(...standIn.expand(resource));
      }
      callback(err, response);
    });
  return { resources };
}

/** A registration request as `RecordedResource` keeps it. */
function recordedResource(
  req: RegisterRequest,
  urn: string,
  recorded: { inputs: Record<string, unknown>; state: Record<string, unknown> } | undefined,
): RecordedResource {
  return {
    urn,
    type: req.getType(),
    name: req.getName(),
    custom: req.getCustom(),
    parent: req.getParent(),
    dependencies: req.getDependenciesList(),
    protect: req.getProtect(),
    retainOnDelete: req.getRetainondelete(),
    ignoreChanges: req.getIgnorechangesList(),
    replaceOnChanges: req.getReplaceonchangesList(),
    aliases: req.getAliasesList().map(describeAlias),
    inputs: recorded?.inputs ?? {},
    state: recorded?.state ?? {},
  };
}

/**
 * Without an engine the SDK writes `pulumi.log.warn` to console.warn with this prefix; the
 * warnings are collected instead, as the engine would show them in a preview.
 */
function collectWarnings(): { list: string[]; stop(): void } {
  const list: string[] = [];
  const consoleWarn = console.warn;
  console.warn = (...args: unknown[]) => {
    const text = args.map(String).join(" ");
    if (text.startsWith(SDK_WARNING_PREFIX)) list.push(text.slice(SDK_WARNING_PREFIX.length));
    else consoleWarn(...args);
  };
  return { list, stop: () => (console.warn = consoleWarn) };
}

const SDK_WARNING_PREFIX = "warning: [runtime] ";

/** Resolves Outputs inside a value; a secret Output becomes a wrapped secret value. */
async function resolve(value: unknown): Promise<unknown> {
  if (pulumi.Output.isInstance(value)) {
    const output = value as pulumi.Output<unknown>;
    const inner = await new Promise<unknown>((res) => output.apply((v) => res(v)));
    const resolvedInner = await resolve(inner);
    const secret = await pulumi.isSecret(output);
    return secret ? { [SECRET_SIG_KEY]: SECRET_SIG, value: resolvedInner } : resolvedInner;
  }
  if (value instanceof Promise) return resolve(await value);
  if (Array.isArray(value)) return Promise.all(value.map(resolve));
  if (typeof value === "object" && value !== null) {
    const entries = await Promise.all(
      Object.entries(value).map(async ([k, v]) => [k, await resolve(v)] as const),
    );
    return Object.fromEntries(entries);
  }
  return value;
}
