/** The plan's pair-score lookup (shared/domain/planFigures.ts): bisection over scoreUniverse's sorted pairs, a map otherwise. */
import { describe, expect, it } from 'vitest'
import { pairScoreIndex, pairScoreOf } from '../../shared/domain/planFigures.js'
import { buildLp } from '../../shared/domain/lp.js'
import { planFromSolution } from '../../shared/domain/plan.js'
import { solveFast } from '../../shared/domain/solvers/fast.js'
import { type PairScore, scoreUniverse } from '../../shared/domain/score.js'
import { loadPolicyOrThrow } from '../../shared/domain/policy.js'
import { makeUniverse } from './universeFactory.js'

const u = makeUniverse({ seed: 7, operators: 30, services: 6, positions: 2, servicesPerOperator: 3, operatorsPerPosition: 12, currentDensity: 0.2 })
const policy = loadPolicyOrThrow({ version: 1 })
const scores = scoreUniverse(u, policy, { now: u.timestamp })
const pairs = scores.pairs
const naive = (list: readonly PairScore[], s: string, o: string) => list.findLast((p) => p.service === s && p.operator === o)
const queries = [...u.services.map((s) => s.id.toLowerCase()), '0xffff'].flatMap((s) => [...u.operators.map((o) => o.address.toLowerCase()), '0x0000000000000000000000000000000000000001'].map((o) => [s, o] as const))

describe('Function: pairScoreOf', () => {
  it("finds every pair of scoreUniverse's sorted list by bisection, and nothing for a pair it does not hold", () => {
    const ix = pairScoreIndex(pairs)
    expect(ix.sorted).toBe(pairs)
    expect(pairs.length).toBeGreaterThan(20)
    for (const [s, o] of queries) expect(pairScoreOf(ix, s, o)).toBe(naive(pairs, s, o))
  })

  it('indexes a list that is not sorted (or repeats a pair) in a map, the last of equal pairs winning', () => {
    const shuffled = [...pairs].reverse()
    const repeated = [...pairs, { ...pairs[0]!, netValuePerYear: 123 }]
    for (const list of [shuffled, repeated]) {
      const ix = pairScoreIndex(list)
      expect(ix.sorted).toBeUndefined()
      for (const [s, o] of queries) expect(pairScoreOf(ix, s, o)).toBe(naive(list, s, o))
    }
    expect(pairScoreOf(pairScoreIndex(repeated), pairs[0]!.service, pairs[0]!.operator)?.netValuePerYear).toBe(123)
  })

  it("reads a target's score where its block says (LpPairs.score) only when that is the same pair: scores other than the block's are searched", () => {
    const lp = buildLp(u, scores, policy)
    const solution = solveFast(lp)
    // Other scores: one more pair in front (every index shifts by one) and other values, still sorted.
    const other = { ...scores, pairs: [{ ...pairs[0]!, service: '!first' as never, netValuePerYear: 9 }, ...pairs.map((p) => ({ ...p, netValuePerYear: p.netValuePerYear + 1 }))] }
    expect(pairScoreIndex(other.pairs).sorted).toBe(other.pairs)
    const byKey = (list: readonly PairScore[]) => new Map(list.map((p) => [`${p.service}|${p.operator}`, p.netValuePerYear]))
    for (const [sc, values] of [
      [scores, byKey(pairs)],
      [other, byKey(other.pairs)],
    ] as const) {
      const plan = planFromSolution(u, sc, policy, lp, solution, { now: u.timestamp })
      const targets = plan.positions.flatMap((p) => p.targets)
      expect(targets.length).toBeGreaterThan(5)
      for (const t of targets) expect(t.netValuePerYear).toBe(values.get(`${t.service}|${t.operator}`) ?? 0)
    }
  })
})
