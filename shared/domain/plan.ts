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
import type { Address, DelegatorKind, Position, ServiceId, Universe } from './types.js'
import type { Policy } from './policy.js'
import { type PairScore, type ServiceScore, type UniverseScores, herfindahl, managedPositions, pairKey } from './score.js'
import {
  allocatableStake,
  type BlockSolution,
  type DeriskRequest,
  type ForcedMove,
  type LpBlock,
  type LpModel,
  type LpPair,
  type LpRow,
  type LpSolution,
  buildLp,
  COL_T,
  floatToRational,
  hasForcedRemovals,
  minTurnoverBlock,
  mulFloor,
  pairValues,
  withTurnoverAtLeast,
} from './lp.js'
import { type Exposure, type TailLossReturnType, lossFactor, riskGroupsOf, tailLoss } from './tailLoss.js'
import { securityCheck, universeStakes } from './security.js'
import { solveFast } from './solvers/fast.js'
import { type ConflictingConstraint, InfeasiblePolicyError, SolverError } from './errors.js'
import { cmp, num, pct, short } from './format.js'

/** One (service, operator) target of a position. */
export interface TargetStake {
  service: ServiceId
  operator: Address
  /** Planned stake, wei. */
  stake: bigint
  /** Stake on chain now, wei. */
  current: bigint
  /** Net value per unit of stake per year (LP objective coefficient); 0 when the pair has no score. */
  netValuePerYear: number
  /** The pair's score terms in one sentence (empty when the pair has no score). */
  reason: string
}

/** Network limit to set per service of a position (Σ of the service's targets). */
export interface NetworkLimitTarget {
  service: ServiceId
  limit: bigint
  /** Limit set on chain now. */
  current: bigint
  /** The service's score terms in one sentence (empty when the service has no score). */
  reason: string
}

/** Stake removed from a pair that stays slashable until one epoch has passed. */
export interface ResidualExposure {
  service: ServiceId
  operator: Address
  stake: bigint
  /** Unix seconds: now + epoch duration. */
  until: bigint
}

/** A policy constraint that holds with equality at the optimum (or has a positive shadow price). */
export interface BindingConstraint {
  position: string
  /** Policy field (or chain limit) behind the row: caps.perService, maxNetworkLimit, activeStake, caps.perOperator, caps.perRiskGroup, leverageCap, riskBudget, turnoverCapPerRun, minOperatorsPerService. */
  constraint: string
  /** Service id, operator address, risk group, or `service|operator`; '' for position-wide rows. */
  subject: string
  /** Limit as a fraction of active stake (for riskBudget: loss fraction per year). */
  limit: number
  /** Planned value as a fraction of active stake. */
  value: number
  /** Objective gain per year per unit of normalised stake if the limit were relaxed (LP dual). */
  shadowPrice: number
  /** The same in words, e.g. `operator 0xab…cd: caps.perOperator binding at 20 %`. */
  message: string
}

/** The plan of one position. */
export interface PositionPlan {
  position: string
  label: string
  vault: Address
  delegator: Address
  delegatorKind: DelegatorKind
  /** Active stake of the position, in-flight stake included. */
  activeStake: bigint
  /** Part of `activeStake` in flight (EigenLayer withdrawals waiting out the delay): earns nothing, not allocatable. */
  inFlightStake: bigint
  /** What the plan allocates: `activeStake − inFlightStake`; caps and leverage are fractions of it. */
  availableStake: bigint
  /** False for delegators nothing can be set on (targets = current allocation). */
  steerable: boolean
  /** Sorted by (service, operator); includes zero targets for pairs that hold stake, shares or a limit now. */
  targets: TargetStake[]
  /** One per service of the position, sorted. */
  networkLimits: NetworkLimitTarget[]
  /** Removals the policy forces (deny lists, eligibility, slash response), not limited by turnover. */
  forced: ForcedMove[]
  objectivePerYear: number
  currentObjectivePerYear: number
  /** Σ p·sev·h·stake of the targets, wei per year. */
  expectedAnnualLoss: number
  currentExpectedAnnualLoss: number
  /** 1 − Π(1 − p) over every pair holding stake: probability per year that the vault is slashed at least once. */
  compoundedSlashProbability: number
  /** Largest per-operator compounded slash probability over the services it secures for this vault. */
  maxOperatorCompoundedSlashProbability: number
  herfindahl: number
  currentHerfindahl: number
  /** Σ_s networkLimit_s / availableStake. */
  leverage: number
  currentLeverage: number
  /** Σ |target − current| over pairs the LP decides (forced moves excluded), wei. */
  turnover: bigint
  turnoverLimit: bigint
  residualExposure: ResidualExposure[]
  /** Set when this position could not be planned (InfeasiblePolicyError): it is left as it is, the others are planned. */
  error?: { name: string; message: string }
  /** Set when the current allocation breaks the policy by more than one run's turnover can repair (docs/policy.md, taking over a vault). */
  takeover?: TakeoverProgress
  /** Tail loss of the targets and of the current allocation (docs/risk.md §2); absent in runs recorded before it existed. */
  tail?: PositionTail
}

/** One run of taking over an allocation that breaks the policy: how far it moves and how far compliance still is. */
export interface TakeoverProgress {
  /** Constraints the current allocation breaks (policy field names). */
  broken: string[]
  /** Turnover this run, wei (within turnoverCapPerRun). */
  moved: bigint
  /** Least turnover that restores the policy from the current allocation, wei. */
  toCompliance: bigint
  /** Runs still needed after this one at this pace (0: this run reaches compliance). */
  runsLeft: number
}

/** Tail-loss figures of a position, wei, each next to its policy limit (fractions are of `availableStake`). */
export interface PositionTail extends Pick<TailLossReturnType, 'maxLoss' | 'var95' | 'var99' | 'es95' | 'es99' | 'var95Bound' | 'var99Bound'> {
  currentMaxLoss: bigint
  /** maxLossFraction × available stake. */
  maxLossLimit: bigint
  currentVar99: bigint
  currentEs99: number
  /** var99Fraction × available stake. */
  var99Limit: bigint
  /** Risk budget the plan was made with (below policy riskBudget when tightened for var99Fraction). */
  riskBudget: number
}

