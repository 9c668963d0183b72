/** The recommended `app.kubernetes.io/*` labels, set the same way on every object. */

export const PART_OF = "agent-runtime";
export const MANAGED_BY = "pulumi";

/** The label a workload's selectors use. It never changes, since selectors are immutable. */
export function selectorLabels(app: string): Record<string, string> {
  return { "app.kubernetes.io/name": app };
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

/** Annotations every object carries, like the story's overlays' `commonAnnotations`. */
export function commonAnnotations(environment: string): Record<string, string> {
  return { environment };
}
