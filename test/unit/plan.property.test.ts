import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { InfeasiblePolicyError } from '../../shared/domain/errors.js'
import { bigintReplacer } from '../../shared/domain/format.js'
import { buildLp } from '../../shared/domain/lp.js'
import { planAllocation, planFromSolution } from '../../shared/domain/plan.js'
import { type Policy, loadPolicyOrThrow } from '../../shared/domain/policy.js'
import { scoreUniverse } from '../../shared/domain/score.js'
import { solveFast } from '../../shared/domain/solvers/fast.js'
import { solveWithHighs } from '../../shared/domain/solvers/highs.js'
import type { Universe } from '../../shared/domain/types.js'
import { planViolations } from './planChecks.js'
import { makeUniverse } from './universeFactory.js'

const universeArb = fc.record({
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  operators: fc.integer({ min: 2, max: 25 }),
  services: fc.integer({ min: 1, max: 8 }),
  positions: fc.integer({ min: 1, max: 3 }),
  servicesPerOperator: fc.integer({ min: 1, max: 5 }),
  operatorsPerPosition: fc.integer({ min: 1, max: 15 }),
  currentDensity: fc.constantFrom(0, 0.05, 0.2, 0.5),
  kinds: fc.constantFrom<('network-restake' | 'full-restake' | 'operator-specific')[]>(['network-restake'], ['full-restake'], ['network-restake', 'full-restake']),
})

const frac = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true })

/** A policy; deny / allow lists and risk groups are drawn from the universe's own ids. */
function policyArb(u: Universe): fc.Arbitrary<Policy> {
  const ops = u.operators.map((o) => o.address)
  const svcs = u.services.map((s) => s.id)
  return fc
    .record({
      perOperator: frac(0.05, 1),
      perService: frac(0.05, 1),
      minOperatorsPerService: fc.integer({ min: 1, max: 4 }),
      riskBudget: frac(0, 0.05),
      maxCompoundedSlashProbability: frac(0, 0.6),
      leverageCap: frac(1, 4),
      turnoverCapPerRun: frac(0, 1),
      denyOps: fc.subarray(ops, { maxLength: Math.min(3, ops.length) }),
      denySvcs: fc.subarray(svcs, { maxLength: Math.min(1, svcs.length) }),
      groupMembers: fc.subarray([...ops, ...svcs], { maxLength: Math.min(4, ops.length + svcs.length) }),
      groupCap: frac(0, 1),
      defaultSeverity: frac(0.01, 1),
      override: fc.option(fc.record({ op: fc.constantFrom(...ops), p: frac(0, 0.5) }), { nil: undefined }),
    })
    .map((r) =>
      loadPolicyOrThrow({
        version: 1,
        operators: { deny: r.denyOps },
        services: { deny: r.denySvcs },
        caps: {
          perOperator: r.perOperator,
          perService: r.perService,
          perRiskGroup: r.groupMembers.length > 0 ? [{ group: 'g', members: r.groupMembers, cap: r.groupCap }] : [],
        },
        minOperatorsPerService: r.minOperatorsPerService,
        riskBudget: r.riskBudget,
        maxCompoundedSlashProbability: r.maxCompoundedSlashProbability,
        leverageCap: r.leverageCap,
        turnoverCapPerRun: r.turnoverCapPerRun,
        scoring: {
          defaultSeverity: r.defaultSeverity,
          slashProbabilityOverrides: r.override ? [{ operator: r.override.op, probabilityPerYear: r.override.p }] : [],
        },
      }),
    )
}

const caseArb = universeArb.chain((spec) => {
  const u = makeUniverse(spec)
  return policyArb(u).map((policy) => ({ u, policy }))
})

function planOrInfeasible(u: Universe, policy: Policy) {
  const scores = scoreUniverse(u, policy, { now: u.timestamp })
  try {
    return { scores, plan: planAllocation(u, scores, policy, { now: u.timestamp }) }
  } catch (e) {
    if (e instanceof InfeasiblePolicyError) return { scores, infeasible: e }
    throw e
  }
}

