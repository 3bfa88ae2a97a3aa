/**
 * Planning: the allocation that maximises net expected yield under the policy (an exact LP optimum,
 * see lp.ts for the model and solvers/fast.ts for the method), converted once to exact bigint wei.
 * Stake in flight (`Position.inFlightStake`: EigenLayer withdrawals waiting out the delay) is part of the
 * position's active stake but earns nothing and is not allocated: the plan works on `availableStake` and reports
 * `inFlightStake` beside it.
 *
 * Rounding (float LP → bigint targets), per position:
 * 1. pairs within 1e-11 (normalised) of their current stake keep it exactly (no dust moves);
 * 2. every other pair gets ⌊x·A⌋ of its exact value (the float read as the binary fraction it is) and,
 *    per service, the ⌊Σ fractional parts⌋ leftover units go to the largest remainders (ties: pairs
 *    moving back toward their current stake first, then by operator) — largest-remainder rounding;
 * 3. repair, exactly in bigint: every row over its limit (service, operator, risk group, leverage,
 *    risk budget) is brought back by trimming increases first (which also lowers turnover), then
 *    diversification `m·t_{s,o} ≤ Σ_o t_{s,o}` is restored by trimming the largest pairs;
 * 4. verify every constraint exactly; the turnover row of the LP carries a margin (lp.ts) that covers
 *    what steps 2–3 can add, so verification cannot fail on a correct LP solution (it throws
 *    SolverError otherwise, never returns a plan that breaks the policy).
 *
 * On chain (NetworkRestakeDelegator) `stake = shares · min(activeStake, networkLimit) / totalShares`;
 * we set `networkLimit_s = Σ_o target_{s,o}` and `shares_{s,o} = target_{s,o}`, so the stake equals the
 * target exactly, and `networkLimit_s ≤ min(activeStake, maxNetworkLimit_s)` holds by the service row.
 */
import type { Position, Universe } from './types.js'
import type { Policy } from './policy.js'
import { type UniverseScores, herfindahl, managedPositions } from './score.js'
import { type BlockSolution, type FixedPosition, type LpBlock, type LpModel, type LpRow, type LpSolution, hasForcedRemovals, lpParts, minTurnoverBlock, missingPositions, rowAt, withTurnoverAtLeast } from './lp.js'
import { mulFloor } from './exact.js'
import { riskGroupsOf } from './tailLoss.js'
import { solveBlockFast } from './solvers/fast.js'
import { KernelWorkspace } from './solvers/kernel.js'
import { InfeasiblePolicyError, SolverError } from './errors.js'
import { pct } from './format.js'
import { roundBlock } from './round.js'
import { Scratch } from './lpArena.js'
import { blockVar99, meetVar99Block, planSecurity, positionTail, tailFigures } from './planRisk.js'
import { type PairScoreIndex, type ScoredPositionPlan, bindingOf, conflictsOf, constraintName, fixedPlan, pairScoreIndex, positionPlan, serviceReasonOf } from './planFigures.js'
import type { BindingConstraint, Plan, PlanOptions, PositionPlan } from './planTypes.js'

export * from './planTypes.js'
export { meetVar99, meetVar99Block } from './planRisk.js'
export { RISK_TOLERANCE, violations } from './round.js'
export { constraintName, pairReason, serviceReasonOf } from './planFigures.js'

/**
 * Plans the allocation with the fast solver (synchronous, pure TS).
 * @param universe state of the world
 * @param scores scoreUniverse output for the same universe and policy
 * @param policy validated policy
 * @param opts `now` (unix seconds) and optional de-risk orders
 * @returns targets per position, binding constraints and risk figures
 * @throws {InfeasiblePolicyError} when no allocation satisfies the policy for any steerable position (a position that
 * cannot be planned beside others that can is left as it is, with `error` and a warning)
 */
