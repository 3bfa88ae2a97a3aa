/**
 * An independent checker of a plan against the policy, in exact bigint / rational arithmetic.
 * It re-derives every limit from the universe, the scores and the policy (it does not reuse the LP
 * rows), so a bug in lp.ts or plan.ts cannot hide itself.
 */
import type { Plan } from '../../shared/domain/plan.js'
import type { Policy } from '../../shared/domain/policy.js'
import type { UniverseScores } from '../../shared/domain/score.js'
import type { Universe } from '../../shared/domain/types.js'

/** Exact rational of a float (power-of-two denominator). */
export function rat(f: number): [bigint, bigint] {
  let x = f
  let d = 1n
  while (!Number.isInteger(x)) {
    x *= 2
    d *= 2n
  }
  return [BigInt(x), d]
}

/** floor(f · a) exactly. */
export function floorMul(a: bigint, f: number): bigint {
  const [n, d] = rat(f)
  return (a * n) / d
}

/**
 * Every violation of the policy by the plan (empty = the plan is valid).
 * Turnover is counted over pairs that are not forced moves, against the current stake after forced moves.
 */
export function planViolations(universe: Universe, scores: UniverseScores, policy: Policy, plan: Plan): string[] {
  const out: string[] = []
  const pair = new Map(scores.pairs.map((p) => [`${p.service}|${p.operator}`, p]))
  const opAllow = policy.operators.allow ? new Set<string>(policy.operators.allow) : undefined
  const svAllow = policy.services.allow ? new Set<string>(policy.services.allow) : undefined
  const opDeny = new Set<string>(policy.operators.deny)
  const svDeny = new Set<string>(policy.services.deny)
  const opServices = new Map(universe.operators.map((o) => [o.address, new Set<string>(o.services)]))
  for (const pp of plan.positions) {
    const pos = universe.positions.find((p) => p.id === pp.position)
    if (!pos) {
      out.push(`unknown position ${pp.position}`)
      continue
    }
    if (!pp.steerable) continue
    // A position that could not be planned (pp.error, reported) is left exactly as it is.
    if (pp.error !== undefined) {
      if (pp.targets.some((t) => t.stake !== t.current)) out.push(`${pp.position}: failed (${pp.error.name}) but moved`)
      if (!plan.warnings.some((w) => w.startsWith(`position ${pp.position} is left as it is this run`))) out.push('failed position not reported')
      continue
    }
    const A = pos.activeStake
    const m = BigInt(policy.minOperatorsPerService)
    const bySvc = new Map<string, bigint>()
    const byOp = new Map<string, bigint>()
    let total = 0n
    // Taking over (pp.takeover): the current allocation breaks the policy; every cap row must be no further from its
    // limit than now (never further from compliance), instead of within it.
    const bySvcNow = new Map<string, bigint>()
    const byOpNow = new Map<string, bigint>()
    let totalNow = 0n
    for (const t of pp.targets) {
      bySvcNow.set(t.service, (bySvcNow.get(t.service) ?? 0n) + t.current)
      byOpNow.set(t.operator, (byOpNow.get(t.operator) ?? 0n) + t.current)
      totalNow += t.current
    }
    const takeover = pp.takeover !== undefined
    const exceeds = (v: bigint, cap: bigint, now: bigint) => v > cap && (!takeover || v - cap > (now > cap ? now - cap : 0n))
    const forced = new Map(pp.forced.map((f) => [`${f.service}|${f.operator}`, f]))
    let turnover = 0n
    const surv = new Map<string, number>()
    // Risk budget in rationals: Σ ℓ·t ≤ B·A.
    let riskNum = 0n
    let riskDen = 1n
    const addRisk = (l: number, t: bigint) => {
      const [n, d] = rat(l)
      // riskNum/riskDen + n·t/d
      riskNum = riskNum * d + n * t * riskDen
      riskDen *= d
    }
    for (const t of pp.targets) {
      const k = `${t.service}|${t.operator}`
      if (t.stake < 0n) out.push(`${k}: negative target`)
      if (t.stake > 0n) {
        if (opDeny.has(t.operator)) out.push(`${k}: deny-listed operator holds stake`)
        if (svDeny.has(t.service)) out.push(`${k}: deny-listed service holds stake`)
        if (opAllow && !opAllow.has(t.operator)) out.push(`${k}: operator not allowed`)
        if (svAllow && !svAllow.has(t.service)) out.push(`${k}: service not allowed`)
        if (!pos.operatorsOptedIn.includes(t.operator)) out.push(`${k}: operator not opted into the vault`)
        if (!opServices.get(t.operator)?.has(t.service)) out.push(`${k}: operator not opted into the service`)
        const ps = pair.get(k)
        if (!ps) out.push(`${k}: no score`)
        else {
          addRisk(ps.expectedLossPerYear, t.stake)
          surv.set(t.operator, (surv.get(t.operator) ?? 1) * (1 - ps.slashProbabilityPerYear))
        }
      }
      bySvc.set(t.service, (bySvc.get(t.service) ?? 0n) + t.stake)
      byOp.set(t.operator, (byOp.get(t.operator) ?? 0n) + t.stake)
      total += t.stake
      const f = forced.get(k)
      if (f) {
        if (t.stake > f.to) out.push(`${k}: forced to ${f.to} but planned ${t.stake}`)
      } else {
        const d = t.stake - t.current
        turnover += d < 0n ? -d : d
      }
    }
    for (const ps of pos.services) {
      const v = bySvc.get(ps.service) ?? 0n
      const cap = [A, ps.maxNetworkLimit, floorMul(A, policy.caps.perService)].reduce((a, b) => (b < a ? b : a))
      if (exceeds(v, cap, bySvcNow.get(ps.service) ?? 0n)) out.push(`service ${ps.service}: ${v} > ${cap}`)
      const nl = pp.networkLimits.find((l) => l.service === ps.service)
      if (nl && nl.limit !== v) out.push(`service ${ps.service}: network limit ${nl.limit} ≠ Σ targets ${v}`)
    }
    for (const [o, v] of byOp) if (exceeds(v, floorMul(A, policy.caps.perOperator), byOpNow.get(o) ?? 0n)) out.push(`operator ${o}: ${v} > cap`)
    for (const g of policy.caps.perRiskGroup) {
      const members = new Set<string>(g.members)
      for (const md of policy.scoring.operatorMetadata) if (md.riskGroup === g.group) members.add(md.operator)
      for (const md of policy.scoring.serviceMetadata) if (md.riskGroup === g.group) members.add(md.service)
      let v = 0n
      let now = 0n
      for (const t of pp.targets)
        if (members.has(t.operator) || members.has(t.service)) {
          v += t.stake
          now += t.current
        }
      if (exceeds(v, floorMul(A, g.cap), now)) out.push(`group ${g.group}: ${v} > cap`)
    }
    if (exceeds(total, floorMul(A, policy.leverageCap), totalNow)) out.push(`leverage: ${total} > cap`)
    if (takeover) {
      // Within the turnover cap; the mixed-sign rows (diversification) and the float rows are checked by the LP tests.
      if (turnover > floorMul(A, policy.turnoverCapPerRun)) out.push(`takeover turnover ${turnover} > cap`)
      if (!plan.warnings.some((w) => w.startsWith(`position ${pp.position}: taking over`))) out.push('takeover not reported')
      continue
    }
    const [bn, bd] = rat(policy.riskBudget)
    // The risk budget (float-weighted) is allowed 1e-9 of stake per year of tolerance; stake caps none.
    const [en, ed] = rat(1e-9)
    if (riskNum * bd * ed > (bn * ed + en * bd) * A * riskDen) out.push('risk budget exceeded')
    // The turnover cap holds, unless forced removals needed more this run (then the raised limit is reported).
    const cap = floorMul(A, policy.turnoverCapPerRun)
    const forcedRemovals = pp.forced.some((f) => f.to < f.from)
    if (pp.turnoverLimit !== cap && !(forcedRemovals && pp.turnoverLimit > cap)) out.push(`turnover limit ${pp.turnoverLimit} ≠ policy ${cap}`)
    if (pp.turnoverLimit > cap && !plan.warnings.some((w) => w.startsWith(`position ${pp.position}: turnover cap raised`))) out.push('raised turnover cap not reported')
    if (turnover > (forcedRemovals ? pp.turnoverLimit : cap)) out.push(`turnover ${turnover} > ${pp.turnoverLimit}`)
    if (m > 1n)
      for (const t of pp.targets) {
        const s = bySvc.get(t.service) ?? 0n
        if (m * t.stake > s) out.push(`diversification ${t.service}|${t.operator}: ${m}·${t.stake} > ${s}`)
      }
    for (const [o, s] of surv) if (1 - s > policy.maxCompoundedSlashProbability + 1e-9) out.push(`operator ${o}: compounded slash probability ${1 - s}`)
  }
  return out
}
