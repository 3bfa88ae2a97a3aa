/**
 * Exact float → bigint arithmetic: a float read as the binary fraction it is, so that `floor(f · a)` of a policy
 * fraction and a wei amount is exact (docs/policy.md, rounding).
 */

/**
 * Exact `floor(f · a)` for a finite float f ≥ 0 and bigint a ≥ 0 (f read as the binary fraction it is).
 * @param a amount in wei
 * @param f factor (e.g. a cap fraction)
 */
export function mulFloor(a: bigint, f: number): bigint {
  if (!(f > 0) || a <= 0n) return 0n
  if (!Number.isFinite(f)) throw new RangeError('mulFloor: factor must be finite')
  const [num, den] = floatToRational(f)
  return (a * num) / den
}

const F64 = /* @__PURE__ */ new DataView(/* @__PURE__ */ new ArrayBuffer(8))

/** Exact rational of a finite float: [numerator, denominator], the denominator a power of two (read from the IEEE-754 bits). */
export function floatToRational(f: number): [bigint, bigint] {
  if (!Number.isFinite(f)) throw new RangeError('floatToRational: not finite')
  if (Number.isSafeInteger(f)) return [BigInt(f), 1n]
  F64.setFloat64(0, f)
  const hi = F64.getUint32(0)
  const lo = F64.getUint32(4)
  const exp = (hi >>> 20) & 0x7ff
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo)
  let e: number
  if (exp === 0) e = -1074
  else {
    mant |= 1n << 52n
    e = exp - 1075
  }
  const neg = hi >>> 31 === 1
  if (e >= 0) return [(neg ? -mant : mant) << BigInt(e), 1n]
  // Drop common powers of two so denominators stay small.
  let shift = -e
  while (shift > 0 && (mant & 0xffn) === 0n && shift >= 8) {
    mant >>= 8n
    shift -= 8
  }
  while (shift > 0 && (mant & 1n) === 0n) {
    mant >>= 1n
    shift--
  }
  return [neg ? -mant : mant, 1n << BigInt(shift)]
}