export function planAllocation(universe: Universe, scores: UniverseScores, policy: Policy, opts: PlanOptions): Plan {
  // Position by position: each block is built, solved, held to var99Fraction and turned into its plan before the next
  // is built, so that no block outlives its position. Blocks are independent and each is solved by the same method, so
  // this is the plan of the whole model (planFromSolution), without keeping every block until the end.
  const plan = new PlanAssembly(universe, scores, policy, opts)
  const ws = new KernelWorkspace()
  let objective = 0
  for (const { pos, part } of lpParts(universe, scores, policy, opts.derisk ? { derisk: opts.derisk } : {})) {
    if (!('nCols' in part)) {
      plan.fixed(pos, part)
      continue
    }
    let block = part
    let sol = solveBlockFast(block, {}, ws)
    if (mustRelaxTurnover(block, sol)) {
      // As relaxTurnover does for the blocks of a whole model.
      block = withTurnoverAtLeast(block, -solveBlockFast(minTurnoverBlock(block), {}, ws).objective)
      sol = solveBlockFast(block, {}, ws)
    }
    const met = meetVar99Block(block, sol, policy, ws)
    if (met !== undefined) ({ block, solution: sol } = met)
    if (sol.status === 'optimal') objective += sol.objective * block.scale
    plan.block(pos, block, sol)
  }
  return plan.finish(missingPositions(universe, policy), 'fast', objective)
}

/**
 * Blocks whose LP is infeasible while they carry forced removals (deny lists, lost eligibility, slash
 * response). The policy's hard constraints win over its pacing: for those blocks the turnover cap of
 * this run is raised to the least turnover that restores every other constraint (see relaxTurnover).
 * Infeasible blocks without forced removals are left alone: planFromSolution throws
 * InfeasiblePolicyError for them.
 */
export function blocksToRelax(lp: LpModel, solution: LpSolution): number[] {
  const out: number[] = []
  lp.blocks.forEach((b, i) => {
    if (mustRelaxTurnover(b, solution.blocks[i])) out.push(i)
  })
  return out
}

/** Whether this run's turnover cap of a block is raised (see blocksToRelax): infeasible while it carries forced removals. */
function mustRelaxTurnover(block: LpBlock, sol: BlockSolution | undefined): boolean {
  return sol?.status === 'infeasible' && hasForcedRemovals(block)
}

/**
 * The model with the turnover limit of the given blocks raised to their minimum turnover (from
 * minTurnoverBlock, solved by either solver); the raised limit is reported as a plan warning.
 */
export function relaxTurnover(lp: LpModel, blocks: number[], minTurnover: number[]): LpModel {
  const next = [...lp.blocks]
  blocks.forEach((bi, k) => {
    next[bi] = withTurnoverAtLeast(lp.blocks[bi] as LpBlock, minTurnover[k] as number)
  })
  return { ...lp, blocks: next }
}

/**
 * Turns an LP solution (from either solver) into a plan: exact bigint targets and the figures.
 * @param lp the model both solvers solved
 * @param solution the solver's answer
 */
export function planFromSolution(universe: Universe, scores: UniverseScores, policy: Policy, lp: LpModel, solution: LpSolution, opts: PlanOptions): Plan {
  const plan = new PlanAssembly(universe, scores, policy, opts)
  const blockOf = new Map(lp.blocks.map((b, i) => [b.position, i]))
  for (const pos of managedPositions(universe.positions, policy)) {
    const bi = blockOf.get(pos.id)
    if (bi === undefined)
      plan.fixed(
        pos,
        lp.fixed.find((f) => f.position === pos.id),
      )
    else plan.block(pos, lp.blocks[bi] as LpBlock, solution.blocks[bi] as BlockSolution)
  }
  return plan.finish(lp.missing, solution.solver, solution.objective)
}

/**
 * A plan put together position by position, in the order of managedPositions (planAllocation gives each block as it is
 * solved, planFromSolution the blocks of a solved model): the targets, binding constraints and tail figures of each
 * position, then the figures of the whole plan.
 */
