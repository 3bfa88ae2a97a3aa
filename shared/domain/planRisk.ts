/**
 * The risk terms of a plan (docs/risk.md): var99Fraction met after the LP by bisecting a block's risk budget, the tail
 * figures (MaxLoss, VaR, ES) of each position and of the plan, and the security of the network before and after it.
 */
import type { Policy } from './policy.js'
import type { PairScore, UniverseScores } from './score.js'
import { type BlockSolution, type LpBlock, type LpModel, type LpRow, type LpSolution, withRow } from './lpModel.js'
import { mulFloor } from './exact.js'
import type { Scratch } from './lpArena.js'
import { type Exposure, TAIL_GRID, lossFactor, tailLoss, tailLossUpper } from './tailLoss.js'
import { securityCheck, universeStakes } from './security.js'
import { solveBlockFast } from './solvers/fast.js'
import type { KernelWorkspace } from './solvers/kernel.js'
import { SolverError } from './errors.js'
import { roundBlock } from './round.js'
import type { Universe } from './types.js'
import type { PlanRiskFigures, PlanSecurityFigures, PositionPlan, PositionTail, TargetStake } from './planTypes.js'

/** Bisection steps on a position's risk budget when meeting var99Fraction (budget resolution 2^−20 of the policy value). */
const VAR_BISECTION_STEPS = 20

/** Tail-loss exposures of stakes on pairs (docs/risk.md §2): loss min(1, sev·h)·stake, risk groups correlated. */
function exposure(stake: bigint, probability: number, factor: number, groups: readonly string[]): Exposure {
  return { probability, loss: mulFloor(stake, factor), groups }
}

/** Tail mass the Markov shortcut of {@link blockVar99} allows above its bound: below 1 − 0.99 by a margin that covers the DP's float error. */
const MARKOV_TAIL = 0.0099

/**
 * One-year VaR↑ at 99 % of bigint targets of a block. With `limit`, the DP is skipped when the VaR is provably within
 * it, and an upper bound of the VaR that is ≤ limit is returned instead:
 * - the loss of every pair slashing at once, when that is within the limit;
 * - Markov's bound on the DP's rounded-up losses L↑ (tailLoss.ts): P(L↑ ≥ b) ≤ E[L↑] / b, so with
 *   b = E'/0.0099, where E' = Σ_j min(1, p_j)·(L_j + δ) ≥ E[L↑] (δ the DP's grid step, bounded from above by
 *   ⌈ΣL / TAIL_GRID⌉ over every pair), at least 99.01 % of the mass lies below b and the VaR↑ cell is below b.
 */
export function blockVar99(block: LpBlock, t: bigint[], limit?: bigint): bigint {
  if (limit !== undefined) {
    let all = 0n
    // The pairs holding stake (a few of the block's) and their losses, in pair order.
    const held: number[] = []
    const losses: bigint[] = []
    for (let j = 0; j < t.length; j++) {
      const tj = t[j] as bigint
      if (!(tj > 0n)) continue
      const l = mulFloor(tj, block.pairs.lossFactor[j] as number)
      held.push(j)
      losses.push(l)
      all += l
    }
    if (all <= limit) return all
    const step = Number((all + BigInt(TAIL_GRID) - 1n) / BigInt(TAIL_GRID))
    let e = 0
    for (let k = 0; k < held.length; k++) {
      const l = losses[k] as bigint
      const p = block.pairs.probability[held[k] as number] as number
      if (l > 0n && p > 0) e += Math.min(1, p) * (Number(l) + step)
    }
    // Float slack on both sides (E' and the comparison): 1e-9 relative, far above the rounding of the sums.
    const b = (e * (1 + 1e-9)) / MARKOV_TAIL
    if (b * (1 + 1e-9) <= Number(limit)) {
      const v = BigInt(Math.ceil(b))
      return v < limit ? v : limit
    }
  }
  const { probability, lossFactor, groups } = block.pairs
  const exposures = Array.from({ length: block.pairs.length }, (_, j) =>
    exposure(
      t[j] as bigint,
      probability[j] as number,
      lossFactor[j] as number,
      (groups[j] as number[]).map((g) => (block.groups[g] as { group: string }).group),
    ),
  )
  return tailLossUpper({ exposures, cap: block.activeStake }).var99
}

