import { describe, expect, it } from 'vitest'
import { bigintReplacer } from '../../shared/domain/format.js'
import { loadPolicyOrThrow } from '../../shared/domain/policy.js'
import { BAND_THRESHOLDS, bandOf, contractHaircut, herfindahl, scoreUniverse } from '../../shared/domain/score.js'
import { E18, NOW, YEAR, addr, operator, position, service, slash, svc, universe } from './fixtures.js'

const policy = (extra: Record<string, unknown> = {}) => loadPolicyOrThrow({ version: 1, ...extra })

function world() {
  return universe(
    [
      service(1, { rewardRatePerYear: 0.04, observedSince: NOW - 2n * YEAR, slashes: [slash(1, 3, { amount: 30n * E18, stakeAtCapture: 100n * E18 }), slash(1, 3, { amount: 5n * E18, stakeAtCapture: 100n * E18 })] }),
      service(2, { rewardRatePerYear: 0.06, observedSince: NOW - YEAR }),
    ],
    [operator(3, [1, 2], { commission: 0.1, totalRestakedStake: 300n * E18 }), operator(4, [2], { totalRestakedStake: 100n * E18 })],
    [
      position({
        vault: 0xa,
        operators: [3, 4],
        services: [1, 2],
        allocations: [
          [1, 3, 30n * E18],
          [2, 4, 10n * E18],
        ],
      }),
    ],
  )
}

