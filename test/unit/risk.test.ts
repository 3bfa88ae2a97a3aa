import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { InfeasiblePolicyError } from '../../shared/domain/errors.js'
import { explainRun } from '../../shared/domain/explain.js'
import { buildLp, mulFloor } from '../../shared/domain/lp.js'
import { planAllocation } from '../../shared/domain/plan.js'
import { loadPolicyOrThrow } from '../../shared/domain/policy.js'
import { planAllocationWithHighs } from '../../shared/domain/solvers/highs.js'
import { solveFast } from '../../shared/domain/solvers/fast.js'
import { blockVar99, meetVar99 } from '../../shared/domain/planRisk.js'
import { roundBlock } from '../../shared/domain/round.js'
import { scoreUniverse } from '../../shared/domain/score.js'
import { lossFactor } from '../../shared/domain/tailLoss.js'
import type { Universe } from '../../shared/domain/types.js'
import { E18, NOW, addr, operator, position, service, svc, universe } from './fixtures.js'
import { planViolations, rat } from './planChecks.js'
import { makeUniverse } from './universeFactory.js'

/** Three services, four operators, one vault holding 1,000 tokens; operator 4 only secures service 2. */
function world(): Universe {
  return universe(
    [service(1, { rewardRatePerYear: 0.04 }), service(2, { rewardRatePerYear: 0.05 }), service(3, { rewardRatePerYear: 0.2 })],
    [operator(5, [1, 2, 3]), operator(6, [1, 2, 3]), operator(7, [1, 3]), operator(4, [2])],
    [
      position({
        vault: 0xa,
        operators: [4, 5, 6, 7],
        services: [1, 2, 3],
        allocations: [
          [3, 5, 100n * E18],
          [3, 6, 100n * E18],
          [2, 4, 50n * E18],
          [2, 5, 50n * E18],
        ],
      }),
    ],
  )
}

function policy(extra: Record<string, unknown> = {}, meta: Record<string, unknown>[] = []) {
  return loadPolicyOrThrow({
    version: 1,
    caps: { perOperator: 0.4, perService: 0.5 },
    minOperatorsPerService: 2,
    leverageCap: 2,
    riskBudget: 0.05,
    maxCompoundedSlashProbability: 1,
    turnoverCapPerRun: 0.5,
    scoring: { slashProbabilityOverrides: [5, 6, 7, 4].map((o) => ({ operator: addr(o), probabilityPerYear: 0.004 })), serviceMetadata: meta },
    ...extra,
  })
}

function run(u: Universe, p: ReturnType<typeof policy>) {
  const scores = scoreUniverse(u, p, { now: NOW })
  const plan = planAllocation(u, scores, p, { now: NOW })
  expect(planViolations(u, scores, p, plan)).toEqual([])
  return { scores, plan, text: explainRun({ scores, plan, decision: { kind: 'skip', reason: 'belowThreshold', detail: 'test' } as never }) }
}

const stakeOn = (plan: ReturnType<typeof planAllocation>, s: number, o?: number) => plan.positions[0]!.targets.filter((t) => t.service === svc(s) && (o === undefined || t.operator === addr(o))).reduce((a, t) => a + t.stake, 0n)