/** The block with its risk-budget row set to `budget` (fraction of stake per year). */
function withRiskBudget(block: LpBlock, r: number, budget: number): LpBlock {
  const row = block.rows[r] as LpRow
  const limitWei = mulFloor(block.activeStake, budget)
  const limit = Number(limitWei) / block.scale
  return withRow(block, r, { ...row, limit, limitWei, fraction: budget, rhs: row.rhs + (limit - row.limit) })
}

/**
 * VaR is not linear in the allocation, so `var99Fraction` is met after the LP (docs/risk.md §2): for every block whose
 * rounded plan has VaR↑99 above `var99Fraction × stake`, the risk budget is bisected down (see meetVar99Block).
 * @returns the model and solution to plan from (unchanged when var99Fraction is 1 or already met)
 */
export function meetVar99(lp: LpModel, solution: LpSolution, policy: Policy): { lp: LpModel; solution: LpSolution } {
  if (!(policy.var99Fraction < 1)) return { lp, solution }
  const blocks = [...lp.blocks]
  const sols = [...solution.blocks]
  let changed = false
  blocks.forEach((b, i) => {
    const met = meetVar99Block(b, sols[i] as BlockSolution, policy)
    if (met === undefined) return
    blocks[i] = met.block
    sols[i] = met.solution
    changed = true
  })
  if (!changed) return { lp, solution }
  let objective = 0
  sols.forEach((s, i) => {
    if (s.status === 'optimal') objective += s.objective * (blocks[i] as LpBlock).scale
  })
  return { lp: { ...lp, blocks }, solution: { ...solution, blocks: sols, objective } }
}

/**
 * var99Fraction for one block: when its rounded plan has VaR↑99 above `var99Fraction × stake`, the risk budget is
 * bisected down (from the policy value) to the largest budget whose plan meets it. When no feasible budget meets it this
 * run, the block keeps the plan of the smallest feasible budget (the least tail it can reach within the turnover cap)
 * and `riskBudgetTightened.met` is false.
 * @param ws solver work arrays to reuse (a plan shares one across its blocks)
 * @returns the tightened block and its solution, or undefined when the block is left as it is
 */
export function meetVar99Block(b: LpBlock, sol0: BlockSolution, policy: Policy, ws?: KernelWorkspace): { block: LpBlock; solution: BlockSolution } | undefined {
  if (!(policy.var99Fraction < 1)) return undefined
  const r = b.rows.findIndex((x) => x.kind === 'risk')
  if (sol0.status !== 'optimal' || r < 0) return undefined
  const limit = mulFloor(b.activeStake, policy.var99Fraction)
  const solve = (budget: number) => {
    const blk = withRiskBudget(b, r, budget)
    return { blk, s: solveBlockFast(blk, {}, ws) }
  }
  const meets = (blk: LpBlock, s: BlockSolution) => {
    if (s.status !== 'optimal') return false
    try {
      return blockVar99(blk, roundBlock(blk, s, policy), limit) <= limit
    } catch (e) {
      if (e instanceof SolverError) return false
      throw e
    }
  }
  if (meets(b, sol0)) return undefined
  const from = (b.rows[r] as LpRow).fraction ?? policy.riskBudget
  // Smallest feasible budget first (feasibility is monotone in the budget), then the largest one that meets the cap.
  let lo = 0
  let hi = from
  let low = solve(0)
  if (low.s.status !== 'optimal') {
    for (let k = 0; k < VAR_BISECTION_STEPS; k++) {
      const mid = (lo + hi) / 2
      const c = solve(mid)
      if (c.s.status === 'optimal') [hi, low] = [mid, c]
      else lo = mid
    }
    if (low.s.status !== 'optimal') low = { blk: withRiskBudget(b, r, from), s: sol0 }
    lo = hi
    hi = from
  }
  let best = low
  const met = meets(low.blk, low.s)
  if (met)
    for (let k = 0; k < VAR_BISECTION_STEPS; k++) {
      const mid = (lo + hi) / 2
      const c = solve(mid)
      if (meets(c.blk, c.s)) [lo, best] = [mid, c]
      else hi = mid
    }
  const to = (best.blk.rows[r] as LpRow).fraction ?? from
  return { block: { ...best.blk, riskBudgetTightened: { from, to, met } }, solution: best.s }
}

