/**
 * EigenLayer redistributing operator sets (Service.redistributing): scored as a higher risk with an explained term,
 * and denied by the policy's `services.denyRedistributing` (on by default) like a deny-listed service.
 */
import { describe, expect, it } from 'vitest'
import { planAllocation } from '../../shared/domain/plan.js'
import { loadPolicyOrThrow } from '../../shared/domain/policy.js'
import { REDISTRIBUTION_LOSS_FACTOR, scoreUniverse } from '../../shared/domain/score.js'
import { E18, NOW, addr, operator, position, service, svc, universe } from './fixtures.js'

// Two services with the same facts; service 2 is redistributing and holds stake now.
const u = universe([service(1), service(2, { redistributing: true })], [operator(3, [1, 2]), operator(4, [1, 2])], [position({ vault: 9, operators: [3, 4], services: [1, 2], allocations: [[2, 3, 100n * E18]] })])

describe('redistributing operator sets', () => {
  it('multiply the expected loss by REDISTRIBUTION_LOSS_FACTOR, with a term saying why', () => {
    const scores = scoreUniverse(u, loadPolicyOrThrow({ version: 1 }), { now: NOW })
    const pair = (s: number) => scores.pairs.find((p) => p.service === svc(s) && p.operator === addr(3))!
    expect(REDISTRIBUTION_LOSS_FACTOR).toBe(2)
    expect(pair(2).expectedLossPerYear).toBeCloseTo(pair(1).expectedLossPerYear * 2, 15)
    expect(pair(2).netValuePerYear).toBeLessThan(pair(1).netValuePerYear)
    expect(pair(2).score).toBeGreaterThan(pair(1).score)
    expect(pair(2).terms.find((t) => t.name === 'redistribution factor')).toMatchObject({ value: 2, unit: 'x', category: 'slashing' })
    expect(pair(1).terms.some((t) => t.name === 'redistribution factor')).toBe(false)
    const svcScore = scores.services.find((s) => s.service === svc(2))!
    expect(svcScore.expectedLossPerYear).toBeCloseTo(scores.services.find((s) => s.service === svc(1))!.expectedLossPerYear * 2, 15)
  })

  it('are denied by default (stake removed at once) and allowed with services.denyRedistributing: false', () => {
    const run = (policyInput: object) => {
      const policy = loadPolicyOrThrow({ version: 1, ...policyInput })
      return planAllocation(u, scoreUniverse(u, policy, { now: NOW }), policy, { now: NOW }).positions[0]!
    }
    const denied = run({})
    expect(denied.targets.filter((t) => t.service === svc(2)).every((t) => t.stake === 0n)).toBe(true)
    expect(denied.forced.find((f) => f.service === svc(2))?.reason).toMatch(/redistributing operator set \(services\.denyRedistributing\)/)
    const allowed = run({ services: { denyRedistributing: false } })
    expect(allowed.forced.some((f) => f.service === svc(2))).toBe(false)
    expect(loadPolicyOrThrow({ version: 1 }).services.denyRedistributing).toBe(true)
  })
})
