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
import type { Address, Operator, ServiceId, Universe } from './types.js'
import type { Policy } from './policy.js'
import { SECONDS_PER_YEAR, cmp, num, pct } from './format.js'
import { securityCheck, universeStakes } from './security.js'
import { managedPositions } from './managed.js'
import {
  type OperatorScore,
  type PairScore,
  type PositionScore,
  type ScoreUniverseOptions,
  type HaircutSource,
  type ServiceScore,
  type SeveritySource,
  type UniverseScores,
  BAND_THRESHOLDS,
  REDISTRIBUTION_LOSS_FACTOR,
} from './scoreModel.js'
import {
  type OperatorTerms,
  type ServiceFacts,
  type ServiceTerms,
  type SlashTerms,
  bandOf,
  centralizationRisk,
  clamp01,
  contractHaircut,
  contractRisk,
  herfindahl,
  meanHaircut,
  operatorTermsOf,
  redistributionTerms,
  riskScore,
  riskScoreTerm,
  riskTerms,
  round,
  severityWhy,
  slashTerms,
  slashingRisk,
} from './scoreTerms.js'

export * from './scoreModel.js'
export { assertPositionsKnown, managedPositions, unknownPositions } from './managed.js'
export { bandOf, contractHaircut, herfindahl } from './scoreTerms.js'

/** Key of a (service, operator) pair in maps. */
export function pairKey(service: string, operator: string): string {
  return `${service}|${operator}`
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
