/**
 * What-if: the planner is pure, so a hypothetical change — "slash operator X by 20 %", "deny service S",
 * "deny operator O", "apply this edited policy" — is planned exactly like a run would plan it, and the plan and the
 * risk figures are compared with today's before anything is pushed or sent. No I/O: the caller passes the universe
 * it read, the policy in force, and `now`.
 *
 * A hypothetical slash of operator X by fraction f in service S (default: every service where X holds our stake)
 * takes f of X's stake in S from each managed position (active stake falls by as much), adds a `Slash` record at
 * `now` (so scoring sees one more event and the slash response applies), and plans with the resulting de-risk orders.
 */
import { deriskRequestsForSlashes } from './derisk.js'
import { DomainError } from './errors.js'
import { cmp, pct, short, units, unitsFloat } from './format.js'
import { type Plan, planAllocation } from './plan.js'
import type { Policy } from './policy.js'
import { type UniverseScores, scoreUniverse } from './score.js'
import type { Address, Hex, ServiceId, Universe } from './types.js'

/** One hypothetical change. */
export type WhatIfChange =
  | { kind: 'slash'; operator: Address; fraction: number; service?: ServiceId }
  | { kind: 'denyService'; service: ServiceId }
  | { kind: 'denyOperator'; operator: Address }
  | { kind: 'policy'; policy: Policy; label?: string }

/** A stake that the change moves, per (position, service, operator), wei. */
export interface WhatIfMove {
  position: string
  service: ServiceId
  operator: Address
  /** Target without the change. */
  before: bigint
  /** Target with the change. */
  after: bigint
}

/** One risk figure without and with the change. */
export interface WhatIfFigure {
  key: 'expectedLossFraction' | 'maxOperatorCompoundedSlashProbability' | 'maxVaultCompoundedSlashProbability' | 'herfindahl' | 'maxLeverage' | 'netYieldPerYear' | 'expectedAnnualLoss' | 'lostToSlash'
  label: string
  before: number
  after: number
  /** How to read the numbers: a fraction (shown as %), a ratio, or collateral wei (per year unless `lostToSlash`). */
  unit: 'fraction' | 'ratio' | 'wei'
  /** The policy's limit for the figure, when it has one. */
  limit?: number
}

/** Parameters of {@link whatIf}. */
export interface WhatIfParameters {
  universe: Universe
  policy: Policy
  change: WhatIfChange
  /** Unix seconds (the universe's block time). */
  now: bigint
}

/** Result of {@link whatIf}: both plans (or why one cannot be made), the moves that differ and the risk figures. */
export interface WhatIfReturnType {
  change: WhatIfChange
  /** What the change is, in words. */
  description: string
  /** The plan under today's universe and policy. */
  baseline: { plan?: Plan; error?: { name: string; message: string } }
  /** The plan under the change. */
  scenario: { plan?: Plan; error?: { name: string; message: string }; scores: UniverseScores; universe: Universe; policy: Policy }
  /** Targets that differ between the two plans, sorted. */
  moves: WhatIfMove[]
  figures: WhatIfFigure[]
  /** Collateral the hypothetical slash takes from our positions, wei (0 for other changes). */
  lostToSlash: bigint
}

/** A what-if change that names nothing in the universe (unknown operator or service, fraction outside (0, 1]). */
export class WhatIfChangeError extends DomainError {
  override name = 'WhatIfChangeError' as const
}
/** {@link WhatIfChangeError} with its literal name. */
export type WhatIfChangeErrorType = WhatIfChangeError & { name: 'WhatIfChangeError' }

/**
 * Plans today and under a hypothetical change, and compares them.
 * @throws {WhatIfChangeError} when the change names an unknown operator/service or a fraction outside (0, 1]
 */
