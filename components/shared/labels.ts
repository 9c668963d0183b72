import { PATCH_FORCE_ANNOTATION } from "./kept";

/** The recommended `app.kubernetes.io/*` labels, set the same way on every object. */

const PART_OF = "agent-runtime";
const MANAGED_BY = "pulumi";

/** The label key a workload's selectors use, which peers' policies name too. */
export const SELECTOR_LABEL = "app.kubernetes.io/name";

/** The label a workload's selectors use. It never changes, since selectors are immutable. */
export function selectorLabels(app: string): Record<string, string> {
  return { [SELECTOR_LABEL]: app };
}

/** All recommended labels of an app's objects. */
export function appLabels(app: string, component: string = app): Record<string, string> {
  return {
    ...selectorLabels(app),
    "app.kubernetes.io/component": component,
    "app.kubernetes.io/part-of": PART_OF,
    "app.kubernetes.io/managed-by": MANAGED_BY,
  };
}

/**
 * Annotations every object carries, like the story's overlays' `commonAnnotations`, plus the
 * provider's `pulumi.com/patchForce`: the stack is the reconciler of what it declares. A hand edit
 * (`kubectl scale`, `kubectl label --overwrite`, `kubectl edit`) makes its tool the owner of the
 * field it changed; without the annotation the provider's next server-side apply of that field
 * fails on the conflict, and a preview of the drift stops at the first one. With it, a preview
 * with `--refresh` shows the change field by field (`npm run stack -- drift`), and `up --refresh`
 * restores the stack's value and takes the field back. Pod templates do not carry it
 * (`podTemplateMetadata`): it is an instruction to the provider, and on a template it would
 * roll the pods.
 */
export function commonAnnotations(environment: string): Record<string, string> {
  return { environment, [PATCH_FORCE_ANNOTATION]: "true" };
}

/**
 * The metadata of every pod template: its labels, and the object's annotations without the
 * provider's `patchForce` (an instruction to the provider, which on a template would roll the
 * pods), plus the pod's own (`pod`, e.g. the io_uring seccomp exception).
 */
export function podTemplateMetadata(
  labels: Readonly<Record<string, string>>,
  annotations: Readonly<Record<string, string>>,
  pod: Readonly<Record<string, string>> = {},
): { labels: Record<string, string>; annotations: Record<string, string> } {
  const kept = Object.entries(annotations).filter(([key]) => key !== PATCH_FORCE_ANNOTATION);
  return { labels: { ...labels }, annotations: { ...Object.fromEntries(kept), ...pod } };
}
