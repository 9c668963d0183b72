/**
 * Kubernetes resource quantities (`250m`, `0.5`, `1Gi`, `1.5G`, `1e3`), parsed exactly.
 *
 * A quantity is held as a bigint count of nano-units (10^-9), the finest precision Kubernetes
 * keeps, so sums and comparisons are exact: `0.1 + 0.2` CPU is exactly `300m`. Values finer than
 * a nano-unit round up, as the API server does.
 */

/** Nano-units per unit: quantities are exact integers of them. */
export const NANO = 1_000_000_000n;

const BINARY_SUFFIXES: Record<string, bigint> = {
  Ki: 1024n,
  Mi: 1024n ** 2n,
  Gi: 1024n ** 3n,
  Ti: 1024n ** 4n,
  Pi: 1024n ** 5n,
  Ei: 1024n ** 6n,
};

/** Decimal SI suffixes as powers of ten. */
const DECIMAL_SUFFIXES: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  "": 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

// The grammar of k8s.io/apimachinery/pkg/api/resource: sign, digits with an optional fraction,
// then a binary suffix, a decimal suffix, or a decimal exponent.
const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

/** Parses a quantity into nano-units, or returns undefined when it is not one. */
export function parseQuantity(text: string): bigint | undefined {
  const match = QUANTITY.exec(text.trim() === text ? text : "");
  if (!match) return undefined;
  const [, sign, number, suffix = ""] = match;
  const [whole, fraction = ""] = number.split(".");
  // The number as an exact fraction: digits / 10^scale.
  const digits = BigInt(`${whole === "" ? "0" : whole}${fraction}`);
  const scale = fraction.length;

  let numerator = digits * NANO;
  let denominator = 10n ** BigInt(scale);
  if (suffix in BINARY_SUFFIXES) {
    numerator *= BINARY_SUFFIXES[suffix];
  } else {
    const exponent =
      suffix in DECIMAL_SUFFIXES ? DECIMAL_SUFFIXES[suffix] : Number(suffix.slice(1));
    if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 60) return undefined;
    if (exponent >= 0) numerator *= 10n ** BigInt(exponent);
    else denominator *= 10n ** BigInt(-exponent);
  }
  const value = (numerator + denominator - 1n) / denominator; // round up to a nano-unit
  return sign === "-" ? -value : value;
}

/** True when `text` is a valid quantity that is zero or more. */
export function isNonNegativeQuantity(text: string): boolean {
  const value = parseQuantity(text);
  return value !== undefined && value >= 0n;
}

/**
 * CPU in the form Kubernetes users read: whole cores (`2`) or millicores (`1250m`). A part of a
 * millicore counts as a whole one, away from zero: `-449.5m` (over a budget by that much) is
 * `-450m`, never understated as `-449m`.
 */
export function formatCpu(nano: bigint): string {
  const [sign, size] = signAndSize(nano);
  if (size % NANO === 0n) return `${sign}${size / NANO}`;
  return `${sign}${(size + 999_999n) / 1_000_000n}m`;
}

/**
 * Memory as the largest binary unit that divides it exactly (`1536Mi`, `2Gi`), else bytes; a part
 * of a byte counts as a whole one, away from zero (`-1920Mi`, not `-2013265919`).
 */
export function formatMemory(nano: bigint): string {
  const [sign, size] = signAndSize(nano);
  const bytes = (size + NANO - 1n) / NANO;
  for (const unit of ["Ei", "Pi", "Ti", "Gi", "Mi", "Ki"]) {
    const unitSize = BINARY_SUFFIXES[unit];
    if (bytes !== 0n && bytes % unitSize === 0n) return `${sign}${bytes / unitSize}${unit}`;
  }
  return `${sign}${bytes}`;
}

function signAndSize(nano: bigint): [string, bigint] {
  return nano < 0n ? ["-", -nano] : ["", nano];
}

/** Whole bytes of a memory quantity (rounded up). */
export function toBytes(nano: bigint): bigint {
  return (nano + NANO - 1n) / NANO;
}
