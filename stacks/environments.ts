/** The environments a stack can be: each has its defaults and its rules. */
export const ENVIRONMENTS = ["staging", "production"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];
