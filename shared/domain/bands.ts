/**
 * Policy bands: how close an operator or a service is to breaking a limit the curator set, not where it sits on a
 * fixed 0–100 scale. Each figure that the policy limits is divided by its limit; the worst ratio gives the band:
 * `critical` ≥ 90 % of a limit (or over it, or on a deny list), `high` ≥ 70 %, `medium` ≥ 40 %, `low` below.
 *
 * Figures and the limits they are held against (docs/policy.md):
 * - operator: P(operator slashed)/yr over every service it is opted into vs `maxCompoundedSlashProbability`;
 *   the loss rate of its riskiest pair p·sev·h vs `riskBudget` (that pair alone, holding all stake, would spend
 *   this much of the budget); its share of a position's active stake vs `caps.perOperator`; `operators.deny`.
 * - service: its slash probability p vs `maxCompoundedSlashProbability`; p·sev·h vs `riskBudget`; its share of a
 *   position's active stake vs `caps.perService`; `services.deny`.
 *
 * The planner and the bands are reconciled: an operator or service that the plan gives stake although its band
 * is critical, or that the plan leaves empty although its band is low, carries a `planNote` saying why.
 */
import type { Plan } from './plan.js'
import type { Policy } from './policy.js'
import type { Band, UniverseScores } from './score.js'
import { pct } from './format.js'
import type { Universe } from './types.js'

/** Lower bound of each band, as a fraction of the policy limit. */
export const POLICY_BAND_THRESHOLDS = { medium: 0.4, high: 0.7, critical: 0.9 } as const

/** One policy-limited figure of an operator or a service. */
export interface BandFigure {
  /** Policy field the figure is held against. */
  limitField: 'maxCompoundedSlashProbability' | 'riskBudget' | 'caps.perOperator' | 'caps.perService' | 'operators.deny' | 'services.deny'
  /** What is measured, in words (distinct per scope). */
  label: string
  value: number
  limit: number
  /** value ÷ limit (Infinity for a denied one). */
  ratio: number
}

/** The band of one operator or service under the policy. */
export interface PolicyBand {
  band: Band
  /** The worst figure (largest ratio); absent when the policy limits nothing measurable here. */
  worst?: BandFigure
  figures: BandFigure[]
  /** One sentence: which limit decides the band and how close it is. */
  because: string
  /** Planned stake (wei) in the plan given, Σ over positions. */
  plannedStake?: bigint
  /** Why the plan and the band seem to disagree (critical but planned, low but left empty); absent when they agree. */
  planNote?: string
}

/** Parameters of {@link policyBands}. */
export interface PolicyBandsParameters {
  universe: Universe
  scores: UniverseScores
  policy: Policy
  /** The plan under the same policy, to reconcile the bands with its choices. */
  plan?: Plan
}

/** Return type of {@link policyBands}: bands by lower-case operator address and service id. */
export interface PolicyBandsReturnType {
  operators: Record<string, PolicyBand>
  services: Record<string, PolicyBand>
}

/** Band of a ratio to a policy limit. */
export function bandOfRatio(ratio: number): Band {
  if (ratio >= POLICY_BAND_THRESHOLDS.critical) return 'critical'
  if (ratio >= POLICY_BAND_THRESHOLDS.high) return 'high'
  if (ratio >= POLICY_BAND_THRESHOLDS.medium) return 'medium'
  return 'low'
}

/**
 * Bands every scored operator and service by its distance to the policy's limits, and reconciles them with the plan.
 * @returns bands keyed by lower-case operator address / service id
 */
