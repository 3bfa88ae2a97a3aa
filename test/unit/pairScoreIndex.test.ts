/** The plan's pair-score lookup (shared/domain/planFigures.ts): bisection over scoreUniverse's sorted pairs, a map otherwise. */
import { describe, expect, it } from 'vitest'
import { pairScoreIndex, pairScoreOf } from '../../shared/domain/planFigures.js'
import { type PairScore, scoreUniverse } from '../../shared/domain/score.js'
import { loadPolicyOrThrow } from '../../shared/domain/policy.js'
import { makeUniverse } from './universeFactory.js'

const u = makeUniverse({ seed: 7, operators: 30, services: 6, positions: 2, servicesPerOperator: 3, operatorsPerPosition: 12, currentDensity: 0.2 })
const pairs = scoreUniverse(u, loadPolicyOrThrow({ version: 1 }), { now: u.timestamp }).pairs
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
})