class PlanAssembly {
  private readonly pairScores: PairScoreIndex
  private readonly groupsOf: (s: string, o: string) => string[]
  private readonly serviceReason: Map<string, string>
  /** One set of DP buffers for every position's tail (instead of four fresh arrays per position). */
  private readonly work = new Scratch((n) => new Float64Array(n))
  private readonly positions: PositionPlan[] = []
  private readonly binding: BindingConstraint[] = []
  // Warnings in the order of the plan: fixed positions, raised turnover caps, then each position's own.
  private readonly fixedWarnings: string[] = []
  private readonly raisedWarnings: string[] = []
  private readonly warnings: string[] = []
  private readonly failed: InfeasiblePolicyError[] = []
  private blocks = 0

  constructor(
    private readonly universe: Universe,
    private readonly scores: UniverseScores,
    private readonly policy: Policy,
    private readonly opts: PlanOptions,
  ) {
    this.pairScores = pairScoreIndex(scores.pairs)
    this.groupsOf = riskGroupsOf(policy)
    this.serviceReason = new Map(scores.services.map((sv) => [sv.service as string, serviceReasonOf(sv)]))
  }

  /** A managed position without a block: left as it is (not steerable, or no allocatable stake). */
  fixed(pos: Position, fixed: FixedPosition | undefined): void {
    if (fixed !== undefined) this.fixedWarnings.push(`position ${fixed.position} is left as it is: ${fixed.reason}`)
    this.add(fixedPlan(pos, this.pairScores, this.opts.now, fixed?.forced ?? []), this.policy.riskBudget)
  }

  /** A managed position with its block and the solver's answer for it. */
  block(pos: Position, block: LpBlock, sol: BlockSolution): void {
    const { policy, opts, pairScores } = this
    this.blocks++
    const tr = block.rows[block.turnoverRow]
    const cap = mulFloor(block.activeStake, policy.turnoverCapPerRun)
    if (tr !== undefined && tr.limitWei > cap)
      this.raisedWarnings.push(
        `position ${block.position}: turnover cap raised from ${pct(policy.turnoverCapPerRun)} to ${pct(tr.limit)} for this run: forced removals (deny list, eligibility, slash response) leave an allocation that breaks other constraints unless more stake moves`,
      )
    const riskBudget = block.rows.find((r) => r.kind === 'risk')?.fraction ?? policy.riskBudget
    if (sol.status !== 'optimal') {
      // Taking over (docs/policy.md): an allocation that breaks the policy by more than the turnover cap can repair
      // moves toward compliance as far as the cap allows instead of failing; only a policy nothing can meet throws.
      const step = hasForcedRemovals(block) ? undefined : takeoverStep(block, policy)
      if (step === undefined) {
        // One position never blocks another: it is left as it is and reported; only when no position can be planned
        // does the plan fail (finish).
        const error = new InfeasiblePolicyError({ position: pos.id, conflicts: conflictsOf(block, sol) })
        this.failed.push(error)
        const fp = fixedPlan(pos, pairScores, opts.now, [])
        fp.plan.error = { name: error.name, message: error.message }
        this.add(fp, riskBudget)
        this.warnings.push(`position ${pos.id} is left as it is this run: ${error.shortMessage}`)
        return
      }
      const broken = [...new Set(conflictsOf(block, sol).map((c) => c.constraint))].filter((c) => c !== 'turnoverCapPerRun')
      const sp = positionPlan(pos, block, step.t, pairScores, opts.now)
      sp.plan.takeover = { broken, moved: step.moved, toCompliance: step.toCompliance, runsLeft: step.runsLeft }
      this.add(sp, riskBudget)
      const A = Number(block.activeStake)
      this.warnings.push(
        `position ${pos.id}: taking over an allocation that breaks ${broken.join(', ') || 'the policy'}: this run moves ${pct(Number(step.moved) / A)} of stake toward compliance (turnoverCapPerRun ${pct(policy.turnoverCapPerRun)}; ${pct(Number(step.toCompliance) / A)} to go in all), ${step.runsLeft === 0 ? 'compliant after this run' : `about ${step.runsLeft} more run${step.runsLeft === 1 ? '' : 's'} at this pace`}`,
      )
      return
    }
    const targets = roundBlock(block, sol, policy)
    const sp = positionPlan(pos, block, targets, pairScores, opts.now)
    const pp = sp.plan
    // The last run of a take-over: the current allocation still breaks the policy and what is left fits this run's
    // turnover. It is reported (runsLeft 0) and decided like the runs before it, so that a repair that costs yield is
    // not skipped as below the gain threshold or held by the cooldown.
    const broken = hasForcedRemovals(block) ? [] : brokenAtStart(block)
    if (broken.length > 0) {
      pp.takeover = { broken, moved: pp.turnover, toCompliance: pp.turnover, runsLeft: 0 }
      const A = Number(block.activeStake)
      this.warnings.push(
        `position ${pos.id}: taking over an allocation that breaks ${broken.join(', ')}: this run moves ${pct(Number(pp.turnover) / A)} of stake toward compliance (turnoverCapPerRun ${pct(policy.turnoverCapPerRun)}), compliant after this run`,
      )
    }
    this.add(sp, riskBudget)
    this.binding.push(...bindingOf(block, sol, targets))
    const tight = block.riskBudgetTightened
    if (tight !== undefined) {
      const A = block.activeStake
      const v99 = blockVar99(block, targets)
      const vf = A > 0n ? Number(v99) / Number(A) : 0
      const how = `risk budget tightened from ${pct(tight.from)}/yr to ${pct(tight.to)}/yr so that the one-year VaR at 99 % (${pct(vf)} of stake)`
      this.binding.push({
        position: block.position,
        constraint: 'var99Fraction',
        subject: '',
        limit: policy.var99Fraction,
        value: vf,
        shadowPrice: 0,
        message: tight.met ? `position: var99Fraction binding: ${how} stays within ${pct(policy.var99Fraction)}` : `position: var99Fraction not met this run: ${how} is as low as the turnover cap allows, above ${pct(policy.var99Fraction)}`,
      })
      if (!tight.met)
        this.warnings.push(`position ${block.position}: one-year VaR at 99 % ${pct(vf)} of stake stays above var99Fraction ${pct(policy.var99Fraction)} this run (turnover cap); the risk budget is at its lowest feasible ${pct(tight.to)}/yr`)
    }
  }