/** Security of the network before and after the plan (docs/risk.md §1). */
export interface PlanSecurityFigures {
  /** min_v γ_v with the planned allocation / now (null = unbounded). */
  minSlack: number | null
  currentMinSlack: number | null
  /** (1 + 1/min γ)·ψ planned / now (null = unbounded). */
  cascadeBound: number | null
  currentCascadeBound: number | null
  requiredSlack: number
  shock: number
  /** Services with ρ < 1 (exited) and with no π (unknown), now. */
  insecureServices: string[]
  unknownServices: string[]
  /** Operators whose γ is below minSecuritySlack now (no new stake). */
  heldOperators: string[]
}

/** Risk figures of the whole plan (managed positions together). */
export interface PlanRiskFigures {
  expectedAnnualLoss: number
  currentExpectedAnnualLoss: number
  /** expectedAnnualLoss ÷ Σ active stake. */
  expectedLossFraction: number
  /** Max over positions of the vault compounded slash probability. */
  maxVaultCompoundedSlashProbability: number
  maxOperatorCompoundedSlashProbability: number
  /** Herfindahl index of all targets across operators. */
  herfindahl: number
  currentHerfindahl: number
  maxLeverage: number
  /** Largest MaxLoss / VaR↑99 / ES↑99 over positions as a fraction of available stake, with the policy limits (absent in older runs). */
  maxLossFraction?: number
  currentMaxLossFraction?: number
  var99Fraction?: number
  currentVar99Fraction?: number
  es99Fraction?: number
  maxLossLimit?: number
  var99Limit?: number
  /** Cryptoeconomic security before and after the plan (absent in older runs). */
  security?: PlanSecurityFigures
  totalActiveStake: bigint
  /** Σ in-flight stake of the positions (part of totalActiveStake that earns nothing this run). */
  totalInFlightStake: bigint
}

/** Output of planning. */
export interface Plan {
  solver: 'fast' | 'highs'
  /** Net expected yield of the targets, collateral wei per year (float). */
  objectivePerYear: number
  /** The same for the current allocation. */
  currentObjectivePerYear: number
  /** Optimum of the LP itself (before bigint rounding), wei per year. */
  lpObjectivePerYear: number
  now: bigint
  positions: PositionPlan[]
  binding: BindingConstraint[]
  riskFigures: PlanRiskFigures
  /** Things a person should know (missing positions, fixed positions). */
  warnings: string[]
}

/** Options of {@link planAllocation}. */
export interface PlanOptions {
  now: bigint
  /** Slash response / de-risk orders, applied as forced moves. */
  derisk?: DeriskRequest[]
}

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
  const lp = buildLp(universe, scores, policy, opts.derisk ? { derisk: opts.derisk } : {})
  const solution = solveFast(lp)
  const relax = blocksToRelax(lp, solution)
  if (relax.length === 0) {
    const met = meetVar99(lp, solution, policy)
    return planFromSolution(universe, scores, policy, met.lp, met.solution, opts)
  }
  const minTurnover = relax.map((i) => -(solveFast({ blocks: [minTurnoverBlock(lp.blocks[i] as LpBlock)], fixed: [], missing: [] }).blocks[0] as BlockSolution).objective)
  const relaxed = relaxTurnover(lp, relax, minTurnover)
  const met = meetVar99(relaxed, solveFast(relaxed), policy)
  return planFromSolution(universe, scores, policy, met.lp, met.solution, opts)
}

/** Bisection steps on a position's risk budget when meeting var99Fraction (budget resolution 2^−20 of the policy value). */
const VAR_BISECTION_STEPS = 20

/** Tail-loss exposures of stakes on pairs (docs/risk.md §2): loss min(1, sev·h)·stake, risk groups correlated. */
function exposure(stake: bigint, probability: number, factor: number, groups: readonly string[]): Exposure {
  return { probability, loss: mulFloor(stake, factor), groups }
}

/**
 * One-year VaR↑ at 99 % of bigint targets of a block. With `limit`: when the loss of every pair slashing at once is
 * within it, that loss (an upper bound of the VaR) is returned without running the DP.
 */
function blockVar99(block: LpBlock, t: bigint[], limit?: bigint): bigint {
  // VaR never exceeds the loss of every pair slashing at once: when that is within the limit, no DP is needed.
  if (limit !== undefined) {
    let all = 0n
    block.pairs.forEach((p, j) => {
      if ((t[j] as bigint) > 0n) all += mulFloor(t[j] as bigint, p.lossFactor)
    })
    if (all <= limit) return all
  }
  const exposures = block.pairs.map((p, j) =>
    exposure(
      t[j] as bigint,
      p.probability,
      p.lossFactor,
      p.groups.map((g) => (block.groups[g] as { group: string }).group),
    ),
  )
  return tailLoss({ exposures, cap: block.activeStake }).var99
}

/** The block with its risk-budget row set to `budget` (fraction of stake per year). */
function withRiskBudget(block: LpBlock, r: number, budget: number): LpBlock {
  const row = block.rows[r] as LpRow
  const limitWei = mulFloor(block.activeStake, budget)
  const limit = Number(limitWei) / block.scale
  const rows = block.rows.map((x, i) => (i === r ? { ...x, limit, limitWei, fraction: budget, rhs: row.rhs + (limit - row.limit) } : x))
  return { ...block, rows }
}

/**
 * VaR is not linear in the allocation, so `var99Fraction` is met after the LP (docs/risk.md §2): for every block whose
 * rounded plan has VaR↑99 above `var99Fraction × stake`, the risk budget is bisected down (from the policy value) to the
 * largest budget whose plan meets it. When no feasible budget meets it this run, the block keeps the plan of the
 * smallest feasible budget (the least tail it can reach within the turnover cap) and `riskBudgetTightened.met` is false.
 * @returns the model and solution to plan from (unchanged when var99Fraction is 1 or already met)
 */