export function whatIf(p: WhatIfParameters): WhatIfReturnType {
  const { universe, policy, change, now } = p
  const baselineScores = scoreUniverse(universe, policy, { now })
  const baseline = tryPlan(() => planAllocation(universe, baselineScores, policy, { now }))
  const label = (k: string) => universe.operators.find((o) => o.address.toLowerCase() === k.toLowerCase())?.label || universe.services.find((s) => s.id.toLowerCase() === k.toLowerCase())?.label || short(k)

  let u = universe
  let pol = policy
  let lostToSlash = 0n
  let description: string
  let derisk: ReturnType<typeof deriskRequestsForSlashes> = []
  if (change.kind === 'slash') {
    const op = change.operator.toLowerCase()
    if (!universe.operators.some((o) => o.address.toLowerCase() === op)) throw new WhatIfChangeError(`operator ${change.operator} is not in the universe read`)
    if (!(change.fraction > 0 && change.fraction <= 1)) throw new WhatIfChangeError(`slash fraction ${change.fraction} is not in (0, 1]`)
    if (change.service && !universe.services.some((s) => s.id.toLowerCase() === change.service!.toLowerCase())) throw new WhatIfChangeError(`service ${change.service} is not in the universe read`)
    const ppm = BigInt(Math.round(change.fraction * 1e6))
    const hits = (svc: string) => (change.service ? svc.toLowerCase() === change.service.toLowerCase() : true)
    const records: Universe['services'][number]['slashes'] = []
    const positions = universe.positions.map((pos) => {
      let lost = 0n
      const allocations = pos.allocations.map((a) => {
        if (a.operator.toLowerCase() !== op || !hits(a.service) || a.stake === 0n) return a
        const cut = (a.stake * ppm) / 1_000_000n
        lost += cut
        records.push({ service: a.service, operator: a.operator, position: pos.id, amount: cut, stakeAtCapture: a.stake, captureTimestamp: now, timestamp: now, blockNumber: universe.blockNumber, txHash: `0x${'0'.repeat(64)}` as Hex })
        return { ...a, stake: a.stake - cut }
      })
      lostToSlash += lost
      return { ...pos, activeStake: pos.activeStake - lost, allocations }
    })
    const services = universe.services.map((s) => ({ ...s, slashes: [...s.slashes, ...records.filter((r) => r.service === s.id)] }))
    u = { ...universe, positions, services }
    derisk = deriskRequestsForSlashes(u, policy, { since: now })
    description = `slash ${label(change.operator)} by ${pct(change.fraction, 0)}${change.service ? ` in ${label(change.service)}` : ' in every service where it holds our stake'}: ${units(lostToSlash)} lost, slash response ${policy.slashResponse}`
  } else if (change.kind === 'denyService') {
    if (!universe.services.some((s) => s.id.toLowerCase() === change.service.toLowerCase())) throw new WhatIfChangeError(`service ${change.service} is not in the universe read`)
    pol = { ...policy, services: { ...policy.services, deny: [...new Set([...policy.services.deny, change.service.toLowerCase() as ServiceId])] } }
    description = `deny service ${label(change.service)}`
  } else if (change.kind === 'denyOperator') {
    if (!universe.operators.some((o) => o.address.toLowerCase() === change.operator.toLowerCase())) throw new WhatIfChangeError(`operator ${change.operator} is not in the universe read`)
    pol = { ...policy, operators: { ...policy.operators, deny: [...new Set([...policy.operators.deny, change.operator.toLowerCase() as Address])] } }
    description = `deny operator ${label(change.operator)}`
  } else {
    pol = change.policy
    description = `apply the edited policy${change.label ? ` ${change.label}` : ''}`
  }
  const scores = scoreUniverse(u, pol, { now })
  const scenario = tryPlan(() => planAllocation(u, scores, pol, { now, ...(derisk.length ? { derisk } : {}) }))

  const moves: WhatIfMove[] = []
  const before = new Map<string, WhatIfMove>()
  const key = (pos: string, s: string, o: string) => `${pos}|${s.toLowerCase()}|${o.toLowerCase()}`
  for (const pp of baseline.plan?.positions ?? []) for (const t of pp.targets) before.set(key(pp.position, t.service, t.operator), { position: pp.position, service: t.service, operator: t.operator, before: t.stake, after: 0n })
  for (const pp of scenario.plan?.positions ?? [])
    for (const t of pp.targets) {
      const k = key(pp.position, t.service, t.operator)
      const m = before.get(k) ?? { position: pp.position, service: t.service, operator: t.operator, before: 0n, after: 0n }
      before.set(k, { ...m, after: t.stake })
    }
  for (const m of before.values()) if (m.before !== m.after) moves.push(m)
  moves.sort((a, b) => cmp(a.position, b.position) || cmp(a.service, b.service) || cmp(a.operator, b.operator))

  const rf = (pl: Plan | undefined) => pl?.riskFigures
  const b = rf(baseline.plan)
  const a = rf(scenario.plan)
  const nan = Number.NaN
  const figures: WhatIfFigure[] = [
    { key: 'netYieldPerYear', label: 'planned net yield /yr', before: baseline.plan?.objectivePerYear ?? nan, after: scenario.plan?.objectivePerYear ?? nan, unit: 'wei' },
    { key: 'expectedAnnualLoss', label: 'planned expected loss /yr', before: b?.expectedAnnualLoss ?? nan, after: a?.expectedAnnualLoss ?? nan, unit: 'wei' },
    { key: 'expectedLossFraction', label: 'expected loss, % of stake /yr', before: b?.expectedLossFraction ?? nan, after: a?.expectedLossFraction ?? nan, unit: 'fraction', limit: pol.riskBudget },
    {
      key: 'maxOperatorCompoundedSlashProbability',
      label: 'worst operator: P(slashed)/yr in its vault',
      before: b?.maxOperatorCompoundedSlashProbability ?? nan,
      after: a?.maxOperatorCompoundedSlashProbability ?? nan,
      unit: 'fraction',
      limit: pol.maxCompoundedSlashProbability,
    },
    { key: 'maxVaultCompoundedSlashProbability', label: 'worst vault: P(slashed at least once)/yr', before: b?.maxVaultCompoundedSlashProbability ?? nan, after: a?.maxVaultCompoundedSlashProbability ?? nan, unit: 'fraction' },
    { key: 'herfindahl', label: 'concentration (Herfindahl)', before: b?.herfindahl ?? nan, after: a?.herfindahl ?? nan, unit: 'ratio' },
    { key: 'maxLeverage', label: 'restaking leverage (max)', before: b?.maxLeverage ?? nan, after: a?.maxLeverage ?? nan, unit: 'ratio', limit: pol.leverageCap },
    ...(change.kind === 'slash' ? [{ key: 'lostToSlash' as const, label: 'lost to the slash', before: 0, after: Number(lostToSlash), unit: 'wei' as const }] : []),
  ]
  return { change, description, baseline, scenario: { ...scenario, scores, universe: u, policy: pol }, moves, figures, lostToSlash }
}

