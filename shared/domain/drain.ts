/**
 * The drain guard (docs/policy.md, "Nothing drains a vault by accident"): a valid but over-strict policy (a typo such as
 * `caps.perOperator` 0.001) makes the planner remove stake as forced removals with the turnover cap lifted. A run that
 * would take more than `maxExitFractionPerRun` of a position's available stake out of allocation (net: a move from one
 * pair to another drains nothing) for reasons other than a slash response or a deny list is refused with {@link DrainRefusedError}, naming the constraints behind the removal. `allowFullExit`
 * lets a deliberate exit through and says so in the plan's warnings (recorded with the run).
 */
import { type ConflictingConstraint, type DrainedPosition, DrainRefusedError } from './errors.js'
import { pct } from './format.js'
import { mulFloor } from './lp.js'
import type { Plan, PositionPlan } from './plan.js'
import type { Policy } from './policy.js'

/** Return type of {@link drainCheck}: the positions whose removals exceed the policy's limit. */
export interface DrainCheckReturnType {
  over: DrainedPosition[]
  limit: number
  allowFullExit: boolean
}

/**
 * Stake a position plan takes out of allocation, net (Σ current − Σ target over its pairs), less what a slash response
 * or a deny list removes: wei, never negative. Moving stake from one pair to another drains nothing.
 */
export function drainedStake(p: PositionPlan): bigint {
  let drained = 0n
  for (const t of p.targets) drained += t.current - t.stake
  for (const f of p.forced) if (f.cause !== undefined && f.from > f.to) drained -= f.from - f.to
  return drained > 0n ? drained : 0n
}

/** Policy limits the position's current allocation breaks (what makes the planner take the stake out). */
function brokenByCurrent(p: PositionPlan, policy: Policy): ConflictingConstraint[] {
  const out: ConflictingConstraint[] = []
  const A = Number(p.availableStake)
  const byOp = new Map<string, bigint>()
  const bySvc = new Map<string, bigint>()
  for (const t of p.targets) {
    byOp.set(t.operator, (byOp.get(t.operator) ?? 0n) + t.current)
    bySvc.set(t.service, (bySvc.get(t.service) ?? 0n) + t.current)
  }
  const over = (m: Map<string, bigint>, cap: number) => [...m].filter(([, v]) => v > mulFloor(p.availableStake, cap))
  const ops = over(byOp, policy.caps.perOperator)
  if (ops.length > 0) out.push({ constraint: 'caps.perOperator', detail: `limit ${pct(policy.caps.perOperator)} of stake; ${ops.length} operator(s) hold more now (largest ${pct(Math.max(...ops.map(([, v]) => Number(v) / A)))})` })
  const svcs = over(bySvc, policy.caps.perService)
  if (svcs.length > 0) out.push({ constraint: 'caps.perService', detail: `limit ${pct(policy.caps.perService)} of stake; ${svcs.length} service(s) hold more now (largest ${pct(Math.max(...svcs.map(([, v]) => Number(v) / A)))})` })
  const m = policy.minOperatorsPerService
  const thin = [...bySvc].filter(([s, total]) => total > 0n && p.targets.some((t) => t.service === s && t.current * BigInt(m) > total))
  if (thin.length > 0) out.push({ constraint: 'minOperatorsPerService', detail: `${m} operators per service (each ≤ 1/${m} of it); ${thin.length} service(s) have fewer now` })
  return out
}

/** The constraints behind a position's removals: the limits its current allocation breaks, its forced removals by reason, a raised turnover cap, its binding rows. */
function causesOf(plan: Plan, p: PositionPlan, policy: Policy): ConflictingConstraint[] {
  const out: ConflictingConstraint[] = brokenByCurrent(p, policy)
  const forced = new Map<string, number>()
  for (const f of p.forced) if (f.cause === undefined && f.from > f.to) forced.set(f.reason, (forced.get(f.reason) ?? 0) + 1)
  for (const [reason, n] of forced) out.push({ constraint: 'forced removal', detail: `${reason}${n > 1 ? ` (${n} pairs)` : ''}` })
  if (p.availableStake > 0n && p.turnoverLimit > 0n) {
    const raised = plan.warnings.find((w) => w.startsWith(`position ${p.position}: turnover cap raised`))
    if (raised !== undefined) out.push({ constraint: 'turnoverCapPerRun', detail: raised.slice(`position ${p.position}: `.length) })
  }
  for (const b of plan.binding) if (b.position === p.position && b.constraint !== 'turnoverCapPerRun') out.push({ constraint: b.constraint, detail: b.message })
  return out
}

/**
 * Measures, per position, the stake the plan takes out of allocation (net) other than by a slash response or a deny list, against
 * `maxExitFractionPerRun` of its available stake (exact, in wei).
 * @param plan the plan of this run
 * @param policy the policy it was made with
 */
export function drainCheck(plan: Plan, policy: Policy): DrainCheckReturnType {
  const over: DrainedPosition[] = []
  for (const p of plan.positions) {
    if (!p.steerable || p.availableStake === 0n) continue
    // A slash response or a deny list always goes through for the position it concerns, with what it entails (a
    // service left with too few operators, caps over a slashed, smaller stake).
    if (p.forced.some((f) => f.cause !== undefined && f.from > f.to)) continue
    const removed = drainedStake(p)
    if (removed <= mulFloor(p.availableStake, policy.maxExitFractionPerRun)) continue
    over.push({ position: p.position, removed, of: p.availableStake, fraction: Number(removed) / Number(p.availableStake), causes: causesOf(plan, p, policy) })
  }
  return { over, limit: policy.maxExitFractionPerRun, allowFullExit: policy.allowFullExit }
}

/**
 * The plan when no position is drained; with `allowFullExit`, the plan with a warning per position that exits beyond
 * the limit (so the run records the deliberate exit).
 * @throws {DrainRefusedError} when a position would be drained and the policy does not allow a full exit
 */
export function guardDrain(plan: Plan, policy: Policy): Plan {
  const check = drainCheck(plan, policy)
  if (check.over.length === 0) return plan
  if (!check.allowFullExit) throw new DrainRefusedError({ positions: check.over, limit: check.limit })
  const warnings = check.over.map((d) => `position ${d.position}: takes ${pct(d.fraction)} of its stake out of allocation, above maxExitFractionPerRun ${pct(check.limit)}: a deliberate exit (allowFullExit)`)
  return { ...plan, warnings: [...plan.warnings, ...warnings] }
}
