/**
 * The figures of a position's plan (targets, network limits, objective, expected loss, concentration, residual
 * exposure), the reasons in words, and the binding / conflicting constraints of a block in policy terms.
 */
import type { Address, Position, ServiceId } from './types.js'
import { type PairScore, type ServiceScore, herfindahl, pairKey } from './score.js'
import { type BlockSolution, type ForcedMove, type LpBlock, type LpRow, allocatableStake, pairOperator, pairService, rowAt } from './lpModel.js'
import type { ConflictingConstraint } from './errors.js'
import { cmp, flat, num, pct, short } from './format.js'
import type { BindingConstraint, NetworkLimitTarget, PositionPlan, ResidualExposure, TargetStake } from './planTypes.js'

/**
 * Pair scores by (service, operator). scoreUniverse emits its pairs sorted by (service, operator): they are searched by
 * bisection (a plan looks up only the pairs it targets, not every scored pair, so no map over all of them per plan),
 * and each answer is kept by key; a list that is not strictly sorted (hand-made scores) is indexed in a map, the last
 * of equal pairs winning. A planned block's targets mostly skip the search (positionPlan reads LpPairs.score), and a
 * position's plan hands its targets' scores on to its tail figures (ScoredPositionPlan).
 */
export interface PairScoreIndex {
  sorted: readonly PairScore[] | undefined
  byKey: Map<string, PairScore> | undefined
  /** Answers of the bisection so far, by pairKey (null: not scored). */
  found: Map<string, PairScore | null>
  /** Each pair's reason, made once a plan (a pair can be a target of several positions). */
  reasons: Map<PairScore, string>
}

/** Indexes the scores' pairs (see {@link PairScoreIndex}). */
export function pairScoreIndex(pairs: readonly PairScore[]): PairScoreIndex {
  for (let i = 1; i < pairs.length; i++) {
    const a = pairs[i - 1] as PairScore
    const b = pairs[i] as PairScore
    if (!(a.service < b.service || (a.service === b.service && a.operator < b.operator))) return { sorted: undefined, byKey: new Map(pairs.map((p) => [pairKey(p.service, p.operator), p])), found: new Map(), reasons: new Map() }
  }
  return { sorted: pairs, byKey: undefined, found: new Map(), reasons: new Map() }
}

/**
 * The score of pair (s, o), if scored.
 * @param key pairKey(s, o), when the caller has it
 */
export function pairScoreOf(index: PairScoreIndex, s: string, o: string, key = pairKey(s, o)): PairScore | undefined {
  const { sorted } = index
  if (sorted === undefined) return index.byKey?.get(key)
  const known = index.found.get(key)
  if (known !== undefined) return known ?? undefined
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const p = sorted[mid] as PairScore
    if (p.service < s || (p.service === s && p.operator < o)) lo = mid + 1
    else hi = mid
  }
  const p = sorted[lo]
  const hit = p !== undefined && p.service === s && p.operator === o ? p : undefined
  index.found.set(key, hit ?? null)
  return hit
}

/** A position's plan and the score of each of its targets (same order; undefined: not scored), for its tail figures. */
export interface ScoredPositionPlan {
  plan: PositionPlan
  scores: (PairScore | undefined)[]
}

/** The plan of a planned position from its block and exact targets `t` (per pair of the block). */
export function positionPlan(pos: Position, block: LpBlock, t: bigint[], pairScores: PairScoreIndex, now: bigint): ScoredPositionPlan {
  const target = new Map<string, bigint>()
  // The block knows where its pair's score is (LpPairs.score): no search when that is the pair of the same scores.
  const known = new Map<string, PairScore>()
  const { sorted } = pairScores
  for (let j = 0; j < block.pairs.length; j++) {
    if (!((t[j] as bigint) > 0n || (block.pairs.currentWei[j] as bigint) > 0n)) continue
    const s = pairService(block, j)
    const o = pairOperator(block, j)
    const key = pairKey(s, o)
    target.set(key, t[j] as bigint)
    const ps = sorted?.[block.pairs.score[j] as number]
    if (ps !== undefined && ps.service === s && ps.operator === o) known.set(key, ps)
  }
  for (const f of block.forced) if (!target.has(pairKey(f.service, f.operator))) target.set(pairKey(f.service, f.operator), f.to)
  return buildPositionPlan(pos, target, known, block.forced, pairScores, now, true, block, t)
}