describe('Property: planAllocation', () => {
  it('every plan satisfies every policy constraint exactly in bigint, and never violates a deny list', () => {
    let feasible = 0
    fc.assert(
      fc.property(caseArb, ({ u, policy }) => {
        const r = planOrInfeasible(u, policy)
        if (!r.plan) return
        feasible++
        expect(planViolations(u, r.scores, policy, r.plan)).toEqual([])
      }),
      { numRuns: 300, seed: 4242 },
    )
    expect(feasible).toBeGreaterThan(100)
  })

  it('fast path and HiGHS agree: same feasibility, objective within 1e-6 relative', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ u, policy }) => {
        const scores = scoreUniverse(u, policy, { now: u.timestamp })
        const lp = buildLp(u, scores, policy)
        const fast = solveFast(lp)
        const highs = await solveWithHighs(lp)
        expect(fast.blocks.map((b) => b.status)).toEqual(highs.blocks.map((b) => b.status))
        fast.blocks.forEach((b, i) => {
          const h = highs.blocks[i]!
          if (b.status !== 'optimal') return
          const scale = Math.max(1e-9, Math.abs(h.objective))
          expect(Math.abs(b.objective - h.objective) / scale).toBeLessThanOrEqual(1e-6)
        })
        // A plan from the HiGHS solution is valid too (both go through the same exact rounding).
        if (fast.blocks.every((b) => b.status === 'optimal')) {
          const p = planFromSolution(u, scores, policy, lp, highs, { now: u.timestamp })
          expect(planViolations(u, scores, policy, p)).toEqual([])
        }
      }),
      { numRuns: 120, seed: 777 },
    )
  })

  it('the plan is at least as good as the current allocation when that allocation is feasible', () => {
    let checked = 0
    fc.assert(
      fc.property(caseArb, ({ u, policy }) => {
        const scores = scoreUniverse(u, policy, { now: u.timestamp })
        const lp = buildLp(u, scores, policy)
        // Current allocation feasible: no forced move and no row violated at the start point.
        const currentFeasible = lp.blocks.every((b) => b.forced.length === 0 && b.rowRhs.every((rhs) => rhs >= 0))
        if (!currentFeasible || lp.fixed.length > 0) return
        const plan = planAllocation(u, scores, policy, { now: u.timestamp })
        checked++
        // Rounding to wei can cost at most a few wei × the largest coefficient per pair.
        const slack = lp.blocks.reduce((a, b) => a + 4 * (b.pairs.length + 1) * Math.max(0, ...b.pairs.value.map(Math.abs)), 0)
        expect(plan.objectivePerYear).toBeGreaterThanOrEqual(plan.currentObjectivePerYear - slack)
        expect(plan.lpObjectivePerYear).toBeGreaterThanOrEqual(plan.currentObjectivePerYear * (1 - 1e-12) - 1e-6 * Math.abs(plan.currentObjectivePerYear))
      }),
      { numRuns: 300, seed: 99 },
    )
    expect(checked).toBeGreaterThan(20)
  })

  it('identical input gives byte-identical output, whatever the order of the input lists', () => {
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 0, max: 1000 }), ({ u, policy }, salt) => {
        const a = planOrInfeasible(u, policy)
        const shuffled = shuffleUniverse(u, salt)
        const b = planOrInfeasible(shuffled, policy)
        const text = (r: ReturnType<typeof planOrInfeasible>) => JSON.stringify(r.plan ? { scores: r.scores, plan: r.plan } : { scores: r.scores, error: r.infeasible?.message }, bigintReplacer)
        expect(text(b)).toBe(text(a))
        expect(text(planOrInfeasible(u, policy))).toBe(text(a))
      }),
      { numRuns: 100, seed: 5 },
    )
  })
})

/** The same universe with every list in a different order. */
function shuffleUniverse(u: Universe, salt: number): Universe {
  const mix = <T>(xs: T[]): T[] =>
    xs
      .map((x, i) => ({ x, k: (i * 2654435761 + salt * 40503) % 1009 }))
      .sort((a, b) => a.k - b.k)
      .map((e) => e.x)
  return {
    ...u,
    services: mix(u.services.map((s) => ({ ...s, slashes: mix(s.slashes) }))),
    operators: mix(u.operators.map((o) => ({ ...o, services: mix(o.services) }))),
    positions: mix(u.positions.map((p) => ({ ...p, operatorsOptedIn: mix(p.operatorsOptedIn), services: mix(p.services), allocations: mix(p.allocations) }))),
  }
}
