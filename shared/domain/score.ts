/**
 * Scoring: for every service, operator and (operator, service) pair, the yield and risk figures that
 * planning uses, a 0–100 risk score with a band, and the list of terms that produced each number.
 *
 * Formulas (docs/policy.md):
 * - net expected yield of stake given to operator o in service s: `r_s · (1 − c_o)` per year;
 * - slash probability per year of (o, s): Beta prior `(α + k_{o,s}) / (α + β + exposureYears_s)`, where
 *   `k` counts distinct slash events (distinct capture timestamps) of o in s and the exposure runs from
 *   `service.observedSince` to `now`; a policy override (pair, then operator, then service) wins;
 * - severity: policy metadata, else the largest observed `amount / stakeAtCapture` in the service,
 *   else `scoring.defaultSeverity`;
 * - contract risk: a haircut η ∈ [0, 1] (policy `haircut`, else derived from `contractRisk`, else
 *   `scoring.defaultHaircut`); expected loss is multiplied by the contract factor `h = 1 + η`;
 *   derived `η = 0.5 · 1/(1 + audits) · 365/(365 + ageDays) · 1/(1 + log10(1 + tvlUsd/1e6))`;
 * - expected loss rate `p · sev · h`; net value `r(1 − c) − p·sev·h` (the LP objective coefficient);
 * - redistribution: an EigenLayer redistributing operator set pays slashed funds to a recipient its AVS chose, so the
 *   AVS gains from a slash; its expected loss is multiplied by {@link REDISTRIBUTION_LOSS_FACTOR} (term
 *   `redistribution factor`), and `services.denyRedistributing` (on by default) keeps stake out of such sets;
 * - compounded probability of operator o: `1 − Π_s (1 − p_{o,s})` over the services it is opted into;
 * - concentration: operator's share of all restaked stake; Herfindahl index of our current allocation.
 *
 * Risk score (0 = safest, 100 = riskiest) = 0.5·slashing + 0.25·contract + 0.25·centralization, with
 * slashing = 100·(1 − e^(−p·sev / 0.5 %)), contract = 100·min(1, η / 0.5), centralization =
 * 100·(1 − e^(−share / 10 %)) for operators and pairs, 100·HHI of its operators' stake for a service.
 * Bands: low < 25 ≤ medium < 50 ≤ high < 75 ≤ critical.
 */
import type { Address, Operator, Service, ServiceId, Universe } from './types.js'
import type { Policy } from './policy.js'
import { SECONDS_PER_YEAR, cmp, num, pct } from './format.js'
import { type SecurityFigures, securityCheck, universeStakes } from './security.js'
import type { ScoreTerm } from './terms.js'
import { UnknownPositionError } from './errors.js'

/** Risk band of a score. */
export type Band = 'low' | 'medium' | 'high' | 'critical'

/** Category of a score term; the three risk categories plus yield. */
export type { ScoreCategory, ScoreTerm } from './terms.js'

/** Band thresholds on the 0–100 risk score (lower bound of each band). */
export const BAND_THRESHOLDS = { medium: 25, high: 50, critical: 75 } as const

/** Weights of the three risk categories in the risk score. */
export const RISK_WEIGHTS = { slashing: 0.5, contract: 0.25, centralization: 0.25 } as const

/**
 * Multiplier on the expected loss of a redistributing operator set (Service.redistributing): a slash pays the AVS's
 * chosen recipient instead of burning, so the party that decides to slash gains from it. 2 = such a set is scored as
 * twice as likely to slash as the same set with burning.
 */
export const REDISTRIBUTION_LOSS_FACTOR = 2

/** Where a severity came from. */
export type SeveritySource = 'policy' | 'history' | 'default'
/** Where a contract haircut came from. */
export type HaircutSource = 'policy' | 'contractRisk' | 'default'

/** Scores of one service. */
export interface ServiceScore {
  service: ServiceId
  label: string
  rewardRatePerYear: number
  /** Distinct slash events (operator, capture timestamp) observed in the service. */
  slashEvents: number
  exposureYears: number
  /** Probability per year that the service slashes (anyone), Beta prior. */
  slashProbabilityPerYear: number
  severity: number
  severitySource: SeveritySource
  haircut: number
  haircutSource: HaircutSource
  /** Contract factor h = 1 + haircut, multiplies expected loss. */
  contractFactor: number
  /** p_s · sev_s · h_s per year. */
  expectedLossPerYear: number
  /** Operators opted into the service. */
  operatorCount: number
  /** Herfindahl index of the opted-in operators' total restaked stake. */
  operatorHerfindahl: number
  /** Risk score 0 (safest) … 100 (riskiest). */
  score: number
  band: Band
  terms: ScoreTerm[]
}

