import { describe, expect, it } from 'vitest'
import { InfeasiblePolicyError } from '../../shared/domain/errors.js'
import { buildLp, mulFloor, toCplexLp } from '../../shared/domain/lp.js'
import { planAllocation } from '../../shared/domain/plan.js'
import { loadPolicyOrThrow } from '../../shared/domain/policy.js'
import { scoreUniverse } from '../../shared/domain/score.js'
import { solveWithHighs } from '../../shared/domain/solvers/highs.js'
import type { Universe } from '../../shared/domain/types.js'
import { E18, NOW, addr, operator, position, service, svc, universe } from './fixtures.js'
import { planViolations } from './planChecks.js'

/** Zero slash probability for every operator: net value = reward rate (no commission). */
const noRisk = (ops: number[]) => ops.map((o) => ({ operator: addr(o), probabilityPerYear: 0 }))

function base(extra: Record<string, unknown> = {}) {
  return loadPolicyOrThrow({
    version: 1,
    caps: { perOperator: 0.5, perService: 0.6 },
    minOperatorsPerService: 2,
    leverageCap: 1,
    riskBudget: 1,
    maxCompoundedSlashProbability: 1,
    turnoverCapPerRun: 2,
    scoring: { slashProbabilityOverrides: noRisk([3, 4, 5]) },
    ...extra,
  })
}

function twoServices(allocations: [number, number, bigint][] = [], p: Partial<Parameters<typeof position>[0]> = {}): Universe {
  return universe(
    [service(1, { rewardRatePerYear: 0.05 }), service(2, { rewardRatePerYear: 0.03 })],
    [operator(3, [1, 2]), operator(4, [1]), operator(5, [2])],
    [position({ vault: 0xa, operators: [3, 4, 5], services: [1, 2], allocations, ...p })],
  )
}

const near = (a: bigint, b: bigint, tol = 10n ** 6n) => (a > b ? a - b : b - a) <= tol

function plan(u: Universe, policy = base(), opts: Partial<Parameters<typeof planAllocation>[3]> = {}) {
  const scores = scoreUniverse(u, policy, { now: NOW })
  const p = planAllocation(u, scores, policy, { now: NOW, ...opts })
  expect(planViolations(u, scores, policy, p)).toEqual([])
  return p
}