describe('security in planning', () => {
  it('exits a service whose profit from corruption exceeds its cost (ρ < 1) like a deny-listed one, and says so', () => {
    // Service 3 (20 %/yr): σ = 200 tokens, α = 1/3 → cost 66.7 < π = 500 → ρ = 0.133.
    const p = policy({}, [
      { service: svc(3), profitFromCorruption: 500 },
      { service: svc(2), profitFromCorruption: 1 },
    ])
    const { scores, plan, text } = run(world(), p)
    const s3 = scores.security!.services.find((s) => s.service === svc(3))!
    expect(s3.status).toBe('insecure')
    expect(s3.ratio).toBeCloseTo(200 / 3 / 500, 12)
    expect(stakeOn(plan, 3)).toBe(0n)
    expect(plan.positions[0]!.forced.filter((f) => f.service === svc(3)).map((f) => [f.from, f.to])).toEqual([
      [100n * E18, 0n],
      [100n * E18, 0n],
    ])
    expect(plan.binding.find((b) => b.constraint === 'securityRatio')).toMatchObject({ subject: svc(3), limit: 1 })
    expect(plan.binding.filter((b) => b.constraint === 'securityRatio')).toHaveLength(1)
    expect(text).toContain('ρ = α·σ/π = 0.1333 < 1')
    expect(text).toContain('Service security')
    expect(plan.riskFigures.security!.insecureServices).toEqual([svc(3)])
    // Without π for service 3 it is "unknown", keeps its stake and is not called safe.
    const open = run(world(), policy())
    expect(open.scores.security!.services.every((s) => s.status === 'unknown')).toBe(true)
    expect(stakeOn(open.plan, 3)).toBeGreaterThan(0n)
    expect(open.text).toContain('unknown')
  })

  it('gives no new stake to an operator whose slack γ is below minSecuritySlack', () => {
    // Service 2: σ = 100 tokens, α = 1/2, π = 25 → ρ = 2; operator 4 secures only service 2: I = 0.5, γ = 1.
    const meta = [
      { service: svc(2), profitFromCorruption: 25, attackThreshold: 0.5 },
      { service: svc(3), profitFromCorruption: 0.001 },
    ]
    const free = run(world(), policy({ minSecuritySlack: 0.5 }, meta))
    expect(free.scores.security!.operators.find((o) => o.operator === addr(4))).toMatchObject({ incentiveIndex: 0.5, slack: 1, status: 'ok' })
    expect(stakeOn(free.plan, 2, 4)).toBeGreaterThan(50n * E18)
    const held = run(world(), policy({ minSecuritySlack: 1.5 }, meta))
    expect(stakeOn(held.plan, 2, 4)).toBeLessThanOrEqual(50n * E18)
    expect(held.plan.binding.find((b) => b.constraint === 'minSecuritySlack')).toMatchObject({ subject: addr(4), limit: 1.5, value: 1 })
    expect(held.text).toContain('< minSecuritySlack 1.5')
    // Operator 5 also secures service 2 (and service 3, 1/ρ ≈ 0): γ ≈ 1 < 1.5, held back too.
    expect(held.plan.riskFigures.security!.heldOperators).toEqual([addr(4), addr(5)])
  })
})