/** Scores of one operator. */
export interface OperatorScore {
  operator: Address
  label: string
  commission: number
  commissionSource: 'chain' | 'policy'
  /** Services (known to the universe) the operator is opted into. */
  serviceCount: number
  /** 1 − Π_s (1 − p_{o,s}) over its services. */
  compoundedSlashProbability: number
  /** Σ_s p·sev·h over its services: the loss rate if one unit of stake secured all of them. */
  expectedLossPerYear: number
  /** Operator's share of all restaked stake in the universe. */
  concentration: number
  totalRestakedStake: bigint
  /** Best net value per year among its pairs (0 when none). */
  bestNetValuePerYear: number
  score: number
  band: Band
  terms: ScoreTerm[]
}

/** Scores of one (operator, service) pair: the LP objective coefficient and risk row come from here. */
export interface PairScore {
  service: ServiceId
  operator: Address
  rewardRatePerYear: number
  commission: number
  /** r_s · (1 − c_o). */
  netYieldPerYear: number
  slashes: number
  exposureYears: number
  slashProbabilityPerYear: number
  probabilitySource: 'estimate' | 'override'
  severity: number
  contractFactor: number
  /** p · sev · h. */
  expectedLossPerYear: number
  /** r(1 − c) − p·sev·h: what one unit of stake earns net of expected loss, per year. */
  netValuePerYear: number
  score: number
  band: Band
  terms: ScoreTerm[]
}

/** Allocation figures of one position at scoring time. */
export interface PositionScore {
  position: string
  activeStake: bigint
  /** Σ of current pair stakes (can exceed active stake with restaking). */
  allocatedStake: bigint
  /** Herfindahl index of current stake across operators. */
  herfindahl: number
}

/** Everything scoring produces; every list sorted by id. */
export interface UniverseScores {
  chainId: number
  blockNumber: bigint
  now: bigint
  services: ServiceScore[]
  operators: OperatorScore[]
  /** Sorted by (service, operator). */
  pairs: PairScore[]
  totalRestakedStake: bigint
  /** Herfindahl index of our current allocation across operators (managed positions together). */
  herfindahl: number
  positions: PositionScore[]
  bandThresholds: typeof BAND_THRESHOLDS
  /** Cryptoeconomic security (security.ts, docs/risk.md); absent in runs recorded before it existed. */
  security?: SecurityFigures
}

/** Options of {@link scoreUniverse}. */
export interface ScoreUniverseOptions {
  /** Unix seconds: end of the exposure window. */
  now: bigint
}

