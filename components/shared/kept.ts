import * as pulumi from "@pulumi/pulumi";

/**
 * Objects the stack keeps: what `pulumi destroy` leaves in the cluster, and how the next
 * `pulumi up` takes it back.
 *
 * Pulumi never deletes an object declared with `retainOnDelete`: destroy, a replacement or its
 * removal from the program only drop it from the stack's state. Such an object must then be
 * adoptable, because the pinned provider (`@pulumi/kubernetes` 4.29 and later) creates an
 * ordinary resource with a plain create, which fails with AlreadyExists when the object is there
 * (`upsertExistingObjects` is false by default). So every kept object is declared as the
 * provider's Patch resource of its kind (`NamespacePatch`, `PersistentVolumeClaimPatch`, ...):
 * the provider creates a Patch resource with a server-side apply, which creates the object when
 * it is missing and otherwise applies the stack's fields to the object that is there, leaving
 * the rest (a claim's bound volume, its data) untouched.
 *
 * A Patch resource never deletes its object, not even without `retainOnDelete`: on delete it
 * gives up its fields. Kept objects still carry `retainOnDelete`, so a destroy does not even do
 * that (giving up a required field fails, and a stripped object would serve no one).
 */

/** Lets a Patch resource take over a field another field manager set differently. */
export const PATCH_FORCE_ANNOTATION = "pulumi.com/patchForce";

/** Resource options of a kept object. */
export const KEPT = { retainOnDelete: true } as const;

/**
 * The alias that carries a resource over from the ordinary type this program declared before
 * kept objects were Patch resources (`kubernetes:core/v1:Namespace` for a `NamespacePatch`): the
 * engine then updates it in place, rather than deleting it under the old type (refused in
 * production, where it is protected) and creating it under the new one.
 */
export function formerType(type: string): { aliases: pulumi.Alias[] } {
  return { aliases: [{ type }] };
}
