/** The building blocks of scoring (score.ts): the 0–100 risk parts, the explained terms, and small figures (Herfindahl). */
import type { Operator, Service } from './types.js'
import type { ScoreTerm } from './terms.js'
import { num, pct } from './format.js'
import { type Band, BAND_THRESHOLDS, type HaircutSource, REDISTRIBUTION_LOSS_FACTOR, RISK_WEIGHTS, type SeveritySource } from './scoreModel.js'

export const clamp01 = (v: number) => (Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 1)
export const slashingRisk = (lossRate: number) => 100 * (1 - Math.exp(-lossRate / 0.005))
export const contractRisk = (haircut: number) => 100 * Math.min(1, haircut / 0.5)
export const centralizationRisk = (share: number) => 100 * (1 - Math.exp(-share / 0.1))
export const round = (v: number) => Math.round(v * 100) / 100

export function riskScore(parts: { slashing: number; contract: number; centralization: number }): number {
  return round(RISK_WEIGHTS.slashing * parts.slashing + RISK_WEIGHTS.contract * parts.contract + RISK_WEIGHTS.centralization * parts.centralization)
}

export function riskTerms(parts: { slashing: number; contract: number; centralization: number }, what: string): ScoreTerm[] {
  const score = riskScore(parts)
  return [
    { name: 'slashing risk', value: round(parts.slashing), unit: 'score', category: 'slashing', explanation: `100·(1 − e^(−p·sev / 0.5 %)) for ${what}` },
    { name: 'contract risk', value: round(parts.contract), unit: 'score', category: 'contract', explanation: '100·min(1, haircut / 0.5)' },
    { name: 'centralization risk', value: round(parts.centralization), unit: 'score', category: 'centralization', explanation: `concentration of ${what}` },
    riskScoreTerm(score),
  ]
}

/** The 'risk score' term; its explanation depends on the band only (four shared strings). */
export const RISK_SCORE_WHY = /* @__PURE__ */ Object.fromEntries(
  (['low', 'medium', 'high', 'critical'] as const).map((b) => [
    b,
    `${RISK_WEIGHTS.slashing}·slashing + ${RISK_WEIGHTS.contract}·contract + ${RISK_WEIGHTS.centralization}·centralization → ${b} (low < ${BAND_THRESHOLDS.medium} ≤ medium < ${BAND_THRESHOLDS.high} ≤ high < ${BAND_THRESHOLDS.critical} ≤ critical)`,
  ]),
) as Record<Band, string>

export function riskScoreTerm(score: number): ScoreTerm {
  return { name: 'risk score', value: score, unit: 'score', explanation: RISK_SCORE_WHY[bandOf(score)] }
}

/** Pair terms that depend on the service alone. */
export interface ServiceTerms {
  r: ScoreTerm
  exposure: ScoreTerm
  severity: ScoreTerm
  haircut: ScoreTerm
  h: ScoreTerm
  contractRisk: ScoreTerm
  /** Slash terms by slash count k (no override). */
  byK: Map<number, SlashTerms>
}

/** Pair terms that depend on the service and the slash probability. */
export interface SlashTerms {
  k: ScoreTerm
  p: ScoreTerm
  loss: ScoreTerm
  slashingRisk: ScoreTerm
}

/** Pair terms that depend on the operator alone. */
export interface OperatorTerms {
  commission: ScoreTerm
  concentration: ScoreTerm
  centralizationRisk: ScoreTerm
}