describe('Function: planAllocation', () => {
  it('finds the LP optimum: fill the best service to its cap, the rest by leverage, split by diversification', () => {
    const p = plan(twoServices())
    const t = Object.fromEntries(p.positions[0]!.targets.map((x) => [`${x.service === svc(1) ? 'S1' : 'S2'}/${x.operator === addr(3) ? 'O3' : x.operator === addr(4) ? 'O4' : 'O5'}`, x.stake]))
    expect(Object.keys(t).sort()).toEqual(['S1/O3', 'S1/O4', 'S2/O3', 'S2/O5'])
    expect(near(t['S1/O3']!, 300n * E18) && near(t['S1/O4']!, 300n * E18) && near(t['S2/O3']!, 200n * E18) && near(t['S2/O5']!, 200n * E18)).toBe(true)
    expect(p.objectivePerYear / 1e18).toBeCloseTo(0.05 * 600 + 0.03 * 400, 6)
    expect(p.currentObjectivePerYear).toBe(0)
    expect(p.solver).toBe('fast')
    // Network limit of each service = Σ of its targets, within min(activeStake, maxNetworkLimit).
    for (const nl of p.positions[0]!.networkLimits) {
      const sum = p.positions[0]!.targets.filter((x) => x.service === nl.service).reduce((a, x) => a + x.stake, 0n)
      expect(nl.limit).toBe(sum)
      expect(nl.limit <= 1000n * E18).toBe(true)
    }
    // Binding constraints are named in words.
    const msgs = p.binding.map((b) => `${b.constraint}:${b.subject === '' ? '' : b.subject.slice(0, 6)}`)
    expect(msgs).toEqual(expect.arrayContaining(['caps.perService:0x1111', 'leverageCap:', 'caps.perOperator:0x3333']))
    expect(p.binding.find((b) => b.constraint === 'caps.perOperator')!.message).toBe('operator 0x3333…3333: caps.perOperator binding at 50.00 % (limit 50.00 %)')
    expect(p.riskFigures.maxLeverage).toBeCloseTo(1, 9)
  })

  it('HiGHS reaches the same optimum on the same LP', async () => {
    const u = twoServices([[1, 4, 100n * E18]])
    const policy = base()
    const scores = scoreUniverse(u, policy, { now: NOW })
    const lp = buildLp(u, scores, policy)
    const h = await solveWithHighs(lp)
    const f = planAllocation(u, scores, policy, { now: NOW })
    expect(Math.abs(h.objective - f.lpObjectivePerYear) / h.objective).toBeLessThan(1e-9)
    expect(toCplexLp(lp)).toMatch(/^Maximize\n obj:/)
  })

  it('zeroes out a deny-listed operator at once, outside the turnover budget, and says why', () => {
    const u = twoServices([
      [1, 4, 30n * E18],
      [1, 5, 30n * E18],
      [2, 3, 30n * E18],
      [2, 5, 30n * E18],
    ])
    const u2 = { ...u, operators: u.operators.map((o) => (o.address === addr(5) ? { ...o, services: [svc(1), svc(2)] } : o)) }
    const p = plan(u2, base({ operators: { deny: [addr(4)] }, turnoverCapPerRun: 0.05 }))
    const pp = p.positions[0]!
    expect(pp.forced).toEqual([{ service: svc(1), operator: addr(4), from: 30n * E18, to: 0n, reason: `operator ${addr(4)} is deny-listed`, cause: 'denyList' }])
    expect(pp.targets.find((x) => x.operator === addr(4))!.stake).toBe(0n)
    // The LP still moves up to 5 % of the stake for yield; the forced 30 do not count.
    expect(pp.turnover <= mulFloor(1000n * E18, 0.05)).toBe(true)
    expect(pp.turnover > 0n).toBe(true)
    expect(p.warnings).toEqual([])
  })

  it('deny wins over pacing: when the removal breaks diversification, the turnover cap is raised for this run', () => {
    const u = twoServices([
      [1, 4, 300n * E18],
      [1, 3, 300n * E18],
    ])
    const p = plan(u, base({ operators: { deny: [addr(4)] }, turnoverCapPerRun: 0.05 }))
    const pp = p.positions[0]!
    // O3 alone in S1 breaks minOperatorsPerService = 2, so its S1 stake must go too.
    expect(pp.targets.filter((x) => x.service === svc(1)).map((x) => x.stake)).toEqual([0n, 0n])
    expect(pp.turnoverLimit > mulFloor(1000n * E18, 0.05)).toBe(true)
    expect(p.warnings).toEqual([
      `position ${addr(0xa)}: turnover cap raised from 5.00 % to 30.00 % for this run: forced removals (deny list, eligibility, slash response) leave an allocation that breaks other constraints unless more stake moves`,
    ])
  })

  it('takes over an allocation the turnover cap cannot repair in one run: each run moves toward compliance and says how many remain', () => {
    let u = twoServices([
      [1, 3, 400n * E18],
      [1, 4, 400n * E18],
    ])
    const policy = base({ caps: { perOperator: 0.2, perService: 1 }, turnoverCapPerRun: 0.05 })
    const excess = (x: Universe) => {
      const byOp = new Map<string, bigint>()
      for (const a of x.positions[0]!.allocations) byOp.set(a.operator, (byOp.get(a.operator) ?? 0n) + a.stake)
      return [...byOp.values()].reduce((t, v) => t + (v > mulFloor(1000n * E18, 0.2) ? v - mulFloor(1000n * E18, 0.2) : 0n), 0n)
    }
    const runsLeft: number[] = []
    for (let run = 0; run < 20; run++) {
      const p = plan(u, policy)
      const pp = p.positions[0]!
      const before = excess(u)
      u = { ...u, positions: [{ ...u.positions[0]!, allocations: pp.targets.filter((t) => t.stake > 0n).map((t) => ({ service: t.service, operator: t.operator, stake: t.stake, shares: t.stake, operatorLimit: 0n })) }] }
      expect(excess(u) <= before).toBe(true)
      if (pp.takeover === undefined) break
      expect(pp.takeover.broken).toContain('caps.perOperator')
      expect(pp.turnover <= mulFloor(1000n * E18, 0.05)).toBe(true)
      expect(p.warnings.some((w) => w.startsWith(`position ${addr(0xa)}: taking over an allocation that breaks caps.perOperator`))).toBe(true)
      runsLeft.push(pp.takeover.runsLeft)
    }
    // 400 → 200 per operator: 400e18 of turnover to compliance at 50e18 a run (less a margin of 1 wei per pair): 8 runs,
    // the last planned as an ordinary one (what is left fits the cap) but still a take-over run ("compliant after this
    // run"), so that its decision does not skip a repair that costs yield. The estimate counts down to it, run by run.
    expect(runsLeft).toEqual([7, 6, 5, 4, 3, 2, 1, 0])
    expect(excess(u)).toBe(0n)
  })

  it('names the conflicting constraints when no run can repair the current allocation (turnover cap 0)', () => {
    const u = twoServices([
      [1, 3, 400n * E18],
      [1, 4, 400n * E18],
    ])
    const policy = base({ caps: { perOperator: 0.2, perService: 1 }, turnoverCapPerRun: 0 })
    const scores = scoreUniverse(u, policy, { now: NOW })
    let err: unknown
    try {
      planAllocation(u, scores, policy, { now: NOW })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(InfeasiblePolicyError)
    const e = err as InfeasiblePolicyError
    expect(e.name).toBe('InfeasiblePolicyError')
    expect(e.position).toBe(addr(0xa))
    expect(e.conflicts.map((c) => c.constraint).sort()).toEqual(['caps.perOperator', 'caps.perOperator', 'turnoverCapPerRun'])
    expect(e.conflicts.find((c) => c.constraint === 'turnoverCapPerRun')!.detail).toMatch(/^at most 0\.00 % of the stake/)
    expect(e.shortMessage).toBe(`Policy is infeasible for position ${addr(0xa)}: caps.perOperator vs turnoverCapPerRun cannot all hold.`)
    // 0.2 as a float is 0.2000000000000000111…, so floor(0.2 · 1000e18) ends in …011102.
    expect(e.conflicts.find((c) => c.constraint === 'caps.perOperator')!.detail).toBe('operator 0x3333…3333: limit 20.00 % of stake (200000000000000011102 wei), current allocation 40.00 %')
  })

  it('respects maxNetworkLimit and says which limit binds', () => {
    const u = twoServices([], { services: [{ n: 1, maxNetworkLimit: 100n * E18 }, 2] })
    const p = plan(u)
    const s1 = p.positions[0]!.networkLimits.find((l) => l.service === svc(1))!
    expect(s1.limit <= 100n * E18).toBe(true)
    expect(near(s1.limit, 100n * E18)).toBe(true)
    expect(p.binding.some((b) => b.constraint === 'maxNetworkLimit' && b.subject === svc(1))).toBe(true)
  })

  it('records residual exposure for stake removed: slashable for one more epoch', () => {
    const u = twoServices([[2, 5, 500n * E18]], { epochDurationSeconds: 86_400 })
    const p = plan(u, base({ caps: { perOperator: 0.2, perService: 0.6 } }))
    const r = p.positions[0]!.residualExposure.find((x) => x.operator === addr(5))!
    expect(r.until).toBe(NOW + 86_400n)
    expect(r.stake).toBe(500n * E18 - p.positions[0]!.targets.find((x) => x.operator === addr(5))!.stake)
  })

  it('applies slash responses: halve keeps at most half, zero-out removes, neither may grow', () => {
    const u = twoServices([
      [1, 3, 200n * E18],
      [1, 4, 200n * E18],
    ])
    const p = plan(u, base({ turnoverCapPerRun: 0 }), {
      derisk: [
        { operator: addr(3), service: svc(1), response: 'halve', reason: 'slashed' },
        { operator: addr(4), response: 'zero-out' },
      ],
    })
    const pp = p.positions[0]!
    expect(pp.targets.find((x) => x.operator === addr(3) && x.service === svc(1))!.stake).toBe(0n) // diversification: O3 alone
    expect(pp.targets.find((x) => x.operator === addr(4))!.stake).toBe(0n)
    expect(pp.forced.map((f) => [f.operator, f.to, f.reason])).toEqual([
      [addr(3), 100n * E18, 'slashed'],
      [addr(4), 0n, 'slash response: zero-out'],
    ])
  })

  it('admits services per operator only while its compounded slash probability stays under the cap', () => {
    const u = universe([service(1, { rewardRatePerYear: 0.05 }), service(2, { rewardRatePerYear: 0.04 })], [operator(3, [1, 2]), operator(4, [1, 2])], [position({ vault: 0xa, operators: [3, 4], services: [1, 2] })])
    const policy = base({
      maxCompoundedSlashProbability: 0.1,
      caps: { perOperator: 1, perService: 1 },
      leverageCap: 2,
      scoring: {
        defaultSeverity: 0.01,
        slashProbabilityOverrides: [
          { operator: addr(3), probabilityPerYear: 0.06 },
          { operator: addr(4), probabilityPerYear: 0.01 },
        ],
      },
    })
    const p = plan(u, policy)
    const o3 = p.positions[0]!.targets.filter((x) => x.operator === addr(3) && x.stake > 0n).map((x) => x.service)
    expect(o3).toEqual([svc(1)]) // 1 − 0.94² = 11.6 % > 10 %: only the better service
    expect(p.positions[0]!.maxOperatorCompoundedSlashProbability).toBeLessThanOrEqual(0.1)
  })

  it('gives no new stake to pairs with non-positive net value and removes it when the budget allows', () => {
    const u = twoServices([[2, 5, 100n * E18]])
    const policy = base({ scoring: { slashProbabilityOverrides: [...noRisk([3, 4]), { operator: addr(5), probabilityPerYear: 1 }], defaultSeverity: 1 } })
    const p = plan(u, policy)
    expect(p.positions[0]!.targets.find((x) => x.operator === addr(5))!.stake).toBe(0n)
  })

  it('plans full-restake and operator-specific delegators; leaves operator-network-specific as is', () => {
    const frd = plan(twoServices([], { kind: 'full-restake' }))
    expect(frd.positions[0]!.targets.length).toBe(4)
    const u = twoServices([[1, 3, 10n * E18]], { kind: 'operator-network-specific' })
    const fixed = plan(u)
    expect(fixed.positions[0]).toMatchObject({ steerable: false, targets: [{ service: svc(1), operator: addr(3), stake: 10n * E18, current: 10n * E18 }] })
    expect(fixed.warnings).toEqual([`position ${addr(0xa)} is left as it is: operator-network-specific delegator: nothing is settable by the curator`])
  })

  it('plans only the managed positions and warns about missing ones', () => {
    const u = twoServices()
    const p = plan(u, base({ positions: [{ vault: addr(0xa) }, { vault: addr(0xb) }] }))
    expect(p.positions.map((x) => x.position)).toEqual([addr(0xa)])
    expect(p.warnings).toEqual([`managed position ${addr(0xb)} is not in the universe`])
    const none = plan(u, base({ positions: [{ vault: addr(0xb) }] }))
    expect(none.positions).toEqual([])
  })

  it('zeroes a position without active stake', () => {
    const p = plan(twoServices([[1, 3, 5n * E18]], { activeStake: 0n }))
    expect(p.positions[0]!.targets).toEqual([expect.objectContaining({ stake: 0n, current: 5n * E18 })])
  })

  it('keeps unchanged pairs exactly (no dust moves) when the current allocation is already optimal', () => {
    const first = plan(twoServices())
    const t = first.positions[0]!.targets
    const again = plan(twoServices(t.map((x) => [x.service === svc(1) ? 1 : 2, Number.parseInt(x.operator.slice(2, 3), 16), x.stake])))
    expect(again.positions[0]!.targets.map((x) => x.stake)).toEqual(t.map((x) => x.stake))
    expect(again.objectivePerYear).toBe(again.currentObjectivePerYear)
  })
})

describe('one position never blocks another', () => {
  it('a position no allocation can repair is left as it is and reported; the healthy vault beside it is planned', () => {
    const over = twoServices([
      [1, 3, 400n * E18],
      [1, 4, 400n * E18],
    ])
    const u: Universe = { ...over, positions: [...over.positions, position({ vault: 0xb, operators: [3, 4, 5], services: [1, 2] })] }
    const policy = base({ caps: { perOperator: 0.2, perService: 1 }, turnoverCapPerRun: 0 })
    const scores = scoreUniverse(u, policy, { now: NOW })
    const p = planAllocation(u, scores, policy, { now: NOW })
    const stuck = p.positions.find((x) => x.position === addr(0xa))!
    const healthy = p.positions.find((x) => x.position === addr(0xb))!
    expect(stuck.error?.name).toBe('InfeasiblePolicyError')
    expect(stuck.targets.every((t) => t.stake === t.current)).toBe(true)
    expect(p.warnings.some((w) => w.startsWith(`position ${addr(0xa)} is left as it is this run: Policy is infeasible`))).toBe(true)
    expect(healthy.error).toBeUndefined()
    // Planned (turnover 0 keeps it where it is), not failed with its neighbour.
    expect(healthy.steerable).toBe(true)
    expect(p.binding.some((b) => b.position === addr(0xb))).toBe(true)
  })
})