export function meetVar99(lp: LpModel, solution: LpSolution, policy: Policy): { lp: LpModel; solution: LpSolution } {
  if (!(policy.var99Fraction < 1)) return { lp, solution }
  const blocks = [...lp.blocks]
  const sols = [...solution.blocks]
  let changed = false
  blocks.forEach((b, i) => {
    const sol0 = sols[i]
    const r = b.rows.findIndex((x) => x.kind === 'risk')
    if (sol0?.status !== 'optimal' || r < 0) return
    const limit = mulFloor(b.activeStake, policy.var99Fraction)
    const solve = (budget: number) => {
      const blk = withRiskBudget(b, r, budget)
      const s = solveFast({ blocks: [blk], fixed: [], missing: [] }).blocks[0] as BlockSolution
      return { blk, s }
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
    if (meets(b, sol0)) return
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
    blocks[i] = { ...best.blk, riskBudgetTightened: { from, to, met } }
    sols[i] = best.s
    changed = true
  })
  if (!changed) return { lp, solution }
  return {
    lp: { ...lp, blocks },
    solution: { ...solution, blocks: sols, objective: sols.reduce((a, s, i) => a + s.objective * (blocks[i] as LpBlock).scale, 0) },
  }
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
    if (solution.blocks[i]?.status === 'infeasible' && hasForcedRemovals(b)) out.push(i)
  })
  return out
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
  const pairScores = new Map<string, PairScore>()
  for (const p of scores.pairs) pairScores.set(pairKey(p.service, p.operator), p)
  const blockOf = new Map(lp.blocks.map((b, i) => [b.position, i]))
  const positions: PositionPlan[] = []
  const binding: BindingConstraint[] = []
  const warnings: string[] = []
  for (const m of lp.missing) warnings.push(`managed position ${m} is not in the universe`)
  for (const f of lp.fixed) warnings.push(`position ${f.position} is left as it is: ${f.reason}`)
  for (const b of lp.blocks) {
    const tr = b.rows[b.turnoverRow]
    const cap = mulFloor(b.activeStake, policy.turnoverCapPerRun)
    if (tr !== undefined && tr.limitWei > cap)
      warnings.push(
        `position ${b.position}: turnover cap raised from ${pct(policy.turnoverCapPerRun)} to ${pct(tr.limit)} for this run: forced removals (deny list, eligibility, slash response) leave an allocation that breaks other constraints unless more stake moves`,
      )
  }

  const failed: InfeasiblePolicyError[] = []
  for (const pos of managedPositions(universe.positions, policy)) {
    const bi = blockOf.get(pos.id)
    if (bi === undefined) {
      const fixedReason = lp.fixed.find((f) => f.position === pos.id)
      positions.push(fixedPlan(pos, pairScores, opts.now, fixedReason?.forced ?? []))
      continue
    }
    const block = lp.blocks[bi] as LpBlock
    const sol = solution.blocks[bi] as BlockSolution
    if (sol.status !== 'optimal') {
      // Taking over (docs/policy.md): an allocation that breaks the policy by more than the turnover cap can repair
      // moves toward compliance as far as the cap allows instead of failing; only a policy nothing can meet throws.
      const step = hasForcedRemovals(block) ? undefined : takeoverStep(block, policy)
      if (step === undefined) {
        // One position never blocks another: it is left as it is and reported; only when no position can be planned
        // does the plan fail (below).
        const error = new InfeasiblePolicyError({ position: pos.id, conflicts: conflictsOf(block, sol) })
        failed.push(error)
        const pp = fixedPlan(pos, pairScores, opts.now, [])
        pp.error = { name: error.name, message: error.message }
        positions.push(pp)
        warnings.push(`position ${pos.id} is left as it is this run: ${error.shortMessage}`)
        continue
      }
      const broken = [...new Set(conflictsOf(block, sol).map((c) => c.constraint))].filter((c) => c !== 'turnoverCapPerRun')
      const pp = positionPlan(pos, block, step.t, pairScores, opts.now)
      pp.takeover = { broken, moved: step.moved, toCompliance: step.toCompliance, runsLeft: step.runsLeft }
      positions.push(pp)
      const A = Number(block.activeStake)
      warnings.push(
        `position ${pos.id}: taking over an allocation that breaks ${broken.join(', ') || 'the policy'}: this run moves ${pct(Number(step.moved) / A)} of stake toward compliance (turnoverCapPerRun ${pct(policy.turnoverCapPerRun)}; ${pct(Number(step.toCompliance) / A)} to go in all), ${step.runsLeft === 0 ? 'compliant after this run' : `about ${step.runsLeft} more run${step.runsLeft === 1 ? '' : 's'} at this pace`}`,
      )
      continue
    }
    const targets = roundBlock(block, sol, policy)
    const pp = positionPlan(pos, block, targets, pairScores, opts.now)
    positions.push(pp)
    // The last run of a take-over: the current allocation still breaks the policy and what is left fits this run's
    // turnover. It is reported (runsLeft 0) and decided like the runs before it, so that a repair that costs yield is
    // not skipped as below the gain threshold or held by the cooldown.
    const broken = hasForcedRemovals(block) ? [] : brokenAtStart(block)
    if (broken.length > 0) {
      pp.takeover = { broken, moved: pp.turnover, toCompliance: pp.turnover, runsLeft: 0 }
      const A = Number(block.activeStake)
      warnings.push(
        `position ${pos.id}: taking over an allocation that breaks ${broken.join(', ')}: this run moves ${pct(Number(pp.turnover) / A)} of stake toward compliance (turnoverCapPerRun ${pct(policy.turnoverCapPerRun)}), compliant after this run`,
      )
    }
    binding.push(...bindingOf(block, sol, targets))
    const tight = block.riskBudgetTightened
    if (tight !== undefined) {
      const A = block.activeStake
      const v99 = blockVar99(block, targets)
      const vf = A > 0n ? Number(v99) / Number(A) : 0
      const how = `risk budget tightened from ${pct(tight.from)}/yr to ${pct(tight.to)}/yr so that the one-year VaR at 99 % (${pct(vf)} of stake)`
      binding.push({
        position: block.position,
        constraint: 'var99Fraction',
        subject: '',
        limit: policy.var99Fraction,
        value: vf,
        shadowPrice: 0,
        message: tight.met ? `position: var99Fraction binding: ${how} stays within ${pct(policy.var99Fraction)}` : `position: var99Fraction not met this run: ${how} is as low as the turnover cap allows, above ${pct(policy.var99Fraction)}`,
      })
      if (!tight.met)
        warnings.push(`position ${block.position}: one-year VaR at 99 % ${pct(vf)} of stake stays above var99Fraction ${pct(policy.var99Fraction)} this run (turnover cap); the risk budget is at its lowest feasible ${pct(tight.to)}/yr`)
    }
  }

  if (failed.length > 0 && failed.length === positions.filter((p) => blockOf.has(p.position)).length) throw failed[0]

  // Tail loss of every position (targets and current), next to the policy limits.
  const groupsOf = riskGroupsOf(policy)
  const riskBudgetOf = new Map(lp.blocks.map((b) => [b.position, b.rows.find((r) => r.kind === 'risk')?.fraction ?? policy.riskBudget]))
  for (const p of positions) p.tail = positionTail(p, pairScores, groupsOf, policy, riskBudgetOf.get(p.position) ?? policy.riskBudget)

  const serviceReason = new Map(scores.services.map((sv) => [sv.service as string, serviceReasonOf(sv)]))
  for (const p of positions) for (const nl of p.networkLimits) nl.reason = serviceReason.get(nl.service) ?? ''
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
    solver: solution.solver,
    objectivePerYear: objective,
    currentObjectivePerYear: current,
    lpObjectivePerYear: solution.objective,
    now: opts.now,
    positions,
    binding,
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
      security: planSecurity(universe, scores, policy, positions),
      totalActiveStake: totalA,
      totalInFlightStake: positions.reduce((a, p) => a + p.inFlightStake, 0n),
    },
    warnings,
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
  const min = solveFast({ blocks: [minTurnoverBlock(block)], fixed: [], missing: [] }).blocks[0]
  if (min?.status !== 'optimal') return undefined
  const relaxed = withTurnoverAtLeast(block, -min.objective)
  const best = solveFast({ blocks: [relaxed], fixed: [], missing: [] }).blocks[0]
  if (best?.status !== 'optimal') return undefined
  let y: bigint[]
  try {
    y = roundBlock(relaxed, best, policy)
  } catch (e) {
    if (e instanceof SolverError) return undefined
    throw e
  }
  const x0 = block.pairs.map((p) => p.x0Wei)
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

