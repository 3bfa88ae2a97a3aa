import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { loadPolicyOrThrow } from '../../shared/domain/policy.js'
import { type Exposure, lossFactor, riskGroupsOf, tailLoss, tailLossUpper } from '../../shared/domain/tailLoss.js'

/**
 * Brute force over every slash outcome (docs/risk.md §2), independent of the DP: ungrouped pairs are Bernoulli;
 * each group (given as disjoint index lists) is comonotone — U uniform, pair j slashes iff U < p_j — enumerated over
 * the intervals between its distinct probabilities. Exact bigint losses, capped at `cap`.
 */
function bruteForce(exposures: Exposure[], blocks: number[][], cap: bigint) {
  type Outcome = { p: number; loss: bigint }
  const grouped = new Set(blocks.flat())
  const factors: Outcome[][] = []
  for (const b of blocks) {
    const cuts = [...new Set([0, 1, ...b.map((j) => exposures[j]!.probability)])].sort((x, y) => x - y)
    const outs: Outcome[] = []
    for (let k = 0; k + 1 < cuts.length; k++) {
      const u = cuts[k]! // U in [cuts[k], cuts[k+1]): pairs with p > U slash
      const loss = b.reduce((a, j) => a + (exposures[j]!.probability > u ? exposures[j]!.loss : 0n), 0n)
      outs.push({ p: cuts[k + 1]! - u, loss })
    }
    factors.push(outs)
  }
  exposures.forEach((e, j) => {
    if (!grouped.has(j))
      factors.push([
        { p: 1 - e.probability, loss: 0n },
        { p: e.probability, loss: e.loss },
      ])
  })
  let all: Outcome[] = [{ p: 1, loss: 0n }]
  for (const f of factors) all = all.flatMap((a) => f.map((b) => ({ p: a.p * b.p, loss: a.loss + b.loss })))
  all = all.map((o) => ({ p: o.p, loss: o.loss < cap ? o.loss : cap })).sort((a, b) => (a.loss < b.loss ? -1 : a.loss > b.loss ? 1 : 0))
  const at = (q: number) => {
    let cdf = 0
    let i = 0
    for (; i < all.length; i++) {
      cdf += all[i]!.p
      // Sum the whole atom before comparing.
      while (i + 1 < all.length && all[i + 1]!.loss === all[i]!.loss) cdf += all[++i]!.p
      if (cdf >= q - 1e-12) break
    }
    const v = all[Math.min(i, all.length - 1)]!.loss
    let tail = 0
    for (const o of all) if (o.loss > v) tail += o.p * Number(o.loss)
    return { var: v, es: (tail + Number(v) * Math.max(0, Math.min(1, cdf) - q)) / (1 - q) }
  }
  return { r95: at(0.95), r99: at(0.99) }
}

const caseArb = fc.integer({ min: 1, max: 8 }).chain((n) =>
  fc.record({
    exposures: fc.array(fc.record({ probability: fc.oneof(fc.double({ min: 0.001, max: 0.4, noNaN: true }), fc.constantFrom(0.01, 0.05, 0.1)), loss: fc.bigInt({ min: 1n, max: 10n ** 21n }) }), { minLength: n, maxLength: n }),
    // Disjoint groups: a group id per pair (0 = none).
    group: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: n, maxLength: n }),
    capShare: fc.constantFrom(0.3, 0.7, 2),
    grid: fc.constantFrom(16, 256, 2048),
  }),
)

