import { z } from "zod";
import { isNonNegativeQuantity, parseQuantity } from "./quantity";

/**
 * Building blocks of the stack config schemas, in a module of their own so that section schemas
 * (`stacks/tigerbeetle.ts`, ...) can use them while `stacks/schema.ts` assembles the sections.
 */

const quantity = (what: "CPU" | "memory") =>
  z
    .string()
    .refine(
      isNonNegativeQuantity,
      `expected a ${what} quantity such as ${what === "CPU" ? '"250m" or "0.5"' : '"256Mi" or "1Gi"'}`,
    );

export const computeResourcesSchema = z.strictObject({
  cpu: quantity("CPU"),
  memory: quantity("memory"),
});

/** Requests and limits of one container; requests may not exceed limits. */
export const resourcesSchema = z
  .strictObject({
    requests: computeResourcesSchema,
    limits: computeResourcesSchema,
  })
  .superRefine((value, ctx) => {
    for (const dimension of ["cpu", "memory"] as const) {
      const request = parseQuantity(value.requests[dimension]);
      const limit = parseQuantity(value.limits[dimension]);
      if (request !== undefined && limit !== undefined && request > limit) {
        ctx.addIssue({
          code: "custom",
          path: ["requests", dimension],
          input: value.requests[dimension],
          message: `expected a request no larger than the limit ${value.limits[dimension]}`,
        });
      }
    }
  });
export type Resources = z.infer<typeof resourcesSchema>;

/**
 * An image tag (letters, digits, `_`, `.`, `-`, at most 128 characters: the OCI rule), or a
 * digest `sha256:<64 hex>`, which pins the image for good (`imageRef` writes it after `@`).
 */
export const imageTagSchema = z
  .string({
    // Only production leaves image tags without a default (stacks/defaults.ts).
    error: (issue) =>
      issue.input === undefined
        ? 'expected an image tag: production has no default, so name a pinned version such as "1.4.2" or a digest "sha256:<64 hex>"'
        : undefined,
  })
  .regex(
    /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$|^sha256:[a-f0-9]{64}$/,
    'expected an image tag such as "1.4.2", or a digest "sha256:<64 hex>"',
  );