describe('tail loss in planning', () => {
  it('tightens the risk budget until the one-year VaR at 99 % meets var99Fraction, and names it as binding', async () => {
    const loose = run(world(), policy())
    const t0 = loose.plan.positions[0]!.tail!
    const limitFrac = 0.05
    // Not vacuous: the unconstrained plan is above the cap.
    expect(t0.var99 > (1000n * E18 * 5n) / 100n).toBe(true)
    const tight = run(world(), policy({ var99Fraction: limitFrac }))
    const t = tight.plan.positions[0]!.tail!
    expect(t.var99 <= t.var99Limit).toBe(true)
    expect(t.var99Limit).toBe(mulFloor(1000n * E18, limitFrac))
    expect(t.riskBudget).toBeLessThan(0.05)
    const b = tight.plan.binding.find((x) => x.constraint === 'var99Fraction')!
    expect(b.message).toContain('risk budget tightened from 5.00 %/yr')
    expect(tight.plan.riskFigures.var99Fraction!).toBeLessThanOrEqual(limitFrac)
    expect(tight.text).toContain('1-yr VaR 99 %')
    expect(tight.text).toContain('limit var99Fraction 5.00 %')
    // The HiGHS path applies the same tightening.
    const p = policy({ var99Fraction: limitFrac })
    const h = await planAllocationWithHighs(world(), scoreUniverse(world(), p, { now: NOW }), p, { now: NOW })
    expect(h.positions[0]!.tail!.var99 <= t.var99Limit).toBe(true)
    expect(h.binding.some((x) => x.constraint === 'var99Fraction')).toBe(true)
  })

  it('meetVar99 sums the objective over the blocks it solved: a block left infeasible beside a tightened one adds nothing (not NaN)', () => {
    const p = policy({ var99Fraction: 0.05 })
    const u = world()
    const lp = buildLp(u, scoreUniverse(u, p, { now: NOW }), p)
    const solved = solveFast(lp)
    const b = lp.blocks[0]!
    const ok = solved.blocks[0]!
    const infeasible = { position: 'other', status: 'infeasible' as const, x: new Float64Array(0), duals: new Float64Array(0), objective: Number.NaN }
    const model = { ...lp, blocks: [b, b] }
    const met = meetVar99(model, { solver: 'fast', objective: ok.objective * b.scale, blocks: [ok, infeasible] }, p)
    // Not vacuous: the first block was tightened.
    expect(met.lp.blocks[0]!.riskBudgetTightened).toBeDefined()
    expect(met.solution.blocks[1]).toBe(infeasible)
    expect(met.solution.objective).toBe(met.solution.blocks[0]!.objective * b.scale)
  })

  it('property: the MaxLoss cap holds exactly in wei after bigint rounding', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.double({ min: 0.02, max: 0.6, noNaN: true }), (seed, cap) => {
        const u = makeUniverse({ seed, operators: 8, services: 4, positions: 2, servicesPerOperator: 3, operatorsPerPosition: 6, currentDensity: 0 })
        const p = loadPolicyOrThrow({ version: 1, maxLossFraction: cap, riskBudget: 0.05, maxCompoundedSlashProbability: 1, leverageCap: 3, turnoverCapPerRun: 3, caps: { perOperator: 0.6, perService: 0.8 } })
        const scores = scoreUniverse(u, p, { now: u.timestamp })
        let plan: ReturnType<typeof planAllocation>
        try {
          plan = planAllocation(u, scores, p, { now: u.timestamp })
        } catch (e) {
          if (e instanceof InfeasiblePolicyError) return
          throw e
        }
        const pair = new Map(scores.pairs.map((x) => [`${x.service}|${x.operator}`, x]))
        const [cn, cd] = rat(cap)
        for (const pp of plan.positions) {
          // Σ min(1, sev·h)·t ≤ cap·A, in exact rationals (common denominator 2^k).
          let lhsNum = 0n
          let lhsDen = 1n
          for (const t of pp.targets) {
            if (t.stake === 0n) continue
            const ps = pair.get(`${t.service}|${t.operator}`)!
            const [n, d] = rat(lossFactor(ps.severity, ps.contractFactor))
            lhsNum = lhsNum * d + n * t.stake * lhsDen
            lhsDen *= d
          }
          expect(lhsNum * cd <= cn * pp.availableStake * lhsDen).toBe(true)
          expect(pp.tail!.maxLoss <= pp.tail!.maxLossLimit + BigInt(pp.targets.length)).toBe(true)
        }
      }),
      { numRuns: 60, seed: 16 },
    )
  })
})

describe('blockVar99 with a limit (the DP skipped when the VaR is provably within it)', () => {
  it('answers "within the limit?" exactly as the DP does, with an upper bound of the DP VaR that is ≤ the limit when within', () => {
    const p = loadPolicyOrThrow({ version: 1, caps: { perOperator: 0.3, perService: 0.5 }, riskBudget: 0.01, leverageCap: 3 })
    let shortcuts = 0
    let checked = 0
    for (let seed = 1; seed <= 12; seed++) {
      const u = makeUniverse({ seed, operators: 30, services: 6, positions: 2, servicesPerOperator: 4, operatorsPerPosition: 15, currentDensity: 0.3 })
      const lp = buildLp(u, scoreUniverse(u, p, { now: u.timestamp }), p)
      const sol = solveFast(lp)
      lp.blocks.forEach((b, i) => {
        const s = sol.blocks[i]
        if (s?.status !== 'optimal') return
        const t = roundBlock(b, s, p)
        const exact = blockVar99(b, t)
        const all = t.reduce((a, tj, j) => a + mulFloor(tj, b.pairs.lossFactor[j] as number), 0n)
        for (const f of [0.02, 0.05, 0.1, 0.2, 0.4, 0.8]) {
          const limit = mulFloor(b.activeStake, f)
          const v = blockVar99(b, t, limit)
          checked++
          expect(v <= limit).toBe(exact <= limit)
          if (v <= limit) expect(v >= exact).toBe(true)
          if (v <= limit && v !== exact && v !== all) shortcuts++
        }
      })
    }
    expect(checked).toBeGreaterThan(50)
    // The Markov shortcut is taken on some of these (not only the every-pair-at-once one).
    expect(shortcuts).toBeGreaterThan(0)
  })
})
