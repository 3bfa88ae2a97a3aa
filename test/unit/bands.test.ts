import { describe, expect, it } from 'vitest'
import { bandOfRatio, policyBands } from '../../shared/domain/bands.js'
import { planAllocation } from '../../shared/domain/plan.js'
import { loadPolicyOrThrow } from '../../shared/domain/policy.js'
import { scoreUniverse } from '../../shared/domain/score.js'
import { E18, NOW, YEAR, addr, service, slash, svc, threeOperatorUniverse } from './fixtures.js'

const policy = (extra: Record<string, unknown> = {}) => loadPolicyOrThrow({ version: 1, ...extra })

// Operator 3 was slashed twice in service 1 (p ≈ 17 %/yr there); operator 4 and 5 are clean.
function world() {
  return threeOperatorUniverse(
    [
      service(1, {
        rewardRatePerYear: 0.05,
        observedSince: NOW - 2n * YEAR,
        slashes: [slash(1, 3, { amount: 30n * E18, stakeAtCapture: 100n * E18, captureTimestamp: NOW - YEAR }), slash(1, 3, { amount: 5n * E18, stakeAtCapture: 100n * E18, captureTimestamp: NOW - YEAR / 2n })],
      }),
      service(2, { rewardRatePerYear: 0.04, observedSince: NOW - 3n * YEAR }),
    ],
    [
      [1, 3, 10n * E18],
      [2, 4, 10n * E18],
      [2, 5, 10n * E18],
    ],
  )
}

describe('Function: bandOfRatio', () => {
  it('maps the fraction of a policy limit to a band', () => {
    expect([0, 0.39, 0.4, 0.69, 0.7, 0.89, 0.9, 1.5, Number.POSITIVE_INFINITY].map(bandOfRatio)).toEqual(['low', 'low', 'medium', 'medium', 'high', 'high', 'critical', 'critical', 'critical'])
  })
})

describe('Function: policyBands', () => {
  it('ties the band to the policy: the same operator is critical under a strict limit and low under a loose one', () => {
    const u = world()
    const strict = policy({ maxCompoundedSlashProbability: 0.05, riskBudget: 0.5 })
    const loose = policy({ maxCompoundedSlashProbability: 0.9, riskBudget: 0.5, caps: { perOperator: 1, perService: 1 } })
    const a = policyBands({ universe: u, scores: scoreUniverse(u, strict, { now: NOW }), policy: strict }).operators[addr(3).toLowerCase()]!
    const b = policyBands({ universe: u, scores: scoreUniverse(u, loose, { now: NOW }), policy: loose }).operators[addr(3).toLowerCase()]!
    expect(a.band).toBe('critical')
    expect(a.worst?.limitField).toBe('maxCompoundedSlashProbability')
    expect(a.because).toContain('maxCompoundedSlashProbability 5.00 %')
    expect(a.because).toContain('(over the limit)')
    expect(b.band).toBe('low')
  })

  it('does not call most operators critical when they are far from every limit', () => {
    const u = world()
    const pol = policy({ maxCompoundedSlashProbability: 0.3, riskBudget: 0.05, caps: { perOperator: 0.5, perService: 0.9 } })
    const bands = policyBands({ universe: u, scores: scoreUniverse(u, pol, { now: NOW }), policy: pol })
    expect(bands.operators[addr(4).toLowerCase()]!.band).toBe('low')
    expect(bands.operators[addr(5).toLowerCase()]!.band).toBe('low')
    expect(bands.operators[addr(3).toLowerCase()]!.band).not.toBe('low')
  })

  it('makes a denied operator or service critical, naming the list', () => {
    const u = world()
    const pol = policy({ operators: { deny: [addr(4)] }, services: { deny: [svc(2)] }, maxCompoundedSlashProbability: 0.9 })
    const bands = policyBands({ universe: u, scores: scoreUniverse(u, pol, { now: NOW }), policy: pol })
    expect(bands.operators[addr(4).toLowerCase()]).toMatchObject({ band: 'critical', because: 'on the policy’s operators.deny list' })
    expect(bands.services[svc(2).toLowerCase()]).toMatchObject({ band: 'critical', because: 'on the policy’s services.deny list' })
  })

  it('explains every disagreement with the plan: critical but planned, or low but left empty', () => {
    const u = world()
    const pol = policy({ maxCompoundedSlashProbability: 0.1, riskBudget: 0.05, minOperatorsPerService: 1, caps: { perOperator: 0.5, perService: 1 }, turnoverCapPerRun: 4 })
    const scores = scoreUniverse(u, pol, { now: NOW })
    const plan = planAllocation(u, scores, pol, { now: NOW })
    const bands = policyBands({ universe: u, scores, policy: pol, plan })
    const all = [...Object.values(bands.operators), ...Object.values(bands.services)]
    expect(all.length).toBe(5)
    for (const b of all) {
      expect(b.plannedStake).toBeDefined()
      const contradicts = (b.band === 'critical' && b.plannedStake! > 0n) || (b.band === 'low' && b.plannedStake === 0n)
      expect(b.planNote !== undefined).toBe(contradicts)
    }
    // The slashed operator is critical (P over both its services > limit) yet may hold stake in the clean service.
    const op3 = bands.operators[addr(3).toLowerCase()]!
    expect(op3.band).toBe('critical')
    expect(op3.plannedStake! > 0n).toBe(true)
    expect(op3.planNote).toMatch(/within its 1 planned service/)
  })
})