describe('tail loss (VaR / ES, one year)', () => {
  it('property: the DP brackets the brute-force VaR and ES of every outcome within its stated bound', () => {
    fc.assert(
      fc.property(caseArb, ({ exposures, group, capShare, grid }) => {
        const ex: Exposure[] = exposures.map((e, j) => ({ ...e, groups: group[j] ? [`g${group[j]}`] : [] }))
        const blocks = [1, 2].map((g) => group.flatMap((x, j) => (x === g ? [j] : []))).filter((b) => b.length > 0)
        const total = ex.reduce((a, e) => a + e.loss, 0n)
        const cap = BigInt(Math.floor(Number(total) * capShare))
        const r = tailLoss({ exposures: ex, cap, grid })
        const b = bruteForce(ex, blocks, cap)
        expect(r.maxLoss).toBe(total < cap ? total : cap)
        for (const [v, bound, es, esBound, truth] of [
          [r.var95, r.var95Bound, r.es95, r.es95Bound, b.r95],
          [r.var99, r.var99Bound, r.es99, r.es99Bound, b.r99],
        ] as const) {
          expect(v).toBeGreaterThanOrEqual(truth.var)
          expect(v - bound).toBeLessThanOrEqual(truth.var)
          // The bound is at most one grid step per component.
          expect(bound).toBeLessThanOrEqual(BigInt(r.components) * r.step)
          const tol = 1e-9 * Math.max(1, Number(cap))
          expect(es).toBeGreaterThanOrEqual(truth.es - tol)
          expect(es - esBound).toBeLessThanOrEqual(truth.es + tol)
        }
      }),
      { numRuns: 300, seed: 16 },
    )
  })

  it('property: the upper run alone (tailLossUpper) gives the same figures as tailLoss, without the bounds', () => {
    fc.assert(
      fc.property(caseArb, ({ exposures, group, capShare, grid }) => {
        const ex: Exposure[] = exposures.map((e, j) => ({ ...e, groups: group[j] ? [`g${group[j]}`] : [] }))
        const cap = BigInt(Math.floor(Number(ex.reduce((a, e) => a + e.loss, 0n)) * capShare))
        const { var95Bound, var99Bound, es95Bound, es99Bound, ...upper } = tailLoss({ exposures: ex, cap, grid })
        const alone = tailLossUpper({ exposures: ex, cap, grid })
        expect(alone).toEqual(upper)
        expect(Object.keys(alone)).not.toContain('var99Bound')
      }),
      { numRuns: 200, seed: 17 },
    )
  })

  it('is exact when the losses sit on the grid, and treats a risk group as one correlated event', () => {
    const e = (probability: number, loss: bigint, groups: string[] = []): Exposure => ({ probability, loss, groups })
    // Two independent pairs, p = 2 % each: P(no loss) = 0.9604 → VaR95 = 0; P(L ≤ 100) = 0.9996 → VaR99 = 100.
    const ind = tailLoss({ exposures: [e(0.02, 100n), e(0.02, 100n)], cap: 1000n, grid: 2 })
    expect([ind.var95, ind.var99, ind.var99Bound, ind.components]).toEqual([0n, 100n, 0n, 2])
    // ES99 = (E[L·1{L>100}] + 100·(0.9996 − 0.99)) / 0.01 = (0.0004·200 + 100·0.0096) / 0.01 = 104.
    expect(ind.es99).toBeCloseTo(104, 9)
    // The same pairs fully correlated (same group): one event, P = 2 %, loss 200 → VaR95 = 0, VaR99 = 200 (not 100).
    const cor = tailLoss({ exposures: [e(0.02, 100n, ['g']), e(0.02, 100n, ['g'])], cap: 1000n, grid: 2 })
    expect([cor.var95, cor.var99, cor.components]).toEqual([0n, 200n, 1])
    expect(cor.es99).toBeCloseTo(200, 9)
    // Capped at the active stake; groups sharing a pair merge into one component.
    const merged = tailLoss({ exposures: [e(0.1, 100n, ['a']), e(0.1, 100n, ['a', 'b']), e(0.1, 100n, ['b'])], cap: 250n, grid: 3 })
    expect([merged.components, merged.maxLoss, merged.var95]).toEqual([1, 250n, 250n])
  })

  it('loss factor and risk groups follow the LP rule (operator or service a member, metadata memberships)', () => {
    expect(lossFactor(0.8, 1.5)).toBe(1)
    expect(lossFactor(0.2, 1.5)).toBeCloseTo(0.3, 12)
    const s = `0x${'5'.repeat(64)}`
    const o = `0x${'a'.repeat(40)}`
    const o2 = `0x${'b'.repeat(40)}`
    const policy = loadPolicyOrThrow({
      version: 1,
      caps: {
        perRiskGroup: [
          { group: 'x', members: [o], cap: 0.5 },
          { group: 'y', cap: 0.5 },
        ],
      },
      scoring: { serviceMetadata: [{ service: s, riskGroup: 'y' }] },
    })
    const of = riskGroupsOf(policy)
    expect(of(s, o)).toEqual(['x', 'y'])
    expect(of(`0x${'6'.repeat(64)}`, o)).toEqual(['x'])
    expect(of(`0x${'6'.repeat(64)}`, o2)).toEqual([])
  })
})