export function policyBands(p: PolicyBandsParameters): PolicyBandsReturnType {
  const { universe, scores, policy, plan } = p
  const lc = (s: string) => s.toLowerCase()
  const deniedOps = new Set(policy.operators.deny.map(lc))
  const deniedSvcs = new Set(policy.services.deny.map(lc))
  // Largest share of a position's active stake, per operator and per service, now.
  const opShare = new Map<string, number>()
  const svcShare = new Map<string, number>()
  for (const pos of universe.positions) {
    const active = Number(pos.activeStake)
    if (!(active > 0)) continue
    const perOp = new Map<string, bigint>()
    const perSvc = new Map<string, bigint>()
    for (const a of pos.allocations) {
      perOp.set(lc(a.operator), (perOp.get(lc(a.operator)) ?? 0n) + a.stake)
      perSvc.set(lc(a.service), (perSvc.get(lc(a.service)) ?? 0n) + a.stake)
    }
    for (const [k, v] of perOp) opShare.set(k, Math.max(opShare.get(k) ?? 0, Number(v) / active))
    for (const [k, v] of perSvc) svcShare.set(k, Math.max(svcShare.get(k) ?? 0, Number(v) / active))
  }
  const plannedOp = new Map<string, bigint>()
  const plannedSvc = new Map<string, bigint>()
  const plannedPairs = new Set<string>()
  for (const pp of plan?.positions ?? [])
    for (const t of pp.targets) {
      if (t.stake === 0n) continue
      plannedOp.set(lc(t.operator), (plannedOp.get(lc(t.operator)) ?? 0n) + t.stake)
      plannedSvc.set(lc(t.service), (plannedSvc.get(lc(t.service)) ?? 0n) + t.stake)
      plannedPairs.add(`${lc(t.service)}|${lc(t.operator)}`)
    }

  const operators: Record<string, PolicyBand> = {}
  for (const o of scores.operators) {
    const key = lc(o.operator)
    const pairs = scores.pairs.filter((x) => lc(x.operator) === key)
    const worstPairLoss = Math.max(0, ...pairs.map((x) => x.expectedLossPerYear))
    const figures: BandFigure[] = [
      figure('maxCompoundedSlashProbability', 'P(operator slashed)/yr, all its services', o.compoundedSlashProbability, policy.maxCompoundedSlashProbability),
      figure('riskBudget', 'loss rate of its riskiest service, p·sev·h /yr', worstPairLoss, policy.riskBudget),
      figure('caps.perOperator', 'its share of a vault’s active stake', opShare.get(key) ?? 0, policy.caps.perOperator),
      ...(deniedOps.has(key) ? [denied('operators.deny')] : []),
    ]
    const band = bandFrom(figures)
    const planned = plan ? (plannedOp.get(key) ?? 0n) : undefined
    let planNote: string | undefined
    if (planned !== undefined && planned > 0n && band.band === 'critical') {
      // Planned in spite of a critical band: the planner limits P(slashed) over the services it uses for us, not all.
      const used = pairs.filter((x) => plannedPairs.has(`${lc(x.service)}|${key}`))
      const scoped = 1 - used.reduce((s, x) => s * (1 - x.slashProbabilityPerYear), 1)
      planNote = `holds stake in the plan: within its ${used.length} planned service(s) P(slashed)/yr is ${pct(scoped)} (limit ${pct(policy.maxCompoundedSlashProbability)}) and every cap holds; the band counts all ${pairs.length} services it is opted into`
    } else if (planned === 0n && band.band === 'low') planNote = lowButEmpty(plan!, key, 'operator')
    operators[key] = { ...band, ...(planned !== undefined ? { plannedStake: planned } : {}), ...(planNote ? { planNote } : {}) }
  }

  const services: Record<string, PolicyBand> = {}
  for (const s of scores.services) {
    const key = lc(s.service)
    const figures: BandFigure[] = [
      figure('maxCompoundedSlashProbability', 'P(service slashes an operator)/yr', s.slashProbabilityPerYear, policy.maxCompoundedSlashProbability),
      figure('riskBudget', 'loss rate p·sev·h /yr', s.expectedLossPerYear, policy.riskBudget),
      figure('caps.perService', 'its share of a vault’s active stake', svcShare.get(key) ?? 0, policy.caps.perService),
      ...(deniedSvcs.has(key) ? [denied('services.deny')] : []),
    ]
    const band = bandFrom(figures)
    const planned = plan ? (plannedSvc.get(key) ?? 0n) : undefined
    let planNote: string | undefined
    if (planned !== undefined && planned > 0n && band.band === 'critical')
      planNote = `holds stake in the plan: the planner keeps every vault-wide figure within the policy (expected loss ${pct(plan!.riskFigures.expectedLossFraction)}/yr of stake against riskBudget ${pct(policy.riskBudget)}), the band measures the service alone`
    else if (planned === 0n && band.band === 'low') planNote = lowButEmpty(plan!, key, 'service')
    services[key] = { ...band, ...(planned !== undefined ? { plannedStake: planned } : {}), ...(planNote ? { planNote } : {}) }
  }
  return { operators, services }
}

function figure(limitField: BandFigure['limitField'], label: string, value: number, limit: number): BandFigure {
  return { limitField, label, value, limit, ratio: limit > 0 ? value / limit : value > 0 ? Number.POSITIVE_INFINITY : 0 }
}

function denied(limitField: 'operators.deny' | 'services.deny'): BandFigure {
  return { limitField, label: `on the policy’s ${limitField} list`, value: 1, limit: 0, ratio: Number.POSITIVE_INFINITY }
}

function bandFrom(figures: BandFigure[]): Pick<PolicyBand, 'band' | 'worst' | 'figures' | 'because'> {
  const worst = figures.reduce<BandFigure | undefined>((w, f) => (w === undefined || f.ratio > w.ratio ? f : w), undefined)
  if (!worst) return { band: 'low', figures, because: 'the policy limits nothing measured here' }
  const band = bandOfRatio(worst.ratio)
  const because = Number.isFinite(worst.ratio) ? `${worst.label} ${pct(worst.value)} is ${pct(worst.ratio, 0)} of ${worst.limitField} ${pct(worst.limit)}${worst.ratio > 1 ? ' (over the limit)' : ''}` : worst.label
  return { band, worst, figures, because }
}

function lowButEmpty(plan: Plan, key: string, what: 'operator' | 'service'): string {
  const binding = plan.binding.filter((b) => b.subject.toLowerCase().split('|').includes(key)).map((b) => b.message)
  if (binding.length) return `no stake in the plan although far from every limit: ${binding[0]}`
  return `no stake in the plan although far from every limit: other ${what === 'operator' ? 'operators' : 'services'} earn more net value per unit of risk within the caps`
}