/**
 * Tail figures of a position's targets and current allocation (docs/risk.md §2).
 * @param scores the score of each target of `p` (same order; undefined: not scored, no exposure)
 */
export function positionTail(p: PositionPlan, scores: readonly (PairScore | undefined)[], groupsOf: (s: string, o: string) => string[], policy: Policy, riskBudget: number, work?: Scratch<Float64Array>): PositionTail {
  const plan: Exposure[] = []
  const now: Exposure[] = []
  for (let i = 0; i < p.targets.length; i++) {
    const t = p.targets[i] as TargetStake
    const ps = scores[i]
    if (ps === undefined) continue
    const f = lossFactor(ps.severity, ps.contractFactor)
    const g = groupsOf(t.service, t.operator)
    if (t.stake > 0n) plan.push(exposure(t.stake, ps.slashProbabilityPerYear, f, g))
    if (t.current > 0n) now.push(exposure(t.current, ps.slashProbabilityPerYear, f, g))
  }
  const A = p.availableStake
  const planned = tailLoss({ exposures: plan, cap: A, ...(work ? { work } : {}) })
  // The current allocation's figures are shown without a bound: the upper run alone.
  const current = tailLossUpper({ exposures: now, cap: A, ...(work ? { work } : {}) })
  return {
    maxLoss: planned.maxLoss,
    currentMaxLoss: current.maxLoss,
    maxLossLimit: mulFloor(A, policy.maxLossFraction),
    var95: planned.var95,
    var99: planned.var99,
    es95: planned.es95,
    es99: planned.es99,
    var95Bound: planned.var95Bound,
    var99Bound: planned.var99Bound,
    currentVar99: current.var99,
    currentEs99: current.es99,
    var99Limit: mulFloor(A, policy.var99Fraction),
    riskBudget,
  }
}

/** Largest tail fractions over positions, with the policy limits. */
export function tailFigures(positions: PositionPlan[], policy: Policy): Partial<PlanRiskFigures> {
  const frac = (p: PositionPlan, v: bigint | number) => (p.availableStake > 0n ? Number(v) / Number(p.availableStake) : 0)
  const max = (f: (p: PositionPlan, t: PositionTail) => number) => Math.max(0, ...positions.map((p) => (p.tail ? f(p, p.tail) : 0)))
  return {
    maxLossFraction: max((p, t) => frac(p, t.maxLoss)),
    currentMaxLossFraction: max((p, t) => frac(p, t.currentMaxLoss)),
    var99Fraction: max((p, t) => frac(p, t.var99)),
    currentVar99Fraction: max((p, t) => frac(p, t.currentVar99)),
    es99Fraction: max((p, t) => frac(p, t.es99)),
    maxLossLimit: policy.maxLossFraction,
    var99Limit: policy.var99Fraction,
  }
}

/** Security now (from the scores) and with the planned allocation in place of our managed positions' current one. */
export function planSecurity(universe: Universe, scores: UniverseScores, policy: Policy, positions: PositionPlan[]): PlanSecurityFigures | undefined {
  const sec = scores.security
  if (sec === undefined) return undefined
  const planned = new Set(positions.map((p) => p.position))
  const stakes = universeStakes({ positions: universe.positions.filter((p) => !planned.has(p.id)), externalStake: universe.externalStake ?? [] })
  for (const p of positions) for (const t of p.targets) if (t.stake > 0n) stakes.push({ service: t.service, operator: t.operator, stake: t.stake })
  const after = securityCheck({
    services: sec.services.map((s) => ({ service: s.service, label: s.label, profitFromCorruption: s.profitFromCorruption, attackThreshold: s.attackThreshold })),
    stakes,
    minSecuritySlack: policy.minSecuritySlack,
    shockFraction: policy.shockFraction,
  })
  return {
    minSlack: after.network.minSlack,
    currentMinSlack: sec.network.minSlack,
    cascadeBound: after.network.cascadeBound,
    currentCascadeBound: sec.network.cascadeBound,
    requiredSlack: policy.minSecuritySlack,
    shock: policy.shockFraction,
    insecureServices: sec.services.filter((s) => s.status === 'insecure').map((s) => s.service),
    unknownServices: sec.services.filter((s) => s.status === 'unknown').map((s) => s.service),
    heldOperators: sec.operators.filter((o) => o.status === 'below-slack').map((o) => o.operator),
  }
}
