/**
 * Taking over an over-allocated vault (issue 17 §1), property-based: from a generated allocation that breaks tight caps,
 * every run stays within the turnover cap and is never further from compliance on any cap row (planChecks.ts checks it
 * exactly), the fast solver and HiGHS agree, and running the plans one after another reaches compliance within the number
 * of runs the first plan announced (plus the last, ordinary one); the estimate never grows.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { InfeasiblePolicyError } from '../../shared/domain/errors.js'
import { type Plan, planAllocation } from '../../shared/domain/plan.js'
import { loadPolicyOrThrow } from '../../shared/domain/policy.js'
import { scoreUniverse } from '../../shared/domain/score.js'
import { planAllocationWithHighs } from '../../shared/domain/solvers/highs.js'
import type { Universe } from '../../shared/domain/types.js'
import { planViolations } from './planChecks.js'
import { FIXTURE_NOW, makeUniverse } from './universeFactory.js'

const now = FIXTURE_NOW

/** The universe with each position's allocation replaced by its planned targets (what the chain holds after a run). */
function applied(u: Universe, plan: Plan): Universe {
  return {
    ...u,
    positions: u.positions.map((pos) => {
      const pp = plan.positions.find((p) => p.position === pos.id)
      if (pp === undefined || !pp.steerable) return pos
      const allocations = pp.targets.filter((t) => t.stake > 0n).map((t) => ({ service: t.service, operator: t.operator, stake: t.stake, shares: t.stake, operatorLimit: 0n }))
      return { ...pos, allocations }
    }),
  }
}

describe('Property: taking over an over-allocated vault', () => {
  it('never further from compliance, within the turnover cap, HiGHS agrees, compliant within the runs announced', async () => {
    let takeovers = 0
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seed: fc.integer({ min: 1, max: 1_000_000 }),
          operators: fc.integer({ min: 4, max: 16 }),
          services: fc.integer({ min: 1, max: 6 }),
          perOperator: fc.double({ min: 0.05, max: 0.3, noNaN: true }),
          perService: fc.double({ min: 0.2, max: 0.8, noNaN: true }),
          turnover: fc.double({ min: 0.05, max: 0.3, noNaN: true }),
        }),
        async (r) => {
          const u0 = makeUniverse({ seed: r.seed, operators: r.operators, services: r.services, positions: 1, servicesPerOperator: 3, operatorsPerPosition: r.operators, now, kinds: ['network-restake'], currentDensity: 0.5 })
          const policy = loadPolicyOrThrow({
            version: 1,
            caps: { perOperator: r.perOperator, perService: r.perService },
            minOperatorsPerService: 1,
            leverageCap: 3,
            riskBudget: 1,
            maxCompoundedSlashProbability: 1,
            turnoverCapPerRun: r.turnover,
          })
          let u = u0
          let announced: number | undefined
          for (let run = 0; run < 60; run++) {
            const scores = scoreUniverse(u, policy, { now })
            let plan: Plan
            try {
              plan = planAllocation(u, scores, policy, { now })
            } catch (e) {
              if (e instanceof InfeasiblePolicyError) return // a policy no allocation meets at all (not a takeover)
              throw e
            }
            expect(planViolations(u, scores, policy, plan)).toEqual([])
            const pp = plan.positions[0]
            if (pp?.takeover === undefined) {
              if (announced !== undefined) expect(run).toBeLessThanOrEqual(announced + 1)
              return
            }
            takeovers++
            if (announced === undefined) {
              announced = pp.takeover.runsLeft
              // The take-over step (runs left) is exact whichever solver; a last run planned as an ordinary LP may pick
              // another of several optima (plan.property.test.ts compares those by objective).
              if (announced > 0) {
                const highs = await planAllocationWithHighs(u, scores, policy, { now })
                expect(highs.positions[0]?.targets).toEqual(pp.targets)
              }
            } else expect(pp.takeover.runsLeft).toBeLessThanOrEqual(announced - run)
            u = applied(u, plan)
          }
          throw new Error('no compliance within 60 runs')
        },
      ),
      { numRuns: 40, seed: 17 },
    )
    // The generated allocations do break the caps: the property is about takeovers, not vacuous.
    expect(takeovers).toBeGreaterThan(5)
  })
})