/** Constraints (policy field names) the block's start point breaks: rows other than the turnover row whose slack at the current allocation is negative. */
function brokenAtStart(block: LpBlock): string[] {
  const rows = block.rows.map((_, r) => r).filter((r) => r !== block.turnoverRow && (block.rows[r] as LpRow).rhs < -1e-12)
  if (rows.length === 0) return []
  return [...new Set(conflictsOf(block, { status: 'infeasible', conflictRows: rows } as BlockSolution).map((c) => c.constraint))].filter((c) => c !== 'turnoverCapPerRun')
}

/** Tail figures of a position's targets and current allocation (docs/risk.md §2). */
function positionTail(p: PositionPlan, pairScores: Map<string, PairScore>, groupsOf: (s: string, o: string) => string[], policy: Policy, riskBudget: number): PositionTail {
  const plan: Exposure[] = []
  const now: Exposure[] = []
  for (const t of p.targets) {
    const ps = pairScores.get(pairKey(t.service, t.operator))
    if (ps === undefined) continue
    const f = lossFactor(ps.severity, ps.contractFactor)
    const g = groupsOf(t.service, t.operator)
    if (t.stake > 0n) plan.push(exposure(t.stake, ps.slashProbabilityPerYear, f, g))
    if (t.current > 0n) now.push(exposure(t.current, ps.slashProbabilityPerYear, f, g))
  }
  const A = p.availableStake
  const planned = tailLoss({ exposures: plan, cap: A })
  const current = tailLoss({ exposures: now, cap: A })
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
function tailFigures(positions: PositionPlan[], policy: Policy): Partial<PlanRiskFigures> {
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
function planSecurity(universe: Universe, scores: UniverseScores, policy: Policy, positions: PositionPlan[]): PlanSecurityFigures | undefined {
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

// ---------------------------------------------------------------------------------------------
// Rounding

/** LP values within this (normalised) distance of the current stake, or of 0, are solver noise (tolerance 1e-10). */
const SNAP = 2e-10

const roundCache = new WeakMap<BlockSolution, { block: LpBlock; policy: Policy; t: bigint[] }>()

/** Exact bigint targets (per pair of the block, same order) from the LP solution; memoised per (solution, block, policy): meetVar99 and planFromSolution round the same solution. */
function roundBlock(block: LpBlock, sol: BlockSolution, policy: Policy): bigint[] {
  const hit = roundCache.get(sol)
  if (hit !== undefined && hit.block === block && hit.policy === policy) return hit.t
  const t = roundBlockUncached(block, sol, policy)
  roundCache.set(sol, { block, policy, t })
  return t
}

function roundBlockUncached(block: LpBlock, sol: BlockSolution, policy: Policy): bigint[] {
  const A = block.activeStake
  const xs = pairValues(block, sol.x)
  const n = block.pairs.length
  const t: bigint[] = new Array(n)
  // 1–2: snap, floor, largest remainder per service.
  interface Rem {
    j: number
    num: bigint // remainder numerator over den
    den: bigint
  }
  const rems = new Map<string, Rem[]>()
  for (let j = 0; j < n; j++) {
    const p = block.pairs[j] as LpPair
    const x = Math.max(0, xs[j] as number)
    if (Math.abs(x - p.x0) <= SNAP) {
      t[j] = p.x0Wei
      continue
    }
    if (x <= SNAP) {
      t[j] = 0n
      continue
    }
    const [num, den] = floatToRational(x)
    const v = num * A
    t[j] = v / den
    const rem = v % den
    if (rem > 0n) (rems.get(p.service) ?? rems.set(p.service, []).get(p.service)!).push({ j, num: rem, den })
  }
  for (const s of [...rems.keys()].sort()) {
    const list = rems.get(s) as Rem[]
    const D = list.reduce((a, r) => (r.den > a ? r.den : a), 1n)
    let units = list.reduce((a, r) => a + r.num * (D / r.den), 0n) / D
    if (units === 0n) continue
    list.sort((a, b) => {
      const byRem = b.num * a.den - a.num * b.den
      if (byRem !== 0n) return byRem > 0n ? 1 : -1
      const pa = block.pairs[a.j] as LpPair
      const pb = block.pairs[b.j] as LpPair
      const ta = Number((t[a.j] as bigint) < pa.x0Wei)
      const tb = Number((t[b.j] as bigint) < pb.x0Wei)
      return tb - ta || cmp(pa.operator, pb.operator)
    })
    for (const r of list) {
      if (units === 0n) break
      t[r.j] = (t[r.j] as bigint) + 1n
      units--
    }
  }
  // 3: repair.
  repair(block, t, policy)
  // 3b: a service the LP fills to its limit ends a few hundred wei short of it (float error of x·A): top it up
  // to the exact limit when that breaks nothing, so the chain gets `4000` rather than `3999.999…`.
  topUpToLimits(block, t, policy)
  // 4: verify.
  const v = violations(block, t, policy)
  if (v.length > 0) throw new SolverError({ solver: 'fast', reason: `rounding could not satisfy the policy exactly in position ${block.position}`, details: v.join('\n') })
  return t
}

/** Relative distance (of active stake) under which a service's total counts as "at its limit" after rounding. */
const TOP_UP = 1e-9

/** Raises services that ended within TOP_UP of their limit to the exact limit, spread evenly over their pairs, if no constraint breaks. */
function topUpToLimits(block: LpBlock, t: bigint[], policy: Policy): void {
  const tolerance = BigInt(Math.ceil(Number(block.activeStake) * TOP_UP))
  for (const row of unitRows(block)) {
    if (row.kind !== 'service') continue
    const held = row.pairs.filter((j) => (t[j] as bigint) > 0n)
    if (held.length === 0) continue
    const sum = held.reduce((a, j) => a + (t[j] as bigint), 0n)
    const deficit = row.limitWei - sum
    if (deficit <= 0n || deficit > tolerance) continue
    const k = BigInt(held.length)
    // The whole deficit first; then the part that splits evenly (keeps equal pairs equal under diversification).
    for (const amount of [...new Set([deficit, deficit - (deficit % k)])]) {
      if (amount <= 0n) continue
      const before = held.map((j) => t[j] as bigint)
      const order = [...held].sort((a, b) => cmp((block.pairs[a] as LpPair).operator, (block.pairs[b] as LpPair).operator))
      order.forEach((j, i) => {
        t[j] = (t[j] as bigint) + amount / k + (BigInt(i) < amount % k ? 1n : 0n)
      })
      if (violations(block, t, policy).length === 0) break
      held.forEach((j, i) => {
        t[j] = before[i] as bigint
      })
    }
  }
}

interface BigRow {
  kind: LpRow['kind']
  subject: string
  limitWei: bigint
  /** Pair indices (coefficient 1), or for risk: with rational coefficients. */
  pairs: number[]
}

const unitRowCache = new WeakMap<LpBlock, BigRow[]>()

/** The ≤ rows over pairs with coefficient 1 (service, operator, group, leverage), pairs read from the CSR. */
function unitRows(block: LpBlock): BigRow[] {
  const cached = unitRowCache.get(block)
  if (cached) return cached
  const rows: BigRow[] = []
  block.rows.forEach((r, i) => {
    if (r.kind !== 'service' && r.kind !== 'operator' && r.kind !== 'group' && r.kind !== 'leverage') return
    const pairs = new Set<number>()
    for (let k = block.rowStart[i] as number; k < (block.rowStart[i + 1] as number); k++) {
      const c = block.rowCol[k] as number
      if (block.colKind[c] !== COL_T) pairs.add(block.colRef[c] as number)
    }
    rows.push({ kind: r.kind, subject: r.subject, limitWei: r.limitWei, pairs: [...pairs].sort((x, y) => x - y) })
  })
  unitRowCache.set(block, rows)
  return rows
}

/** Tolerance of the risk-budget check, as a fraction of stake per year (1e-9 = 0.0000001 %/yr). */
export const RISK_TOLERANCE = 1e-9

/** Rows with float coefficients held in exact rationals: the risk budget (to RISK_TOLERANCE) and MaxLoss (exactly). */
type WeightedKind = 'risk' | 'maxLoss'
const WEIGHTED: readonly WeightedKind[] = ['risk', 'maxLoss']
const weightOf = (kind: WeightedKind, p: LpPair) => (kind === 'risk' ? p.loss : p.lossFactor)

const riskCache = new WeakMap<LpBlock, Map<WeightedKind, { limit: [bigint, bigint]; weights: ([bigint, bigint] | undefined)[] } | null>>()
const TOLERANCE_RATIONAL = /* @__PURE__ */ floatToRational(RISK_TOLERANCE)

/**
 * Σ coef·t against the row's policy fraction of active stake, exactly in bigint (coefficients read as exact binary
 * fractions, over the pairs holding stake only: the common denominator D is the largest of theirs and the limit's).
 */
function riskExcess(block: LpBlock, t: bigint[], kind: WeightedKind = 'risk'): { excess: boolean; num: bigint; D: bigint } {
  const byKind = riskCache.get(block) ?? riskCache.set(block, new Map()).get(block)!
  let c = byKind.get(kind)
  if (c === undefined) {
    const row = block.rows.find((r) => r.kind === kind)
    c = row === undefined ? null : { limit: floatToRational(row.fraction ?? row.limit), weights: new Array(block.pairs.length) }
    byKind.set(kind, c)
  }
  if (c === null) return { excess: false, num: 0n, D: 1n }
  const [bn, bd] = c.limit
  let D = bd
  const used: number[] = []
  for (let j = 0; j < t.length; j++) {
    if ((t[j] as bigint) === 0n) continue
    c.weights[j] ??= floatToRational(weightOf(kind, block.pairs[j] as LpPair))
    const w = c.weights[j]!
    if (w[1] > D) D = w[1]
    used.push(j)
  }
  let lhs = 0n
  for (const j of used) {
    const [n, d] = c.weights[j] as [bigint, bigint]
    if (n !== 0n) lhs += n * (D / d) * (t[j] as bigint)
  }
  // The risk budget is a float-weighted estimate: it holds to RISK_TOLERANCE of stake per year
  // (the LP's feasibility tolerance); every stake cap and MaxLoss hold exactly.
  const [tn, td] = TOLERANCE_RATIONAL
  const rhs = bn * (D / bd) * block.activeStake + (kind === 'risk' ? (tn * D * block.activeStake) / td : 0n)
  return { excess: lhs > rhs, num: lhs - rhs, D }
}

function repair(block: LpBlock, t: bigint[], _policy: Policy): void {
  const rows = unitRows(block)
  const pairs = block.pairs
  const m = BigInt(block.minOperators)
  const inc = (j: number) => (t[j] as bigint) - (pairs[j] as LpPair).x0Wei
  const trim = (list: number[], excess: bigint): bigint => {
    // Increases first (largest first), then other stake (largest first); deterministic order.
    const order = [...list].sort((a, b) => {
      const ia = inc(a)
      const ib = inc(b)
      const pa = ia > 0n ? 1 : 0
      const pb = ib > 0n ? 1 : 0
      if (pa !== pb) return pb - pa
      const ka = pa ? ia : (t[a] as bigint)
      const kb = pb ? ib : (t[b] as bigint)
      return ka === kb ? a - b : kb > ka ? 1 : -1
    })
    for (const j of order) {
      if (excess <= 0n) break
      const room = inc(j) > 0n ? inc(j) : (t[j] as bigint)
      const d = room < excess ? room : excess
      t[j] = (t[j] as bigint) - d
      excess -= d
    }
    return excess
  }
  for (let pass = 0; pass < 8; pass++) {
    let changed = false
    for (const r of rows) {
      const act = r.pairs.reduce((a, j) => a + (t[j] as bigint), 0n)
      if (act > r.limitWei) {
        trim(r.pairs, act - r.limitWei)
        changed = true
      }
    }
    // Risk budget and MaxLoss: trim the lossiest increases until they hold.
    for (const kind of WEIGHTED)
      for (let guard = 0; guard < pairs.length + 2; guard++) {
        const r = riskExcess(block, t, kind)
        if (!r.excess) break
        changed = true
        let best = -1
        for (let j = 0; j < pairs.length; j++) {
          if ((t[j] as bigint) === 0n || weightOf(kind, pairs[j] as LpPair) <= 0) continue
          if (best < 0) best = j
          const bj = best
          const better = (inc(j) > 0n ? 1 : 0) - (inc(bj) > 0n ? 1 : 0) || weightOf(kind, pairs[j] as LpPair) - weightOf(kind, pairs[bj] as LpPair)
          if (better > 0) best = j
        }
        if (best < 0) break
        const p = pairs[best] as LpPair
        const [ln, ld] = floatToRational(weightOf(kind, p))
        // Units of stake needed: ceil(excess / ℓ) = ceil(num/D / (ln/ld)).
        const need = (r.num * ld + r.D * ln - 1n) / (r.D * ln)
        const room = inc(best) > 0n ? inc(best) : (t[best] as bigint)
        t[best] = (t[best] as bigint) - (need < room ? need : room)
      }
    // Diversification: m·t_j ≤ Σ_s.
    if (m > 1n) {
      const bySvc = new Map<string, number[]>()
      pairs.forEach((p, j) => (bySvc.get(p.service) ?? bySvc.set(p.service, []).get(p.service)!).push(j))
      for (const list of bySvc.values()) {
        for (let guard = 0; guard < 200; guard++) {
          const sum = list.reduce((a, j) => a + (t[j] as bigint), 0n)
          let any = false
          for (const j of list) {
            if (m * (t[j] as bigint) > sum) {
              t[j] = sum / m
              any = true
            }
          }
          if (!any) break
          changed = true
        }
      }
    }
    // Turnover: move pairs back toward their current stake (increases first, largest first).
    const tr = block.rows[block.turnoverRow]
    if (tr !== undefined) {
      let turnover = 0n
      for (let j = 0; j < pairs.length; j++) {
        const d = inc(j)
        turnover += d < 0n ? -d : d
      }
      let excess = turnover - tr.limitWei
      if (excess > 0n) {
        changed = true
        const order = pairs
          .map((_, j) => j)
          .sort((a, b) => {
            const da = inc(a)
            const db = inc(b)
            if (da > 0n !== db > 0n) return da > 0n ? -1 : 1
            const aa = da < 0n ? -da : da
            const ab = db < 0n ? -db : db
            return aa === ab ? a - b : ab > aa ? 1 : -1
          })
        for (const j of order) {
          if (excess <= 0n) break
          const d = inc(j)
          if (d === 0n) continue
          const mag = d < 0n ? -d : d
          const step = mag < excess ? mag : excess
          t[j] = (t[j] as bigint) + (d > 0n ? -step : step)
          excess -= step
        }
      }
    }
    if (!changed) return
  }
}

/** Every exact violation of the policy by bigint targets of a block (empty = all good). */
export function violations(block: LpBlock, t: bigint[], _policy: Policy): string[] {
  const out: string[] = []
  for (const r of unitRows(block)) {
    const act = r.pairs.reduce((a, j) => a + (t[j] as bigint), 0n)
    if (act > r.limitWei) out.push(`${r.kind} ${r.subject}: ${act} > ${r.limitWei}`)
  }
  if (riskExcess(block, t, 'risk').excess) out.push('risk budget exceeded')
  if (riskExcess(block, t, 'maxLoss').excess) out.push('maxLossFraction exceeded')
  let turnover = 0n
  block.pairs.forEach((p, j) => {
    const d = (t[j] as bigint) - p.x0Wei
    turnover += d < 0n ? -d : d
    if ((t[j] as bigint) < 0n) out.push(`negative target ${p.service}|${p.operator}`)
    if (!p.canIncrease && (t[j] as bigint) > p.x0Wei) out.push(`pair ${p.service}|${p.operator} may not increase`)
  })
  const tr = block.rows[block.turnoverRow]
  if (tr !== undefined && turnover > tr.limitWei) out.push(`turnover ${turnover} > ${tr.limitWei}`)
  if (block.minOperators > 1) {
    const m = BigInt(block.minOperators)
    const sums = new Map<string, bigint>()
    block.pairs.forEach((p, j) => sums.set(p.service, (sums.get(p.service) ?? 0n) + (t[j] as bigint)))
    block.pairs.forEach((p, j) => {
      if (m * (t[j] as bigint) > (sums.get(p.service) as bigint)) out.push(`diversification ${p.service}|${p.operator}`)
    })
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Figures

function pairScoreOf(pairScores: Map<string, PairScore>, s: string, o: string): PairScore | undefined {
  return pairScores.get(pairKey(s, o))
}

function positionPlan(pos: Position, block: LpBlock, t: bigint[], pairScores: Map<string, PairScore>, now: bigint): PositionPlan {
  const target = new Map<string, bigint>()
  block.pairs.forEach((p, j) => {
    if ((t[j] as bigint) > 0n || p.currentWei > 0n) target.set(pairKey(p.service, p.operator), t[j] as bigint)
  })
  for (const f of block.forced) if (!target.has(pairKey(f.service, f.operator))) target.set(pairKey(f.service, f.operator), f.to)
  return buildPositionPlan(pos, target, block.forced, pairScores, now, true, block, t)
}

function fixedPlan(pos: Position, pairScores: Map<string, PairScore>, now: bigint, forced: ForcedMove[]): PositionPlan {
  const target = new Map<string, bigint>()
  for (const a of pos.allocations) target.set(pairKey(a.service.toLowerCase(), a.operator.toLowerCase()), a.stake)
  for (const f of forced) target.set(pairKey(f.service, f.operator), f.to)
  return buildPositionPlan(pos, target, forced, pairScores, now, pos.delegatorKind !== 'operator-network-specific', undefined, undefined)
}

function buildPositionPlan(pos: Position, target: Map<string, bigint>, forced: ForcedMove[], pairScores: Map<string, PairScore>, now: bigint, steerable: boolean, block: LpBlock | undefined, t: bigint[] | undefined): PositionPlan {
  const current = new Map<string, bigint>()
  const touched = new Set<string>()
  for (const a of pos.allocations) {
    const k = pairKey(a.service.toLowerCase(), a.operator.toLowerCase())
    current.set(k, (current.get(k) ?? 0n) + a.stake)
    if (a.stake > 0n || a.shares > 0n || a.operatorLimit > 0n) touched.add(k)
  }
  const keys = [...new Set([...target.keys(), ...touched])].sort()
  const targets: TargetStake[] = []
  for (const k of keys) {
    const stake = target.get(k) ?? 0n
    const cur = current.get(k) ?? 0n
    if (stake === 0n && !touched.has(k)) continue
    const [service, operator] = k.split('|') as [ServiceId, Address]
    const ps = pairScores.get(k)
    targets.push({ service, operator, stake, current: cur, netValuePerYear: ps?.netValuePerYear ?? 0, reason: ps ? pairReason(ps) : '' })
  }
  const limitBy = new Map<string, bigint>()
  for (const tg of targets) limitBy.set(tg.service, (limitBy.get(tg.service) ?? 0n) + tg.stake)
  const networkLimits: NetworkLimitTarget[] = [...pos.services]
    .map((ps) => ({ service: ps.service.toLowerCase() as ServiceId, limit: steerable ? (limitBy.get(ps.service.toLowerCase()) ?? 0n) : ps.networkLimit, current: ps.networkLimit, reason: '' }))
    .sort((a, b) => cmp(a.service, b.service))

  const A = pos.activeStake
  // In-flight stake holds no allocation: it adds nothing to the objective (earns nothing) and is not allocatable.
  const available = allocatableStake(pos)
  let obj = 0
  let objCur = 0
  let el = 0
  let elCur = 0
  let surviveVault = 1
  const surviveOp = new Map<string, number>()
  const byOp = new Map<string, bigint>()
  const byOpCur = new Map<string, bigint>()
  const residual: ResidualExposure[] = []
  for (const tg of targets) {
    const ps = pairScoreOf(pairScores, tg.service, tg.operator)
    const v = ps?.netValuePerYear ?? 0
    const l = ps?.expectedLossPerYear ?? 0
    obj += v * Number(tg.stake)
    objCur += v * Number(tg.current)
    el += l * Number(tg.stake)
    elCur += l * Number(tg.current)
    if (tg.stake > 0n) {
      const p = ps?.slashProbabilityPerYear ?? 0
      surviveVault *= 1 - p
      surviveOp.set(tg.operator, (surviveOp.get(tg.operator) ?? 1) * (1 - p))
      byOp.set(tg.operator, (byOp.get(tg.operator) ?? 0n) + tg.stake)
    }
    if (tg.current > 0n) byOpCur.set(tg.operator, (byOpCur.get(tg.operator) ?? 0n) + tg.current)
    if (tg.current > tg.stake) residual.push({ service: tg.service, operator: tg.operator, stake: tg.current - tg.stake, until: now + BigInt(pos.epochDurationSeconds) })
  }
  const sumLimits = networkLimits.reduce((a, l) => a + l.limit, 0n)
  const sumLimitsCur = networkLimits.reduce((a, l) => a + l.current, 0n)
  let turnover = 0n
  if (block && t) {
    block.pairs.forEach((p, j) => {
      const d = (t[j] as bigint) - p.x0Wei
      turnover += d < 0n ? -d : d
    })
  }
  return {
    position: pos.id,
    label: pos.label,
    vault: pos.vault,
    delegator: pos.delegator,
    delegatorKind: pos.delegatorKind,
    activeStake: A,
    inFlightStake: pos.inFlightStake ?? 0n,
    availableStake: available,
    steerable,
    targets,
    networkLimits,
    forced,
    objectivePerYear: obj,
    currentObjectivePerYear: objCur,
    expectedAnnualLoss: el,
    currentExpectedAnnualLoss: elCur,
    compoundedSlashProbability: 1 - surviveVault,
    maxOperatorCompoundedSlashProbability: Math.max(0, ...[...surviveOp.values()].map((s) => 1 - s)),
    herfindahl: herfindahl([...byOp.values()]),
    currentHerfindahl: herfindahl([...byOpCur.values()]),
    leverage: available > 0n ? Number(sumLimits) / Number(available) : 0,
    currentLeverage: available > 0n ? Number(sumLimitsCur) / Number(available) : 0,
    turnover,
    turnoverLimit: block?.rows[block.turnoverRow]?.limitWei ?? 0n,
    residualExposure: residual,
  }
}

/** A service's yield/risk terms as one sentence: `service oracle-net/0: r 4.00 %/yr, p·sev·h 0.31 %/yr, risk 32.5 (medium)`. */
export function serviceReasonOf(s: ServiceScore): string {
  return `service ${s.label || short(s.service)}: r ${pct(s.rewardRatePerYear)}/yr, p·sev·h ${pct(s.expectedLossPerYear)}/yr (p ${pct(s.slashProbabilityPerYear)}/yr, sev ${pct(s.severity)}, h ${num(s.contractFactor)}), risk ${s.score.toFixed(1)} (${s.band})`
}

/** A pair's yield/risk terms as one sentence: `pair 0xab…@0x12…: net value 3.9 %/yr = r·(1−c) 4.2 % − p·sev·h 0.3 % (…)`. */
export function pairReason(p: PairScore): string {
  return `pair ${short(p.operator)}@${short(p.service)}: net value ${pct(p.netValuePerYear)}/yr = r·(1−c) ${pct(p.netYieldPerYear)} − p·sev·h ${pct(p.expectedLossPerYear)} (p ${pct(p.slashProbabilityPerYear)}/yr, sev ${pct(p.severity)}, h ${num(p.contractFactor)})`
}

// ---------------------------------------------------------------------------------------------
// Binding constraints and infeasibility

/** Policy name of a row. */
export function constraintName(row: LpRow): string {
  switch (row.kind) {
    case 'service':
      return row.source ?? 'caps.perService'
    case 'operator':
      return 'caps.perOperator'
    case 'group':
      return 'caps.perRiskGroup'
    case 'leverage':
      return 'leverageCap'
    case 'risk':
      return 'riskBudget'
    case 'maxLoss':
      return 'maxLossFraction'
    case 'turnover':
      return 'turnoverCapPerRun'
    default:
      return 'minOperatorsPerService'
  }
}

/** The subject of a row; diversification rows name their pair as `service|operator`. */
function rowSubject(block: LpBlock, row: LpRow): string {
  if (row.kind === 'diversification' && row.pair !== undefined) {
    const p = block.pairs[row.pair] as LpPair
    return pairKey(p.service, p.operator)
  }
  return row.subject
}

function subjectText(row: LpRow, block?: LpBlock): string {
  const subject = block ? rowSubject(block, row) : row.subject
  switch (row.kind) {
    case 'service':
      return `service ${short(row.subject)}`
    case 'operator':
      return `operator ${short(row.subject)}`
    case 'group':
      return `risk group "${row.subject}"`
    case 'diversification':
    case 'diversificationTotal': {
      const [s, o] = subject.split('|')
      return o ? `operator ${short(o)} in service ${short(s as string)}` : `service ${short(subject)}`
    }
    default:
      return 'position'
  }
}

function bindingOf(block: LpBlock, sol: BlockSolution, t: bigint[]): BindingConstraint[] {
  const out: BindingConstraint[] = []
  const A = block.activeStake
  const frac = (w: bigint) => (A > 0n ? Number(w) / Number(A) : 0)
  const bySvc = new Map<string, bigint>()
  const byOp = new Map<string, bigint>()
  const byGroup = new Map<number, bigint>()
  let total = 0n
  let loss = 0
  let maxLoss = 0
  let turnover = 0n
  block.pairs.forEach((p, j) => {
    const v = t[j] as bigint
    bySvc.set(p.service, (bySvc.get(p.service) ?? 0n) + v)
    byOp.set(p.operator, (byOp.get(p.operator) ?? 0n) + v)
    for (const g of p.groups) byGroup.set(g, (byGroup.get(g) ?? 0n) + v)
    total += v
    loss += p.loss * Number(v)
    maxLoss += p.lossFactor * Number(v)
    const d = v - p.x0Wei
    turnover += d < 0n ? -d : d
  })
  const m = block.minOperators
  const groupIndex = new Map(block.groups.map((g, i) => [g.group, i]))
  block.rows.forEach((row, r) => {
    const dual = Math.abs(sol.duals[r] ?? 0)
    let value: number
    switch (row.kind) {
      case 'service':
        value = frac(bySvc.get(row.subject) ?? 0n)
        break
      case 'operator':
        value = frac(byOp.get(row.subject) ?? 0n)
        break
      case 'group':
        value = frac(byGroup.get(groupIndex.get(row.subject) ?? -1) ?? 0n)
        break
      case 'leverage':
        value = frac(total)
        break
      case 'risk':
        value = A > 0n ? loss / Number(A) : 0
        break
      case 'maxLoss':
        value = A > 0n ? maxLoss / Number(A) : 0
        break
      case 'turnover':
        value = frac(turnover)
        break
      case 'diversification': {
        const j = row.pair ?? -1
        const v = t[j] ?? 0n
        if (v === 0n) return
        const sum = bySvc.get((block.pairs[j] as LpPair).service) ?? 0n
        if (v === 0n || BigInt(m) * v < sum - BigInt(m) * 2n) return
        out.push({
          position: block.position,
          constraint: 'minOperatorsPerService',
          subject: rowSubject(block, row),
          limit: frac(sum) / m,
          value: frac(v),
          shadowPrice: dual,
          message: `${subjectText(row, block)}: holds 1/${m} of the service (minOperatorsPerService binding)`,
        })
        return
      }
      default:
        return
    }
    const limit = row.kind === 'risk' || row.kind === 'maxLoss' ? (row.fraction ?? row.limit) : frac(row.limitWei)
    const tight = limit - value <= 1e-9 * Math.max(1, limit)
    if (!(dual > 1e-12 || (tight && value > 0))) return
    const what = row.kind === 'risk' ? `${pct(value)}/yr expected loss` : row.kind === 'maxLoss' ? `${pct(value)} of stake lost if every service slashes at once` : pct(value)
    out.push({
      position: block.position,
      constraint: constraintName(row),
      subject: row.subject,
      limit,
      value,
      shadowPrice: dual,
      message: `${subjectText(row)}: ${constraintName(row)} binding at ${what} (limit ${pct(limit)}${row.kind === 'risk' ? '/yr' : ''})`,
    })
  })
  for (const h of block.securityHolds ?? []) out.push({ position: block.position, constraint: h.constraint, subject: h.subject, limit: h.limit, value: h.value, shadowPrice: 0, message: h.message })
  return out
}

/** The constraints that take part in an infeasibility, in words. */
function conflictsOf(block: LpBlock, sol: BlockSolution): ConflictingConstraint[] {
  const A = block.activeStake
  // Row activity of the start point (current stake after forced moves) against each limit.
  const x0Act = new Map<number, number>()
  block.rows.forEach((row, r) => {
    if (row.kind === 'turnover') return
    const start = row.kind === 'diversification' || row.kind === 'diversificationTotal' ? -row.rhs : row.limit - row.rhs
    x0Act.set(r, start)
  })
  const rows = sol.conflictRows && sol.conflictRows.length > 0 ? sol.conflictRows : block.rows.map((_, r) => r).filter((r) => r === block.turnoverRow || (block.rows[r] as LpRow).rhs < -1e-12)
  const out: ConflictingConstraint[] = []
  const seen = new Set<string>()
  for (const r of rows) {
    const row = block.rows[r] as LpRow
    let detail: string
    if (row.kind === 'turnover') detail = `at most ${pct(row.limit)} of the stake (${row.limitWei} wei) may move per run; forced removals are exempt`
    else if (row.kind === 'diversification' || row.kind === 'diversificationTotal') detail = `${subjectText(row, block)}: each operator may hold at most 1/${block.minOperators} of a service's stake, the current allocation does not`
    else {
      const cur = (x0Act.get(r) ?? 0) + 0
      detail = `${subjectText(row)}: limit ${pct(row.limit)} of stake (${row.limitWei} wei), current allocation ${pct(cur)}`
    }
    const key = `${constraintName(row)}|${detail}`
    if (seen.has(key)) continue
    seen.add(key)
    out.push({ constraint: constraintName(row), detail })
  }
  if (!out.some((c) => c.constraint === 'turnoverCapPerRun') && block.turnoverRow >= 0) {
    const tr = block.rows[block.turnoverRow] as LpRow
    out.push({ constraint: 'turnoverCapPerRun', detail: `at most ${pct(tr.limit)} of the stake (${tr.limitWei} wei of ${A}) may move per run` })
  }
  return out
}