/** Key of a (service, operator) pair in maps. */
export function pairKey(service: string, operator: string): string {
  return `${service}|${operator}`
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

/** The managed positions of a universe under a policy (policy.positions empty = all), sorted by id. */
export function managedPositions<P extends { id: string; vault: string }>(positions: readonly P[], policy: Policy): P[] {
  const wanted = policy.positions.length === 0 ? undefined : new Set(policy.positions.map((p) => p.vault.toLowerCase()))
  return positions.filter((p) => wanted === undefined || wanted.has(p.vault.toLowerCase()) || wanted.has(p.id.toLowerCase())).sort((a, b) => cmp(a.id, b.id))
}

/**
 * Policy positions that match no position of the universe (by vault or id) and none of `alsoKnown` (positions the
 * configuration gives to another protocol's run), lower-case, sorted.
 */
export function unknownPositions(positions: readonly { id: string; vault: string }[], policy: Policy, alsoKnown: readonly string[] = []): string[] {
  const known = new Set([...positions.flatMap((p) => [p.vault, p.id]), ...alsoKnown].map((x) => x.toLowerCase()))
  return policy.positions
    .map((p) => p.vault.toLowerCase())
    .filter((v) => !known.has(v))
    .sort()
}

/**
 * Refuses a policy whose positions name nothing the bot reads (docs/policy.md): such a position would run as
 * `noChange` forever.
 * @param positions the universe's positions
 * @param alsoKnown positions the configuration gives to other protocols (their runs read them)
 * @throws {UnknownPositionError} naming every unmatched position
 */
export function assertPositionsKnown(positions: readonly { id: string; vault: string }[], policy: Policy, alsoKnown: readonly string[] = []): void {
  const unknown = unknownPositions(positions, policy, alsoKnown)
  if (unknown.length > 0) throw new UnknownPositionError({ positions: unknown, known: [...new Set([...positions.map((p) => p.id), ...alsoKnown])].sort() })
}

const clamp01 = (v: number) => (Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 1)
const slashingRisk = (lossRate: number) => 100 * (1 - Math.exp(-lossRate / 0.005))
const contractRisk = (haircut: number) => 100 * Math.min(1, haircut / 0.5)
const centralizationRisk = (share: number) => 100 * (1 - Math.exp(-share / 0.1))
const round = (v: number) => Math.round(v * 100) / 100

function riskScore(parts: { slashing: number; contract: number; centralization: number }): number {
  return round(RISK_WEIGHTS.slashing * parts.slashing + RISK_WEIGHTS.contract * parts.contract + RISK_WEIGHTS.centralization * parts.centralization)
}

function riskTerms(parts: { slashing: number; contract: number; centralization: number }, what: string): ScoreTerm[] {
  const score = riskScore(parts)
  return [
    { name: 'slashing risk', value: round(parts.slashing), unit: 'score', category: 'slashing', explanation: `100·(1 − e^(−p·sev / 0.5 %)) for ${what}` },
    { name: 'contract risk', value: round(parts.contract), unit: 'score', category: 'contract', explanation: '100·min(1, haircut / 0.5)' },
    { name: 'centralization risk', value: round(parts.centralization), unit: 'score', category: 'centralization', explanation: `concentration of ${what}` },
    riskScoreTerm(score),
  ]
}

/** The 'risk score' term; its explanation depends on the band only (four shared strings). */
const RISK_SCORE_WHY = /* @__PURE__ */ Object.fromEntries(
  (['low', 'medium', 'high', 'critical'] as const).map((b) => [
    b,
    `${RISK_WEIGHTS.slashing}·slashing + ${RISK_WEIGHTS.contract}·contract + ${RISK_WEIGHTS.centralization}·centralization → ${b} (low < ${BAND_THRESHOLDS.medium} ≤ medium < ${BAND_THRESHOLDS.high} ≤ high < ${BAND_THRESHOLDS.critical} ≤ critical)`,
  ]),
) as Record<Band, string>

function riskScoreTerm(score: number): ScoreTerm {
  return { name: 'risk score', value: score, unit: 'score', explanation: RISK_SCORE_WHY[bandOf(score)] }
}

/** Pair terms that depend on the service alone. */
interface ServiceTerms {
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
interface SlashTerms {
  k: ScoreTerm
  p: ScoreTerm
  loss: ScoreTerm
  slashingRisk: ScoreTerm
}

/** Pair terms that depend on the operator alone. */
interface OperatorTerms {
  commission: ScoreTerm
  concentration: ScoreTerm
  centralizationRisk: ScoreTerm
}

function slashTerms(f: ServiceFacts, p: number, k: number, h: number, pWhy: string): SlashTerms {
  // A redistributing operator set (EigenLayer) multiplies the expected loss: its AVS gains from a slash.
  const rho = f.s.redistributing ? REDISTRIBUTION_LOSS_FACTOR : 1
  return {
    k: { name: 'slashes observed', value: k, unit: 'count', category: 'slashing', explanation: `distinct slash events of this operator in this service since ${f.s.observedSince}` },
    p: { name: 'slash probability p', value: p, unit: '%/yr', category: 'slashing', explanation: pWhy },
    loss: { name: 'expected loss p·sev·h', value: p * f.severity * h * rho, unit: '%/yr', category: 'slashing', explanation: `${pct(p)} · ${pct(f.severity)} · ${num(h)}${rho !== 1 ? ` · ${num(rho)}` : ''}` },
    slashingRisk: { name: 'slashing risk', value: round(slashingRisk(p * f.severity * rho)), unit: 'score', category: 'slashing', explanation: '100·(1 − e^(−p·sev / 0.5 %)) for the operator' },
  }
}

function operatorTermsOf(commission: number, source: 'policy' | 'chain', share: number): OperatorTerms {
  return {
    commission: { name: 'commission c', value: commission, unit: 'fraction', category: 'yield', explanation: source === 'policy' ? 'policy operatorMetadata.commission' : 'on-chain commission' },
    concentration: { name: 'operator concentration', value: share, unit: 'fraction', category: 'centralization', explanation: 'operator share of all restaked stake read' },
    centralizationRisk: { name: 'centralization risk', value: round(centralizationRisk(share)), unit: 'score', category: 'centralization', explanation: 'concentration of the operator' },
  }
}

interface ServiceFacts {
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

/**
 * Scores a universe under a policy.
 * @param universe the state of the world at one block
 * @param policy validated policy (scoring parameters, metadata, overrides)
 * @param opts `now` (unix seconds) closes the exposure window
 * @returns scores of every service, operator and pair, each with its terms
 */
export function scoreUniverse(universe: Universe, policy: Policy, opts: ScoreUniverseOptions): UniverseScores {
  const { priorAlpha: alpha, priorBeta: beta } = policy.scoring
  const svcMeta = new Map(policy.scoring.serviceMetadata.map((m) => [m.service, m]))
  const opMeta = new Map(policy.scoring.operatorMetadata.map((m) => [m.operator, m]))
  const overrides = new Map(policy.scoring.slashProbabilityOverrides.map((o) => [`${o.operator ?? '*'}/${o.service ?? '*'}`, o.probabilityPerYear]))
  const overrideFor = (o: string, s: string): number | undefined => overrides.get(`${o}/${s}`) ?? overrides.get(`${o}/*`) ?? overrides.get(`*/${s}`)

  // --- services: facts first (pairs need them) ---
  const services = [...universe.services].sort((a, b) => cmp(a.id, b.id))
  const facts = new Map<string, ServiceFacts>()
  for (const s of services) {
    const id = s.id.toLowerCase()
    const meta = svcMeta.get(id)
    const years = opts.now > s.observedSince ? Number(opts.now - s.observedSince) / Number(SECONDS_PER_YEAR) : 0
    const events = new Set<string>()
    const byOp = new Map<string, Set<bigint>>()
    let maxFrac = -1
    for (const r of s.slashes) {
      const op = r.operator.toLowerCase()
      events.add(`${op}|${r.captureTimestamp}`)
      const set = byOp.get(op) ?? new Set<bigint>()
      set.add(r.captureTimestamp)
      byOp.set(op, set)
      if (r.stakeAtCapture > 0n) maxFrac = Math.max(maxFrac, Number((r.amount * 1_000_000_000n) / r.stakeAtCapture) / 1e9)
    }
    let severity: number
    let severitySource: SeveritySource
    if (meta?.severity !== undefined) [severity, severitySource] = [meta.severity, 'policy']
    else if (maxFrac >= 0) [severity, severitySource] = [clamp01(maxFrac), 'history']
    else [severity, severitySource] = [policy.scoring.defaultSeverity, 'default']
    let haircut: number
    let haircutSource: HaircutSource
    let haircutWhy: string
    if (meta?.haircut !== undefined) [haircut, haircutSource, haircutWhy] = [meta.haircut, 'policy', 'policy serviceMetadata.haircut']
    else if (meta?.contractRisk !== undefined) {
      const c = meta.contractRisk
      haircut = contractHaircut(c)
      haircutSource = 'contractRisk'
      haircutWhy = `0.5·1/(1+${c.audits} audits)·365/(365+${c.ageDays} days)${c.tvlUsd === undefined ? '' : `·1/(1+log10(1+${num(c.tvlUsd / 1e6)}M USD TVL))`}`
    } else [haircut, haircutSource, haircutWhy] = [policy.scoring.defaultHaircut, 'default', 'no contract metadata: scoring.defaultHaircut']
    facts.set(id, {
      s,
      label: meta?.label ?? s.label,
      years,
      severity,
      severitySource,
      haircut,
      haircutSource,
      haircutWhy,
      slashesByOperator: new Map([...byOp].map(([k, v]) => [k, v.size])),
      events: events.size,
    })
  }

  // --- operators: stake totals for concentration ---
  const operators = [...universe.operators].sort((a, b) => cmp(a.address.toLowerCase(), b.address.toLowerCase()))
  const totalRestaked = operators.reduce((acc, o) => acc + (o.totalRestakedStake > 0n ? o.totalRestakedStake : 0n), 0n)
  const shareOf = (o: Operator) => (totalRestaked > 0n && o.totalRestakedStake > 0n ? Number((o.totalRestakedStake * 1_000_000_000_000n) / totalRestaked) / 1e12 : 0)
  const opsByService = new Map<string, Operator[]>()
  for (const o of operators) for (const s of new Set(o.services.map((x) => x.toLowerCase()))) if (facts.has(s)) (opsByService.get(s) ?? opsByService.set(s, []).get(s)!).push(o)

  // --- shared pair terms (see the pair loop) ---
  const svTerms = new Map<string, ServiceTerms>()
  const serviceTermsOf = (sid: string, f: ServiceFacts): ServiceTerms => {
    let t = svTerms.get(sid)
    if (t === undefined) {
      const h = 1 + f.haircut
      t = {
        r: { name: 'reward rate r', value: f.s.rewardRatePerYear, unit: '%/yr', category: 'yield', explanation: `service ${f.label} pays ${pct(f.s.rewardRatePerYear)}/yr on allocated stake` },
        exposure: { name: 'exposure', value: f.years, unit: 'years', category: 'slashing', explanation: 'years the service has been observed' },
        severity: { name: 'severity sev', value: f.severity, unit: 'fraction', category: 'slashing', explanation: severityWhy(f) },
        haircut: { name: 'contract haircut', value: f.haircut, unit: 'fraction', category: 'contract', explanation: f.haircutWhy },
        h: { name: 'contract factor h', value: h, unit: 'x', category: 'contract', explanation: '1 + haircut, multiplies expected loss' },
        contractRisk: { name: 'contract risk', value: round(contractRisk(f.haircut)), unit: 'score', category: 'contract', explanation: '100·min(1, haircut / 0.5)' },
        byK: new Map(),
      }
      svTerms.set(sid, t)
    }
    return t
  }
  const slashTermsOf = (sv: ServiceTerms, f: ServiceFacts, k: number): SlashTerms => {
    let t = sv.byK.get(k)
    if (t === undefined) {
      const p = clamp01((alpha + k) / (alpha + beta + f.years))
      t = slashTerms(f, p, k, 1 + f.haircut, `Beta prior (α + k)/(α + β + years) = (${num(alpha)} + ${k})/(${num(alpha)} + ${num(beta)} + ${num(f.years)})`)
      sv.byK.set(k, t)
    }
    return t
  }
  const overrideSlashTerms = (f: ServiceFacts, p: number, k: number, h: number) => slashTerms(f, p, k, h, 'policy slashProbabilityOverrides')

  // --- pairs ---
  const pairs: PairScore[] = []
  const operatorScores: OperatorScore[] = []
  for (const o of operators) {
    const addr = o.address.toLowerCase() as Address
    const meta = opMeta.get(addr)
    const commission = clamp01(meta?.commission ?? o.commission)
    const commissionSource = meta?.commission !== undefined ? 'policy' : 'chain'
    const share = shareOf(o)
    let survive = 1
    let lossSum = 0
    let best = 0
    let n = 0
    let opTerms: OperatorTerms | undefined
    for (const sid of [...new Set(o.services.map((x) => x.toLowerCase()))].sort()) {
      const f = facts.get(sid)
      if (f === undefined) continue
      n++
      const k = f.slashesByOperator.get(addr) ?? 0
      const ov = overrideFor(addr, sid)
      const p = ov !== undefined ? ov : clamp01((alpha + k) / (alpha + beta + f.years))
      const r = f.s.rewardRatePerYear
      const netYield = r * (1 - commission)
      const h = 1 + f.haircut
      const rho = f.s.redistributing ? REDISTRIBUTION_LOSS_FACTOR : 1
      const loss = p * f.severity * h * rho
      const value = netYield - loss
      survive *= 1 - p
      lossSum += loss
      best = Math.max(best, value)
      const parts = { slashing: slashingRisk(p * f.severity * rho), contract: contractRisk(f.haircut), centralization: centralizationRisk(share) }
      const score = riskScore(parts)
      // Terms that depend on the service alone (or the operator alone) are one shared object each: at 2,000 operators
      // × 10 services, building and formatting them per pair dominated scoring.
      const sv = serviceTermsOf(sid, f)
      const sp = ov === undefined ? slashTermsOf(sv, f, k) : overrideSlashTerms(f, p, k, h)
      opTerms ??= operatorTermsOf(commission, commissionSource, share)
      const ot = opTerms
      pairs.push({
        service: sid as ServiceId,
        operator: addr,
        rewardRatePerYear: r,
        commission,
        netYieldPerYear: netYield,
        slashes: k,
        exposureYears: f.years,
        slashProbabilityPerYear: p,
        probabilitySource: ov !== undefined ? 'override' : 'estimate',
        severity: f.severity,
        contractFactor: h,
        expectedLossPerYear: loss,
        netValuePerYear: value,
        score,
        band: bandOf(score),
        terms: [
          sv.r,
          ot.commission,
          { name: 'net yield r·(1−c)', value: netYield, unit: '%/yr', category: 'yield', explanation: `${pct(r)} · (1 − ${pct(commission)})` },
          sp.k,
          sv.exposure,
          sp.p,
          sv.severity,
          sv.haircut,
          sv.h,
          ...redistributionTerms(f.s),
          sp.loss,
          { name: 'net value', value, unit: '%/yr', category: 'yield', explanation: `net yield − expected loss = ${pct(netYield)} − ${pct(loss)}` },
          ot.concentration,
          sp.slashingRisk,
          sv.contractRisk,
          ot.centralizationRisk,
          riskScoreTerm(score),
        ],
      })
    }
    const compounded = 1 - survive
    const parts = { slashing: slashingRisk(lossSum), contract: contractRisk(meanHaircut(o, facts)), centralization: centralizationRisk(share) }
    const score = riskScore(parts)
    operatorScores.push({
      operator: addr,
      label: meta?.label ?? o.label,
      commission,
      commissionSource,
      serviceCount: n,
      compoundedSlashProbability: compounded,
      expectedLossPerYear: lossSum,
      concentration: share,
      totalRestakedStake: o.totalRestakedStake,
      bestNetValuePerYear: best,
      score,
      band: bandOf(score),
      terms: [
        { name: 'commission c', value: commission, unit: 'fraction', category: 'yield', explanation: commissionSource === 'policy' ? 'policy operatorMetadata.commission' : 'on-chain commission' },
        { name: 'services secured', value: n, unit: 'count', category: 'slashing', explanation: 'services the operator is opted into (slashing amplification)' },
        {
          name: 'compounded slash probability',
          value: compounded,
          unit: '%/yr',
          category: 'slashing',
          explanation: `1 − Π(1 − p) over its ${n} services`,
        },
        { name: 'amplified expected loss', value: lossSum, unit: '%/yr', category: 'slashing', explanation: 'Σ p·sev·h over its services (one unit of stake securing all of them)' },
        { name: 'concentration', value: share, unit: 'fraction', category: 'centralization', explanation: 'operator share of all restaked stake read' },
        { name: 'best net value', value: best, unit: '%/yr', category: 'yield', explanation: 'best r(1−c) − p·sev·h among its services' },
        ...riskTerms(parts, 'the operator'),
      ],
    })
  }
  pairs.sort((a, b) => cmp(a.service, b.service) || cmp(a.operator, b.operator))

  // --- service scores ---
  const serviceScores: ServiceScore[] = services.map((s) => {
    const f = facts.get(s.id.toLowerCase()) as ServiceFacts
    const p = clamp01((alpha + f.events) / (alpha + beta + f.years))
    const h = 1 + f.haircut
    const ops = opsByService.get(s.id.toLowerCase()) ?? []
    const tot = ops.reduce((a, o) => a + (o.totalRestakedStake > 0n ? o.totalRestakedStake : 0n), 0n)
    const hhi = tot > 0n ? ops.reduce((a, o) => a + (Number((o.totalRestakedStake * 1_000_000n) / tot) / 1e6) ** 2, 0) : ops.length > 0 ? 1 / ops.length : 1
    const rho = s.redistributing ? REDISTRIBUTION_LOSS_FACTOR : 1
    const loss = p * f.severity * h * rho
    const parts = { slashing: slashingRisk(p * f.severity * rho), contract: contractRisk(f.haircut), centralization: 100 * Math.min(1, hhi) }
    const score = riskScore(parts)
    return {
      service: s.id.toLowerCase() as ServiceId,
      label: f.label,
      rewardRatePerYear: s.rewardRatePerYear,
      slashEvents: f.events,
      exposureYears: f.years,
      slashProbabilityPerYear: p,
      severity: f.severity,
      severitySource: f.severitySource,
      haircut: f.haircut,
      haircutSource: f.haircutSource,
      contractFactor: h,
      expectedLossPerYear: loss,
      operatorCount: ops.length,
      operatorHerfindahl: hhi,
      score,
      band: bandOf(score),
      terms: [
        { name: 'reward rate r', value: s.rewardRatePerYear, unit: '%/yr', category: 'yield', explanation: 'annualised staker rewards per unit of allocated stake' },
        { name: 'slash events', value: f.events, unit: 'count', category: 'slashing', explanation: 'distinct (operator, capture) slash events observed' },
        { name: 'exposure', value: f.years, unit: 'years', category: 'slashing', explanation: `observed since ${s.observedSince}` },
        {
          name: 'slash probability p',
          value: p,
          unit: '%/yr',
          category: 'slashing',
          explanation: `Beta prior (α + events)/(α + β + years) = (${num(alpha)} + ${f.events})/(${num(alpha)} + ${num(beta)} + ${num(f.years)})`,
        },
        { name: 'severity sev', value: f.severity, unit: 'fraction', category: 'slashing', explanation: severityWhy(f) },
        { name: 'veto window', value: s.vetoWindowSeconds, unit: 'count', category: 'slashing', explanation: 'seconds during which a slash can be vetoed (0 = instant slasher)' },
        { name: 'contract haircut', value: f.haircut, unit: 'fraction', category: 'contract', explanation: f.haircutWhy },
        { name: 'contract factor h', value: h, unit: 'x', category: 'contract', explanation: '1 + haircut, multiplies expected loss' },
        ...redistributionTerms(s),
        { name: 'expected loss p·sev·h', value: loss, unit: '%/yr', category: 'slashing', explanation: `${pct(p)} · ${pct(f.severity)} · ${num(h)}${rho !== 1 ? ` · ${num(rho)}` : ''}` },
        { name: 'operator Herfindahl', value: hhi, unit: 'fraction', category: 'centralization', explanation: `HHI of the restaked stake of its ${ops.length} operators` },
        ...riskTerms(parts, 'the service'),
      ],
    }
  })

  // --- current allocation concentration (managed positions) ---
  const positions = managedPositions(universe.positions, policy)
  const all = new Map<string, bigint>()
  const positionScores: PositionScore[] = positions.map((pos) => {
    const byOp = new Map<string, bigint>()
    let allocated = 0n
    for (const a of pos.allocations) {
      if (a.stake <= 0n) continue
      const op = a.operator.toLowerCase()
      byOp.set(op, (byOp.get(op) ?? 0n) + a.stake)
      all.set(op, (all.get(op) ?? 0n) + a.stake)
      allocated += a.stake
    }
    return { position: pos.id, activeStake: pos.activeStake, allocatedStake: allocated, herfindahl: herfindahl([...byOp.values()]) }
  })

  const security = securityCheck({
    services: services.map((s) => {
      const id = s.id.toLowerCase()
      const m = svcMeta.get(id)
      return { service: id, label: facts.get(id)?.label, profitFromCorruption: m?.profitFromCorruption, attackThreshold: m?.attackThreshold ?? policy.scoring.defaultAttackThreshold }
    }),
    stakes: universeStakes(universe),
    minSecuritySlack: policy.minSecuritySlack,
    shockFraction: policy.shockFraction,
  })

  return {
    chainId: universe.chainId,
    blockNumber: universe.blockNumber,
    now: opts.now,
    services: serviceScores,
    operators: operatorScores,
    pairs,
    totalRestakedStake: totalRestaked,
    herfindahl: herfindahl([...all.values()]),
    positions: positionScores,
    bandThresholds: BAND_THRESHOLDS,
    security,
  }
}

/** The `redistribution factor` term of a redistributing operator set (none for other services). */
function redistributionTerms(s: Service): ScoreTerm[] {
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

function severityWhy(f: ServiceFacts): string {
  if (f.severitySource === 'policy') return 'policy serviceMetadata.severity'
  if (f.severitySource === 'history') return 'largest observed slashed fraction (amount / stake at capture)'
  return 'no metadata or history: scoring.defaultSeverity'
}

function meanHaircut(o: Operator, facts: Map<string, ServiceFacts>): number {
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