/**
 * The what-if as text: what changes, the risk figures before → after (against the policy's limits), and every move.
 * @param token the collateral's symbol, for amounts
 */
export function formatWhatIf(r: WhatIfReturnType, opts: { token?: string; label?: (k: string) => string } = {}): string {
  const token = opts.token ?? 'tokens'
  const label = opts.label ?? short
  const fig = (f: WhatIfFigure, v: number) => (!Number.isFinite(v) ? '—' : f.unit === 'fraction' ? pct(v) : f.unit === 'wei' ? `${unitsFloat(v)} ${token}` : v.toFixed(3))
  const out = [`What if: ${r.description}`]
  if (r.baseline.error) out.push(`  today's policy cannot be met now: ${r.baseline.error.name}: ${r.baseline.error.message.split('\n')[0]}`)
  if (r.scenario.error) out.push(`  with the change the policy cannot be met: ${r.scenario.error.name}: ${r.scenario.error.message.split('\n')[0]}`)
  out.push('', 'Risk figures (planned)   today → with the change')
  for (const f of r.figures) {
    const over = f.limit !== undefined && Number.isFinite(f.after) && f.after > f.limit + 1e-12
    out.push(`  ${f.label.padEnd(44)} ${fig(f, f.before)} → ${fig(f, f.after)}${f.limit !== undefined ? `  (limit ${f.unit === 'fraction' ? pct(f.limit) : f.limit.toFixed(2)}${over ? ', OVER' : ''})` : ''}`)
  }
  out.push('', r.moves.length ? `Plan changes (${r.moves.length}):` : 'The plan does not change.')
  for (const m of r.moves) {
    const d = m.after - m.before
    out.push(`  ${label(m.service)} / ${label(m.operator)}: ${units(m.before)} → ${units(m.after)} ${token} (${d > 0n ? '+' : ''}${units(d)})`)
  }
  return `${out.join('\n')}\n`
}

function tryPlan(f: () => Plan): { plan?: Plan; error?: { name: string; message: string } } {
  try {
    return { plan: f() }
  } catch (e) {
    return { error: { name: (e as Error).name, message: (e as Error).message } }
  }
}