  /** A position's plan with its tail figures (targets and current, next to the policy limits) and service reasons. */
  private add({ plan: p, scores }: ScoredPositionPlan, riskBudget: number): void {
    p.tail = positionTail(p, scores, this.groupsOf, this.policy, riskBudget, this.work)
    for (const nl of p.networkLimits) nl.reason = this.serviceReason.get(nl.service) ?? ''
    this.positions.push(p)
  }

  /**
   * The plan and its figures.
   * @throws {InfeasiblePolicyError} when every position with a block failed
   */
  finish(missing: readonly string[], solver: LpSolution['solver'], lpObjective: number): Plan {
    const { positions, policy } = this
    if (this.failed.length > 0 && this.failed.length === this.blocks) throw this.failed[0]
    const warnings = [...missing.map((m) => `managed position ${m} is not in the universe`), ...this.fixedWarnings, ...this.raisedWarnings, ...this.warnings]
    const objective = positions.reduce((a, p) => a + p.objectivePerYear, 0)
    const current = positions.reduce((a, p) => a + p.currentObjectivePerYear, 0)
    const totalA = positions.reduce((a, p) => a + p.activeStake, 0n)
    const byOpTarget = new Map<string, bigint>()
    const byOpCurrent = new Map<string, bigint>()
    for (const p of positions)
      for (const t of p.targets) {
        byOpTarget.set(t.operator, (byOpTarget.get(t.operator) ?? 0n) + t.stake)
        byOpCurrent.set(t.operator, (byOpCurrent.get(t.operator) ?? 0n) + t.current)
      }
    const el = positions.reduce((a, p) => a + p.expectedAnnualLoss, 0)
    return {
      solver,
      objectivePerYear: objective,
      currentObjectivePerYear: current,
      lpObjectivePerYear: lpObjective,
      now: this.opts.now,
      positions,
      binding: this.binding,
      riskFigures: {
        expectedAnnualLoss: el,
        currentExpectedAnnualLoss: positions.reduce((a, p) => a + p.currentExpectedAnnualLoss, 0),
        expectedLossFraction: totalA > 0n ? el / Number(totalA) : 0,
        maxVaultCompoundedSlashProbability: Math.max(0, ...positions.map((p) => p.compoundedSlashProbability)),
        maxOperatorCompoundedSlashProbability: Math.max(0, ...positions.map((p) => p.maxOperatorCompoundedSlashProbability)),
        herfindahl: herfindahl([...byOpTarget.values()]),
        currentHerfindahl: herfindahl([...byOpCurrent.values()]),
        maxLeverage: Math.max(0, ...positions.map((p) => p.leverage)),
        ...tailFigures(positions, policy),
        security: planSecurity(this.universe, this.scores, policy, positions),
        totalActiveStake: totalA,
        totalInFlightStake: positions.reduce((a, p) => a + p.inFlightStake, 0n),
      },
      warnings,
    }
  }
}