export function slashTerms(f: ServiceFacts, p: number, k: number, h: number, pWhy: string): SlashTerms {
  // A redistributing operator set (EigenLayer) multiplies the expected loss: its AVS gains from a slash.
  const rho = f.s.redistributing ? REDISTRIBUTION_LOSS_FACTOR : 1
  return {
    k: { name: 'slashes observed', value: k, unit: 'count', category: 'slashing', explanation: `distinct slash events of this operator in this service since ${f.s.observedSince}` },
    p: { name: 'slash probability p', value: p, unit: '%/yr', category: 'slashing', explanation: pWhy },
    loss: { name: 'expected loss p·sev·h', value: p * f.severity * h * rho, unit: '%/yr', category: 'slashing', explanation: `${pct(p)} · ${pct(f.severity)} · ${num(h)}${rho !== 1 ? ` · ${num(rho)}` : ''}` },
    slashingRisk: { name: 'slashing risk', value: round(slashingRisk(p * f.severity * rho)), unit: 'score', category: 'slashing', explanation: '100·(1 − e^(−p·sev / 0.5 %)) for the operator' },
  }
}

export function operatorTermsOf(commission: number, source: 'policy' | 'chain', share: number): OperatorTerms {
  return {
    commission: { name: 'commission c', value: commission, unit: 'fraction', category: 'yield', explanation: source === 'policy' ? 'policy operatorMetadata.commission' : 'on-chain commission' },
    concentration: { name: 'operator concentration', value: share, unit: 'fraction', category: 'centralization', explanation: 'operator share of all restaked stake read' },
    centralizationRisk: { name: 'centralization risk', value: round(centralizationRisk(share)), unit: 'score', category: 'centralization', explanation: 'concentration of the operator' },
  }
}

export interface ServiceFacts {
  s: Service
  label: string
  years: number
  severity: number
  severitySource: SeveritySource
  haircut: number
  haircutSource: HaircutSource
  haircutWhy: string
  /** Distinct slash events per operator. */
  slashesByOperator: Map<string, number>
  events: number
}

/** The `redistribution factor` term of a redistributing operator set (none for other services). */
export function redistributionTerms(s: Service): ScoreTerm[] {
  if (!s.redistributing) return []
  return [
    {
      name: 'redistribution factor',
      value: REDISTRIBUTION_LOSS_FACTOR,
      unit: 'x',
      category: 'slashing',
      explanation: 'redistributing operator set: slashed funds go to a recipient the AVS chose (not burned), so the AVS gains from a slash; multiplies expected loss',
    },
  ]
}

/** Herfindahl index Σ share² of a list of non-negative amounts (0 when the total is 0). */
export function herfindahl(amounts: readonly bigint[]): number {
  const total = amounts.reduce((a, b) => a + b, 0n)
  if (total <= 0n) return 0
  let h = 0
  for (const a of [...amounts].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))) {
    const s = Number((a * 1_000_000_000_000n) / total) / 1e12
    h += s * s
  }
  return h
}

export function severityWhy(f: ServiceFacts): string {
  if (f.severitySource === 'policy') return 'policy serviceMetadata.severity'
  if (f.severitySource === 'history') return 'largest observed slashed fraction (amount / stake at capture)'
  return 'no metadata or history: scoring.defaultSeverity'
}

export function meanHaircut(o: Operator, facts: Map<string, ServiceFacts>): number {
  let s = 0
  let n = 0
  for (const id of new Set(o.services.map((x) => x.toLowerCase()))) {
    const f = facts.get(id)
    if (f) {
      s += f.haircut
      n++
    }
  }
  return n === 0 ? 0 : s / n
}

/** Band of a 0–100 risk score. */
export function bandOf(score: number): Band {
  if (score >= BAND_THRESHOLDS.critical) return 'critical'
  if (score >= BAND_THRESHOLDS.high) return 'high'
  if (score >= BAND_THRESHOLDS.medium) return 'medium'
  return 'low'
}

/** Contract-risk haircut derived from audits, age and TVL (see the module comment). */
export function contractHaircut(c: { audits: number; ageDays: number; tvlUsd?: number | undefined }): number {
  const audit = 1 / (1 + Math.max(0, c.audits))
  const age = 365 / (365 + Math.max(0, c.ageDays))
  const tvl = c.tvlUsd === undefined ? 1 : 1 / (1 + Math.log10(1 + Math.max(0, c.tvlUsd) / 1e6))
  return clamp01(0.5 * audit * age * tvl)
}