describe('Function: scoreUniverse', () => {
  it('estimates the slash probability with the Beta prior (α + k)/(α + β + years)', () => {
    const s = scoreUniverse(world(), policy(), { now: NOW })
    const p31 = s.pairs.find((p) => p.service === svc(1) && p.operator === addr(3))!
    // Two records with the same capture timestamp are one event.
    expect(p31.slashes).toBe(1)
    expect(p31.exposureYears).toBe(2)
    expect(p31.slashProbabilityPerYear).toBeCloseTo((0.1 + 1) / (0.1 + 9.9 + 2), 15)
    const p42 = s.pairs.find((p) => p.service === svc(2) && p.operator === addr(4))!
    expect(p42.slashProbabilityPerYear).toBeCloseTo(0.1 / (0.1 + 9.9 + 1), 15)
    const s1 = s.services.find((x) => x.service === svc(1))!
    expect(s1.slashEvents).toBe(1)
  })

  it('takes severity from policy metadata, else the largest observed fraction, else the default', () => {
    const s = scoreUniverse(world(), policy({ scoring: { defaultSeverity: 0.2, serviceMetadata: [] } }), { now: NOW })
    expect(s.services.map((x) => [x.severity, x.severitySource])).toEqual([
      [0.3, 'history'],
      [0.2, 'default'],
    ])
    const s2 = scoreUniverse(world(), policy({ scoring: { serviceMetadata: [{ service: svc(1), severity: 0.05 }] } }), { now: NOW })
    expect(s2.services[0]).toMatchObject({ severity: 0.05, severitySource: 'policy' })
  })

  it('computes net yield, expected loss p·sev·h and net value; policy commission and overrides win', () => {
    const pol = policy({
      scoring: {
        defaultHaircut: 0.5,
        slashProbabilityOverrides: [
          { service: svc(2), probabilityPerYear: 0.2 },
          { operator: addr(4), probabilityPerYear: 0.03 },
          { operator: addr(3), service: svc(2), probabilityPerYear: 0.01 },
        ],
        serviceMetadata: [{ service: svc(2), haircut: 0.1 }],
        operatorMetadata: [{ operator: addr(3), commission: 0.2 }],
      },
    })
    const s = scoreUniverse(world(), pol, { now: NOW })
    const p32 = s.pairs.find((p) => p.service === svc(2) && p.operator === addr(3))!
    expect(p32).toMatchObject({ commission: 0.2, probabilitySource: 'override', slashProbabilityPerYear: 0.01, contractFactor: 1.1 })
    expect(p32.netYieldPerYear).toBeCloseTo(0.06 * 0.8, 15)
    expect(p32.expectedLossPerYear).toBeCloseTo(0.01 * 0.25 * 1.1, 15)
    expect(p32.netValuePerYear).toBeCloseTo(0.048 - 0.01 * 0.25 * 1.1, 15)
    // Operator-only override beats the service-only one.
    expect(s.pairs.find((p) => p.service === svc(2) && p.operator === addr(4))!.slashProbabilityPerYear).toBe(0.03)
    // Service 1 has no metadata: default haircut.
    expect(s.pairs.find((p) => p.service === svc(1))!.contractFactor).toBe(1.5)
  })

  it('derives the contract haircut from audits, age and TVL', () => {
    expect(contractHaircut({ audits: 0, ageDays: 0 })).toBe(0.5)
    expect(contractHaircut({ audits: 1, ageDays: 365 })).toBeCloseTo(0.125, 15)
    expect(contractHaircut({ audits: 1, ageDays: 365, tvlUsd: 9e6 })).toBeCloseTo(0.0625, 15)
    const s = scoreUniverse(world(), policy({ scoring: { serviceMetadata: [{ service: svc(1), contractRisk: { audits: 3, ageDays: 0 } }] } }), { now: NOW })
    expect(s.services[0]).toMatchObject({ haircut: 0.125, haircutSource: 'contractRisk', contractFactor: 1.125 })
  })

  it('compounds an operator’s slash probability over its services: 1 − Π(1 − p)', () => {
    const s = scoreUniverse(world(), policy(), { now: NOW })
    const o3 = s.operators.find((o) => o.operator === addr(3))!
    const ps = s.pairs.filter((p) => p.operator === addr(3)).map((p) => p.slashProbabilityPerYear)
    expect(o3.serviceCount).toBe(2)
    expect(o3.compoundedSlashProbability).toBeCloseTo(1 - (1 - ps[0]!) * (1 - ps[1]!), 15)
  })

  it('measures concentration and the Herfindahl index of the current allocation', () => {
    const s = scoreUniverse(world(), policy(), { now: NOW })
    expect(s.totalRestakedStake).toBe(400n * E18)
    expect(s.operators.map((o) => o.concentration)).toEqual([0.75, 0.25])
    // Current stake: 30 with op 3, 10 with op 4 → 0.75² + 0.25².
    expect(s.herfindahl).toBeCloseTo(0.625, 12)
    expect(s.positions[0]).toMatchObject({ allocatedStake: 40n * E18 })
    expect(herfindahl([])).toBe(0)
    expect(herfindahl([5n, 5n])).toBe(0.5)
  })

  it('lists every number in terms, with the three risk categories as named terms', () => {
    const s = scoreUniverse(world(), policy(), { now: NOW })
    for (const x of [...s.pairs, ...s.operators, ...s.services]) {
      const names = x.terms.map((t) => t.name)
      expect(names).toEqual(expect.arrayContaining(['slashing risk', 'contract risk', 'centralization risk', 'risk score']))
      expect(x.terms.find((t) => t.name === 'risk score')!.value).toBe(x.score)
      expect(new Set(x.terms.filter((t) => t.category).map((t) => t.category))).toEqual(new Set(['slashing', 'contract', 'centralization', 'yield']))
      for (const t of x.terms) expect(Number.isFinite(t.value) && t.explanation.length > 0).toBe(true)
      expect(x.score).toBeGreaterThanOrEqual(0)
      expect(x.score).toBeLessThanOrEqual(100)
      expect(x.band).toBe(bandOf(x.score))
    }
    const pair = s.pairs[0]!
    expect(pair.terms.find((t) => t.name === 'slash probability p')!.explanation).toMatch(/^Beta prior \(α \+ k\)\/\(α \+ β \+ years\) = \(0\.1 \+ 1\)\/\(0\.1 \+ 9\.9 \+ 2\)$/)
  })

  it.each([
    [0, 'low'],
    [BAND_THRESHOLDS.medium - 0.01, 'low'],
    [BAND_THRESHOLDS.medium, 'medium'],
    [BAND_THRESHOLDS.high, 'high'],
    [BAND_THRESHOLDS.critical - 0.01, 'high'],
    [BAND_THRESHOLDS.critical, 'critical'],
    [100, 'critical'],
  ])('band of score %d is %s', (score, band) => {
    expect(bandOf(score)).toBe(band)
  })

  it('is deterministic and independent of input order', () => {
    const u = world()
    const a = JSON.stringify(scoreUniverse(u, policy(), { now: NOW }), bigintReplacer)
    const reversed = { ...u, services: [...u.services].reverse(), operators: [...u.operators].reverse().map((o) => ({ ...o, services: [...o.services].reverse() })) }
    expect(JSON.stringify(scoreUniverse(reversed, policy(), { now: NOW }), bigintReplacer)).toBe(a)
  })

  it('caps probabilities at 1 and treats a not-yet-observed service as zero exposure', () => {
    const u = universe([service(1, { observedSince: NOW + 100n })], [operator(3, [1])], [])
    const s = scoreUniverse(u, policy({ scoring: { priorAlpha: 50, priorBeta: 0.001 } }), { now: NOW })
    expect(s.pairs[0]!.exposureYears).toBe(0)
    expect(s.pairs[0]!.slashProbabilityPerYear).toBeLessThanOrEqual(1)
  })
})
