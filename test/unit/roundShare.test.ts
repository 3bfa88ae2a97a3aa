/**
 * Rounding's diversification repair (shared/domain/round.ts): the cut computed on the running cap alone (sorted stakes,
 * prefix sums) leaves exactly the targets that cutting pair by pair, round after round, leaves.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { capAtShare, capAtShareByPair } from '../../shared/domain/round.js'

describe('capAtShare (diversification repair)', () => {
  it('cuts exactly as the pair-by-pair rounds do', () => {
    const stake = fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 10n ** 24n }), fc.bigInt({ min: 0n, max: 50n }))
    fc.assert(
      fc.property(fc.array(stake, { minLength: 0, maxLength: 40 }), fc.integer({ min: 2, max: 6 }), (t, mi) => {
        const m = BigInt(mi)
        const list = t.map((_, j) => j)
        const a = [...t]
        const b = [...t]
        expect(capAtShare(a, list, m)).toBe(capAtShareByPair(b, list, m))
        expect(a).toEqual(b)
      }),
      { numRuns: 500 },
    )
  })

  it('stops after its last round like the pair-by-pair rounds (a lone stake too large to reach 0)', () => {
    for (const t of [[2n ** 300n], [0n, 3n ** 250n, 0n], [2n ** 300n, 2n ** 299n]]) {
      const list = t.map((_, j) => j)
      const a = [...t]
      const b = [...t]
      expect(capAtShare(a, list, 2n)).toBe(capAtShareByPair(b, list, 2n))
      expect(a).toEqual(b)
    }
  })

  it('holds every pair of a service to 1/m of its total', () => {
    const t = [10n ** 21n, 3n * 10n ** 20n, 10n ** 20n, 0n, 7n]
    const list = [0, 1, 2, 3, 4]
    expect(capAtShare(t, list, 3n)).toBe(true)
    const sum = t.reduce((x, y) => x + y, 0n)
    for (const v of t) expect(3n * v <= sum).toBe(true)
  })
})
