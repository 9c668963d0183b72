import * as pulumi from "@pulumi/pulumi";

/** The guard's type token. */
export const DESTROY_GUARD_TYPE = "agent-platform:index:DestroyGuard";

/** Its name, which the engine's refusal quotes (in the URN): it says what it is. */
export const DESTROY_GUARD_NAME = "destroy-is-refused-see-readme";

export interface DestroyGuardArgs {
  /** Every top-level resource of the stack: the SDK expands a component into its children. */
  readonly resources: readonly pulumi.Resource[];
  /**
   * Resources the SDK cannot see as children: the objects the provider registers for a
   * `yaml/v2` ConfigGroup (`Agents.objectResources`).
   */
  readonly registered: readonly pulumi.Output<pulumi.Resource[]>[];
}

/**
 * Makes a plain `pulumi destroy` refuse before its first delete, in every environment.
 *
 * The engine checks `protect` only when it reaches a resource's delete step, and it deletes
 * dependents before what they depend on: with the ledger protected, a destroy still deletes every
 * unprotected resource first and fails only at TigerBeetle. This guard is protected and depends on
 * every other resource of the stack, so the engine must delete it first, alone (the engine
 * schedules deletes in rounds: nothing else can be in the first), finds it protected, fails, and
 * skips every resource the failed one depends on: all of them. The guard is a component, so it
 * never takes part in a replacement of what it depends on (the engine replaces dependents only if
 * they are custom resources) and holds nothing in the cluster.
 *
 * The teardown the README allows lifts it on purpose: `pulumi state unprotect --all`, then
 * `pulumi destroy` (`npm run stack -- destroy`), which keeps what the stack keeps
 * (`components/shared/kept.ts`).
 */
export class DestroyGuard extends pulumi.ComponentResource {
  constructor(name: string, args: DestroyGuardArgs, opts?: pulumi.ComponentResourceOptions) {
    // The SDK flattens nested arrays and Outputs of arrays in `dependsOn` (gatherExplicitDependencies
    // in runtime/dependsOn.ts); its type names only `Input<Resource>[]`.
    const dependsOn = [...args.resources, ...args.registered] as pulumi.Input<pulumi.Resource>[];
    super(DESTROY_GUARD_TYPE, name, {}, { ...opts, protect: true, dependsOn });
    this.registerOutputs({});
  }
}