/** The plan of a position left as it is (nothing settable, no stake, or infeasible): its current allocation less forced removals. */
export function fixedPlan(pos: Position, pairScores: PairScoreIndex, now: bigint, forced: ForcedMove[]): ScoredPositionPlan {
  const target = new Map<string, bigint>()
  for (const a of pos.allocations) target.set(pairKey(a.service.toLowerCase(), a.operator.toLowerCase()), a.stake)
  for (const f of forced) target.set(pairKey(f.service, f.operator), f.to)
  return buildPositionPlan(pos, target, undefined, forced, pairScores, now, pos.steerable, undefined, undefined)
}

function buildPositionPlan(
  pos: Position,
  target: Map<string, bigint>,
  known: Map<string, PairScore> | undefined,
  forced: ForcedMove[],
  pairScores: PairScoreIndex,
  now: bigint,
  steerable: boolean,
  block: LpBlock | undefined,
  t: bigint[] | undefined,
): ScoredPositionPlan {
  const current = new Map<string, bigint>()
  const touched = new Set<string>()
  for (const a of pos.allocations) {
    const k = pairKey(a.service.toLowerCase(), a.operator.toLowerCase())
    current.set(k, (current.get(k) ?? 0n) + a.stake)
    if (a.stake > 0n || a.shares > 0n || a.operatorLimit > 0n) touched.add(k)
  }
  const keys = [...new Set([...target.keys(), ...touched])].sort()
  const targets: TargetStake[] = []
  // The score of each target, read once.
  const scoreOf: (PairScore | undefined)[] = []
  for (const k of keys) {
    const stake = target.get(k) ?? 0n
    const cur = current.get(k) ?? 0n
    if (stake === 0n && !touched.has(k)) continue
    // The plan keeps the scores' own strings (the same ids); the key is split only for a pair the block did not score.
    let ps = known?.get(k)
    let service: ServiceId
    let operator: Address
    if (ps !== undefined) ({ service, operator } = ps)
    else {
      const [s, o] = k.split('|') as [ServiceId, Address]
      ps = pairScoreOf(pairScores, s, o, k)
      service = ps?.service ?? s
      operator = ps?.operator ?? o
    }
    scoreOf.push(ps)
    targets.push({ service, operator, stake, current: cur, netValuePerYear: ps?.netValuePerYear ?? 0, reason: ps ? reasonOf(pairScores, ps) : '' })
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
  targets.forEach((tg, i) => {
    const ps = scoreOf[i]
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
  })
  const sumLimits = networkLimits.reduce((a, l) => a + l.limit, 0n)
  const sumLimitsCur = networkLimits.reduce((a, l) => a + l.current, 0n)
  let turnover = 0n
  if (block && t) {
    for (let j = 0; j < block.pairs.length; j++) {
      // Most pairs stay where they are: no bigint is made for them.
      if (t[j] === block.pairs.x0Wei[j]) continue
      const d = (t[j] as bigint) - (block.pairs.x0Wei[j] as bigint)
      turnover += d < 0n ? -d : d
    }
  }
  const plan: PositionPlan = {
    position: pos.id,
    label: pos.label,
    vault: pos.vault,
    kind: pos.kind,
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
  return { plan, scores: scoreOf }
}

/** A service's yield/risk terms as one sentence: `service oracle-net/0: r 4.00 %/yr, p·sev·h 0.31 %/yr, risk 32.5 (medium)`. */
export function serviceReasonOf(s: ServiceScore): string {
  return `service ${s.label || short(s.service)}: r ${pct(s.rewardRatePerYear)}/yr, p·sev·h ${pct(s.expectedLossPerYear)}/yr (p ${pct(s.slashProbabilityPerYear)}/yr, sev ${pct(s.severity)}, h ${num(s.contractFactor)}), risk ${s.score.toFixed(1)} (${s.band})`
}

/** {@link pairReason}, made once per plan and pair, flat (see {@link flat}). */
function reasonOf(index: PairScoreIndex, p: PairScore): string {
  const known = index.reasons.get(p)
  if (known !== undefined) return known
  const r = flat(pairReason(p))
  index.reasons.set(p, r)
  return r
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
  if (row.kind === 'diversification' && row.pair !== undefined) return pairKey(pairService(block, row.pair), pairOperator(block, row.pair))
  return row.subject
}

/** A row's subject in words (`service 0xab…cd`, `operator …`, `risk group "g"`, `position`). */
function subjectText(row: LpRow, block?: LpBlock): string {
  switch (row.kind) {
    case 'service':
      return `service ${short(row.subject)}`
    case 'operator':
      return `operator ${short(row.subject)}`
    case 'group':
      return `risk group "${row.subject}"`
    case 'diversification':
    case 'diversificationTotal': {
      // A pair's row of a block names its pair directly (rowSubject's key, without making and splitting it).
      if (block !== undefined && row.kind === 'diversification' && row.pair !== undefined) return `operator ${short(pairOperator(block, row.pair))} in service ${short(pairService(block, row.pair))}`
      const subject = row.subject
      const [s, o] = subject.split('|')
      return o ? `operator ${short(o)} in service ${short(s as string)}` : `service ${short(subject)}`
    }
    default:
      return 'position'
  }
}

/** The rows of a block that bind at the optimum (or have a positive shadow price), in policy terms. */
export function bindingOf(block: LpBlock, sol: BlockSolution, t: bigint[]): BindingConstraint[] {
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
  const pairs = block.pairs
  for (let j = 0; j < pairs.length; j++) {
    const v = t[j] as bigint
    const x0 = pairs.x0Wei[j] as bigint
    // A pair planned at 0 adds nothing but its turnover (most pairs of a block): no map entry, no bigint.
    if (v === 0n) {
      turnover += x0 < 0n ? -x0 : x0
      continue
    }
    const service = pairService(block, j)
    const operator = pairOperator(block, j)
    bySvc.set(service, (bySvc.get(service) ?? 0n) + v)
    byOp.set(operator, (byOp.get(operator) ?? 0n) + v)
    for (const g of pairs.groups[j] as number[]) byGroup.set(g, (byGroup.get(g) ?? 0n) + v)
    total += v
    loss += (pairs.loss[j] as number) * Number(v)
    maxLoss += (pairs.lossFactor[j] as number) * Number(v)
    const d = v - x0
    turnover += d < 0n ? -d : d
  }
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
      message: flat(`${subjectText(row)}: ${constraintName(row)} binding at ${what} (limit ${pct(limit)}${row.kind === 'risk' ? '/yr' : ''})`),
    })
  })
  // Diversification rows D_j (after the named rows, one per pair): binding where a pair holds 1/m of its service.
  const nNamed = block.rows.length
  for (let r = nNamed; r < block.nRows; r++) {
    const j = r - nNamed
    const v = t[j] ?? 0n
    if (v === 0n) continue
    const sum = bySvc.get(pairService(block, j)) ?? 0n
    if (BigInt(m) * v < sum - BigInt(m) * 2n) continue
    const row = rowAt(block, r)
    out.push({
      position: block.position,
      constraint: 'minOperatorsPerService',
      subject: flat(rowSubject(block, row)),
      limit: frac(sum) / m,
      value: frac(v),
      shadowPrice: Math.abs(sol.duals[r] ?? 0),
      message: flat(`${subjectText(row, block)}: holds 1/${m} of the service (minOperatorsPerService binding)`),
    })
  }
  for (const h of block.securityHolds ?? []) out.push({ position: block.position, constraint: h.constraint, subject: h.subject, limit: h.limit, value: h.value, shadowPrice: 0, message: h.message })
  return out
}

/** The constraints that take part in an infeasibility, in words. */
export function conflictsOf(block: LpBlock, sol: BlockSolution): ConflictingConstraint[] {
  const A = block.activeStake
  let rows = sol.conflictRows
  if (rows === undefined || rows.length === 0) {
    rows = []
    for (let r = 0; r < block.nRows; r++) if (r === block.turnoverRow || (block.rowRhs[r] as number) < -1e-12) rows.push(r)
  }
  const out: ConflictingConstraint[] = []
  const seen = new Set<string>()
  for (const r of rows) {
    const row = rowAt(block, r)
    let detail: string
    if (row.kind === 'turnover') detail = `at most ${pct(row.limit)} of the stake (${row.limitWei} wei) may move per run; forced removals are exempt`
    else if (row.kind === 'diversification' || row.kind === 'diversificationTotal') detail = `${subjectText(row, block)}: each operator may hold at most 1/${block.minOperators} of a service's stake, the current allocation does not`
    else {
      // Row activity of the start point (current stake after forced moves), read off the shifted right-hand side.
      const cur = row.limit - row.rhs + 0
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