/**
 * One run toward compliance for a block whose current allocation breaks the policy by more than the turnover cap can
 * repair (docs/policy.md, "Taking over a vault"). Phase 1 finds the least turnover T that restores every constraint;
 * phase 2 plans the best compliant allocation y within T (a feasible, verified plan). This run moves along the segment
 * from the current allocation x0 to y by the fraction λ = cap / T: every constraint row is linear, so its violation
 * shrinks by the factor (1 − λ) at least — never further from compliance — and compliance is reached in ⌈T / cap⌉
 * runs. Exact in bigint: decreases are rounded up and increases down (every non-negative row stays within its
 * interpolated value), with a margin of one wei per pair kept off the cap so that the turnover holds.
 * @returns the targets (per pair of the block), or undefined when no allocation meets the policy at all or the cap is 0
 */
function takeoverStep(block: LpBlock, policy: Policy): { t: bigint[]; moved: bigint; toCompliance: bigint; runsLeft: number } | undefined {
  const min = solveBlockFast(minTurnoverBlock(block))
  if (min.status !== 'optimal') return undefined
  const relaxed = withTurnoverAtLeast(block, -min.objective)
  const best = solveBlockFast(relaxed)
  if (best.status !== 'optimal') return undefined
  let y: bigint[]
  try {
    y = roundBlock(relaxed, best, policy)
  } catch (e) {
    if (e instanceof SolverError) return undefined
    throw e
  }
  const x0 = block.pairs.x0Wei
  const d = y.map((v, j) => v - (x0[j] as bigint))
  const total = d.reduce((a, v) => a + (v < 0n ? -v : v), 0n)
  const n = BigInt(block.pairs.length)
  const cap = (block.rows[block.turnoverRow] as LpRow).limitWei
  const budget = cap > n ? cap - n : 0n
  if (budget === 0n) return undefined
  if (total <= budget) return { t: y, moved: total, toCompliance: total, runsLeft: 0 }
  const t = d.map((v, j) => (x0[j] as bigint) + (v >= 0n ? (v * budget) / total : -((-v * budget + total - 1n) / total)))
  const moved = t.reduce((a, v, j) => a + (v > (x0[j] as bigint) ? v - (x0[j] as bigint) : (x0[j] as bigint) - v), 0n)
  const left = total - moved
  return { t, moved, toCompliance: total, runsLeft: Number((left + budget - 1n) / budget) }
}

/**
 * Constraints (policy field names) the block's start point breaks: rows other than the turnover row whose slack at
 * the current allocation is negative, each name once, in row order (the names conflictsOf gives those rows, without
 * its sentences: every block is asked).
 */
function brokenAtStart(block: LpBlock): string[] {
  const names = new Set<string>()
  for (let r = 0; r < block.nRows; r++) if (r !== block.turnoverRow && (block.rowRhs[r] as number) < -1e-12) names.add(constraintName(rowAt(block, r)))
  return [...names]
}
