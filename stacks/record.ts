import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import type { Environment } from "./environments";
import type { IoUringSeccomp } from "./io-uring";
import type { Resources } from "./schema-parts";
import type { SecretKey } from "./secrets";

/**
 * What a service record is: every fact about one platform service, in one place. Where it lives,
 * what it offers and calls, its config section with its defaults per environment, its image,
 * and (for a stateless service) how it runs. The catalog (`catalog.ts`) lists the records; the
 * config schema, the defaults, the image rules, the topology, the traffic matrix, the policies,
 * the outputs and the README's tables are all derived from them.
 */

/** How a client reaches an endpoint: its URL scheme, or `tcp` for a bare `host:port`. */
export type Scheme = "http" | "ws" | "tcp";

interface EndpointRecord {
  /** The Service's base name (the stack's suffix is appended). */
  readonly service: string;
  /** The named port (of the record's `ports`) behind it. */
  readonly port: string;
  readonly scheme: Scheme;
  /** A headless Service (`clusterIP: None`): DNS returns the pods. */
  readonly headless?: boolean;
}

interface CallRecord {
  /** The key of the called service's record. */
  readonly to: string;
  /** An endpoint of `to`. */
  readonly endpoint: string;
  /** The variable that gives the caller this endpoint's URL; none when it finds it otherwise. */
  readonly env?: string;
  /** Why the call exists, for the README and for review. */
  readonly why: string;
}

/** Where a service's image comes from. */
interface ImageSource {
  /**
   * A repository under the stack's `imageRegistry` (the platform's own images), or, with
   * `underRegistry: false`, a full repository of its own (TigerBeetle's official image).
   */
  readonly repository: string;
  readonly underRegistry: boolean;
}

/** What the stack gives every record's `run`, besides its own config section. */
interface StackSettings {
  /** `LOG_LEVEL` of every service. */
  readonly logLevel: string;
  /** The stack's secrets, as secret Outputs. */
  readonly secrets: { readonly [K in SecretKey]: pulumi.Output<string> };
}

/** What a record's `run` may use. */
export interface RunContext<Settings> {
  /** Its own config section, validated and with its environment's defaults. */
  readonly settings: Settings;
  readonly stack: StackSettings;
  /** The URLs of the record's calls, by variable (`callUrls`): the only URLs `env` may hold. */
  readonly urls: Readonly<Record<string, string>>;
  /** The ledger, for a TigerBeetle client (the connector). */
  readonly tigerbeetle: {
    readonly clusterId: string;
    /** Every replica's `ip:3000` in replica order. */
    readonly addresses: pulumi.Input<string>;
    readonly seccomp: IoUringSeccomp;
  };
}

/** An HTTP GET probe on one of the record's named ports. */
export interface HttpProbe {
  readonly path: string;
  readonly port: string;
}

/**
 * How a stateless service runs, for one stack: what `PlatformService` renders besides what its
 * config section gives (image tag, replicas, resources). Its component's type token is
 * `agent-platform:index:<Key>`; its container is named after its app.
 */
export interface RunSpec {
  /** The ConfigMap, loaded as environment variables; its URLs are exactly `urls`. */
  readonly env: Readonly<Record<string, pulumi.Input<string>>>;
  /** The Secret, loaded after the ConfigMap; values are secret Outputs. */
  readonly secrets: Readonly<Record<string, pulumi.Input<string>>>;
  readonly probes: {
    readonly startup: HttpProbe;
    readonly liveness: HttpProbe;
    readonly readiness: HttpProbe;
  };
  /** The namespace's Pod Security level: `restricted` unless the record says why not. */
  readonly podSecurity: "restricted" | "baseline" | "privileged";
  /** Replaces RuntimeDefault, for a reason the record gives (the connector's io_uring). */
  readonly seccompProfile?: k8s.types.input.core.v1.SeccompProfile;
  readonly podAnnotations?: Record<string, string>;
}

/** A rule's finding: a path (below the section, or below `agent-platform:`), what was given, why. */
export interface RuleIssue {
  readonly path: readonly PropertyKey[];
  readonly input: unknown;
  readonly message: string;
}

/** What a section may leave out for its defaults to fill in. */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/** The fields every service's config section has; a stateless one's has replicas and resources too. */
interface SectionBase {
  /** Tag or digest of its image: in production a pinned one (`imageTagRules`). */
  readonly imageTag: string;
}
export interface StatelessSettings extends SectionBase {
  readonly replicas: number;
  readonly resources: Resources;
}

export interface ServiceRecord<Settings extends SectionBase = SectionBase> {
  /** What the service is, in a few words (README). */
  readonly summary: string;
  /** Base namespace, as the real system names it in production. */
  readonly namespace: string;
  /** `app.kubernetes.io/name` of its pods: the label every selector and policy uses. */
  readonly app: string;
  /** Named container ports; a Service port has the same name and number as its container port. */
  readonly ports: Readonly<Record<string, number>>;
  /** What clients use, by the key the stack outputs show it under. */
  readonly endpoints: Readonly<Record<string, EndpointRecord>>;
  readonly calls: readonly CallRecord[];
  readonly image: ImageSource;
  /** Its config section, `agent-platform:<key>`: the schema is the single truth of its fields. */
  readonly config: z.ZodType<Settings>;
  /** What each environment gives a field its stack file leaves out. */
  readonly defaults: { readonly [E in Environment]: DeepPartial<Settings> };
  /**
   * Rules across its fields that depend on the environment (`environmentRules`), over what parsed
   * of its section; paths are below the section.
   */
  rules?(environment: string, section: Partial<Settings>): RuleIssue[];
  /** How it runs, when it is a stateless service (`PlatformService`). (A method: records of any
   * settings are records.) */
  run?(ctx: RunContext<Settings>): RunSpec;
}

/** A stateless service's record: its section has replicas and resources, and it has `run`. */
export type StatelessRecord<Settings extends StatelessSettings = StatelessSettings> =
  ServiceRecord<Settings> & { run(ctx: RunContext<Settings>): RunSpec };

/** A record, with its settings' type taken from its schema. */
export function serviceRecord<Schema extends z.ZodType<SectionBase>>(
  record: ServiceRecord<z.infer<Schema>> & { readonly config: Schema },
) {
  return record;
}
