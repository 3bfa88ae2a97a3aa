import { describe, expect, it } from 'vitest'
import { loadPolicyOrThrow } from '../../shared/domain/policy.js'
import { WhatIfChangeError, formatWhatIf, whatIf } from '../../shared/domain/whatif.js'
import { E18, NOW, YEAR, addr, service, svc, threeOperatorUniverse } from './fixtures.js'

const policy = (extra: Record<string, unknown> = {}) => loadPolicyOrThrow({ version: 1, minOperatorsPerService: 1, turnoverCapPerRun: 4, caps: { perOperator: 0.5, perService: 1 }, ...extra })

function world() {
  return threeOperatorUniverse(
    [service(1, { rewardRatePerYear: 0.05, observedSince: NOW - 2n * YEAR }), service(2, { rewardRatePerYear: 0.04, observedSince: NOW - 2n * YEAR })],
    [
      [1, 3, 40n * E18],
      [1, 4, 30n * E18],
      [2, 5, 30n * E18],
    ],
  )
}

describe('Function: whatIf', () => {
  it('slash operator X by 20 %: takes 20 % of its stake, counts the slash in scoring, applies the slash response and shows the moves', () => {
    const u = world()
    const r = whatIf({ universe: u, policy: policy({ slashResponse: 'zero-out' }), change: { kind: 'slash', operator: addr(3), fraction: 0.2 }, now: NOW })
    expect(r.lostToSlash).toBe(8n * E18)
    expect(r.scenario.universe.positions[0]!.activeStake).toBe(u.positions[0]!.activeStake - 8n * E18)
    // The slashed pair is zeroed out by the slash response.
    const pair = r.scenario.plan!.positions[0]!.targets.find((t) => t.operator === addr(3) && t.service === svc(1))
    expect(pair?.stake ?? 0n).toBe(0n)
    expect(r.moves.some((m) => m.operator === addr(3) && m.service === svc(1) && m.after === 0n && m.before > 0n)).toBe(true)
    // Scoring saw the slash: the operator's slash probability in that service rose.
    const p = (s: typeof r.scenario.scores) => s.pairs.find((x) => x.operator === addr(3) && x.service === svc(1))!.slashProbabilityPerYear
    expect(p(r.scenario.scores)).toBeGreaterThan(0.05)
    expect(r.figures.find((f) => f.key === 'lostToSlash')!.after).toBe(8e18)
    expect(r.description).toContain('20 %')
    // The world passed in is untouched (pure).
    expect(u.positions[0]!.allocations[0]!.stake).toBe(40n * E18)
    expect(u.services[0]!.slashes).toHaveLength(0)
  })

  it('deny service S: the plan leaves it and the figures compare today with the change', () => {
    const r = whatIf({ universe: world(), policy: policy(), change: { kind: 'denyService', service: svc(1) }, now: NOW })
    for (const t of r.scenario.plan!.positions[0]!.targets) if (t.service === svc(1)) expect(t.stake).toBe(0n)
    expect(r.moves.length).toBeGreaterThan(0)
    const text = formatWhatIf(r, { token: 'lsETH' })
    expect(text).toMatch(/^What if: deny service/)
    expect(text).toContain('lsETH')
    expect(text).toContain('(limit ')
    expect(Math.max(...text.split('\n').map((l) => l.length))).toBeLessThanOrEqual(100)
  })

  it('apply an edited policy: a stricter cap is planned without touching the policy in force', () => {
    const base = policy()
    const r = whatIf({ universe: world(), policy: base, change: { kind: 'policy', policy: policy({ caps: { perOperator: 0.2, perService: 1 } }) }, now: NOW })
    for (const pp of r.scenario.plan!.positions) {
      const perOp = new Map<string, bigint>()
      for (const t of pp.targets) perOp.set(t.operator, (perOp.get(t.operator) ?? 0n) + t.stake)
      for (const v of perOp.values()) expect(Number(v) / Number(pp.availableStake)).toBeLessThanOrEqual(0.2 + 1e-12)
      expect(perOp.size).toBeGreaterThanOrEqual(3)
    }
    expect(base.caps.perOperator).toBe(0.5)
  })

  it('refuses a change that names nothing, by name', () => {
    expect(() => whatIf({ universe: world(), policy: policy(), change: { kind: 'slash', operator: addr(99), fraction: 0.2 }, now: NOW })).toThrow(WhatIfChangeError)
    expect(() => whatIf({ universe: world(), policy: policy(), change: { kind: 'slash', operator: addr(3), fraction: 1.5 }, now: NOW })).toThrow(/not in \(0, 1\]/)
    expect(() => whatIf({ universe: world(), policy: policy(), change: { kind: 'denyService', service: svc(9) }, now: NOW })).toThrow(/not in the universe/)
  })
})
