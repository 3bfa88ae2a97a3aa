/**
 * Cryptoeconomic security of the services we secure: Durvasula & Roughgarden, "Robust Restaking Networks"
 * (ITCS 2025, arXiv 2407.21785), adapted to per-(operator, service) stakes σ_{v,s}. The model, the adaptation
 * and its proof are in docs/risk.md; in short:
 *
 * - σ_{N(s)} = Σ_v σ_{v,s}: stake on s across every position read (ours and `Universe.externalStake`);
 * - security ratio ρ_s = α_s · σ_{N(s)} / π_s (cost of corruption over profit from corruption), α_s default 1/3;
 *   a service without π_s is "security unknown" (never "secure");
 * - attack-incentive index of operator v: I_v = Σ_{s ∈ N(v)} 1/ρ_s over the services it holds stake in (known ones);
 *   its slack γ_v = 1/I_v − 1 (unbounded, null, when I_v = 0);
 * - when every γ_v ≥ γ ≥ 0 (and no staked-nothing service has π_s > 0), no coalition of operators can profitably
 *   attack any set of services, with slack: (1 + γ)·π_B ≤ cost(A, B) (docs/risk.md, tested against brute force);
 * - network cascade bound (the paper's Theorem 1): a shock that removes a fraction ψ of stake costs at most
 *   (1 + 1/min_v γ_v)·ψ of it in total (unbounded, null, when min γ_v ≤ 0).
 *
 * Pure: token amounts are bigint wei; π_s comes from the policy in whole collateral tokens (18 decimals, like every
 * figure a person reads) and the ratios are floats.
 */
import type { Address, ServiceId, Universe } from './types.js'
import type { ScoreTerm } from './terms.js'
import { cmp, num, short } from './format.js'

/** Default attack threshold α_s: an attacker needs a third of the stake securing a service (BFT safety). */
export const DEFAULT_ATTACK_THRESHOLD = 1 / 3

/** Collateral wei per token (18 decimals) used to turn π_s (tokens) and σ (wei) into one unit. */
const WEI_PER_TOKEN = 1e18

/** What the policy says about one service's security. */
export interface ServiceSecurityInput {
  service: string
  label?: string | undefined
  /** π_s: profit an attacker makes by corrupting the service, whole collateral tokens; undefined = unknown. */
  profitFromCorruption?: number | undefined
  /** α_s: fraction of the stake on s an attacker must control. */
  attackThreshold: number
}

/** Stake of one (service, operator) pair, collateral wei. */
export interface PairStake {
  service: string
  operator: string
  stake: bigint
}

/** Security figures of one service. */
export interface ServiceSecurity {
  service: ServiceId
  label: string
  /** π_s in collateral tokens, undefined when the policy gives none (security unknown). */
  profitFromCorruption?: number
  attackThreshold: number
  /** σ_{N(s)}: stake on the service across every position read, wei. */
  stake: bigint
  /** Operators with stake on the service (|N(s)|). */
  operatorCount: number
  /** ρ_s = α_s·σ_{N(s)}/π_s (π_s > 0 by the policy schema); undefined when π_s is unknown. */
  ratio?: number
  /** `insecure` = ρ_s < 1 (cost of corruption below its profit), `unknown` = no π_s. */
  status: 'secure' | 'insecure' | 'unknown'
  terms: ScoreTerm[]
}

/** Security figures of one operator. */
export interface OperatorSecurity {
  operator: Address
  /** Services it holds stake in (|N(v)|). */
  serviceCount: number
  /** Of those, services with no π_s: their 1/ρ_s is not in I_v. */
  unknownServices: number
  /** I_v = Σ 1/ρ_s over its known services. */
  incentiveIndex: number
  /** γ_v = 1/I_v − 1; null = unbounded (I_v = 0: no known service). JSON has no Infinity, run records keep null. */
  slack: number | null
  /** `below-slack` = γ_v < policy minSecuritySlack; `unknown` = above it on known services but some are unknown. */
  status: 'ok' | 'below-slack' | 'unknown'
  terms: ScoreTerm[]
}

/** Security of the network as a whole. */
export interface NetworkSecurity {
  /** min_v γ_v over operators with stake; null = unbounded (no operator with a known service). */
  minSlack: number | null
  /** Operator with the smallest γ_v (undefined when none). */
  weakestOperator?: Address
  /** Policy minimum γ. */
  requiredSlack: number
  /** Policy shock ψ: fraction of stake removed by the shock. */
  shock: number
  /** (1 + 1/min γ_v)·ψ: worst-case total loss (fraction of stake) after the shock; null = unbounded (min γ_v ≤ 0); ψ when min γ_v is unbounded. */
  cascadeBound: number | null
  /** min γ_v ≥ requiredSlack, every staked service known, and no service with π_s > 0 and no stake. */
  conditionHolds: boolean
  unknownServices: number
  insecureServices: number
  terms: ScoreTerm[]
}

/** Everything the security check produces; lists sorted by id. */
export interface SecurityFigures {
  services: ServiceSecurity[]
  operators: OperatorSecurity[]
  network: NetworkSecurity
}

/** Parameters of {@link securityCheck}. */
export interface SecurityCheckParameters {
  services: readonly ServiceSecurityInput[]
  stakes: readonly PairStake[]
  /** Policy minSecuritySlack γ (≥ 0). */
  minSecuritySlack: number
  /** Policy shockFraction ψ. */
  shockFraction: number
}

/** Return type of {@link securityCheck}. */
export type SecurityCheckReturnType = SecurityFigures

/**
 * Stake per (service, operator) across every position of the universe plus `externalStake`, wei, summed per pair.
 * @param universe the state of the world
 * @returns one entry per pair with positive stake, sorted by (service, operator)
 */
export function universeStakes(universe: Pick<Universe, 'positions' | 'externalStake'>): PairStake[] {
  const sum = new Map<string, bigint>()
  const add = (s: string, o: string, st: bigint) => {
    if (st <= 0n) return
    const k = `${s.toLowerCase()}|${o.toLowerCase()}`
    sum.set(k, (sum.get(k) ?? 0n) + st)
  }
  for (const p of universe.positions) for (const a of p.allocations) add(a.service, a.operator, a.stake)
  for (const e of universe.externalStake ?? []) add(e.service, e.operator, e.stake)
  return [...sum.keys()].sort().map((k) => {
    const [service, operator] = k.split('|') as [string, string]
    return { service, operator, stake: sum.get(k) as bigint }
  })
}

/**
 * The Durvasula–Roughgarden check with per-pair stakes: ρ_s per service, I_v and γ_v per operator, the cascade bound.
 * One pass over the (operator, service) edges.
 * @param params services (π_s, α_s), pair stakes σ_{v,s}, minimum slack γ and shock ψ
 * @returns figures with their terms
 */
export function securityCheck(params: SecurityCheckParameters): SecurityCheckReturnType {
  const { minSecuritySlack: required, shockFraction: psi } = params
  const svcStake = new Map<string, bigint>()
  const svcOps = new Map<string, number>()
  const opEdges = new Map<string, string[]>()
  for (const e of params.stakes) {
    if (e.stake <= 0n) continue
    const s = e.service.toLowerCase()
    const o = e.operator.toLowerCase()
    svcStake.set(s, (svcStake.get(s) ?? 0n) + e.stake)
    svcOps.set(s, (svcOps.get(s) ?? 0) + 1)
    ;(opEdges.get(o) ?? opEdges.set(o, []).get(o)!).push(s)
  }
  const inputs = new Map(params.services.map((s) => [s.service.toLowerCase(), s]))
  const ids = [...new Set([...inputs.keys(), ...svcStake.keys()])].sort()
  const services: ServiceSecurity[] = []
  const inv = new Map<string, number | undefined>()
  for (const id of ids) {
    const inp = inputs.get(id)
    const alpha = inp?.attackThreshold ?? DEFAULT_ATTACK_THRESHOLD
    const pi = inp?.profitFromCorruption
    const stake = svcStake.get(id) ?? 0n
    const sigma = Number(stake) / WEI_PER_TOKEN
    const label = inp?.label ?? short(id)
    const terms: ScoreTerm[] = [
      { name: 'stake σ_N(s)', value: sigma, unit: 'tokens', category: 'security', explanation: `stake on the service across every vault read (${svcOps.get(id) ?? 0} operators)` },
      { name: 'attack threshold α', value: alpha, unit: 'fraction', category: 'security', explanation: inp?.attackThreshold === undefined ? 'default 1/3' : 'policy serviceMetadata.attackThreshold' },
    ]
    let ratio: number | undefined
    let status: ServiceSecurity['status']
    if (pi === undefined) {
      status = 'unknown'
      inv.set(id, undefined)
      terms.push({ name: 'security unknown', value: 1, unit: 'count', category: 'security', explanation: 'no profitFromCorruption π in the policy: not judged safe' })
    } else {
      ratio = (alpha * sigma) / pi
      status = ratio < 1 ? 'insecure' : 'secure'
      // Services without stake have no edge, so 1/ρ = ∞ never enters an I_v.
      inv.set(id, sigma > 0 ? pi / (alpha * sigma) : undefined)
      terms.push(
        { name: 'profit from corruption π', value: pi, unit: 'tokens', category: 'security', explanation: 'policy serviceMetadata.profitFromCorruption' },
        {
          name: 'security ratio ρ',
          value: ratio,
          unit: 'x',
          category: 'security',
          explanation: `cost of corruption α·σ / profit π = ${num(alpha)}·${num(sigma)} / ${num(pi)}${ratio < 1 ? ' < 1: corrupting it pays' : ''}`,
        },
      )
    }
    const out: ServiceSecurity = { service: id as ServiceId, label, attackThreshold: alpha, stake, operatorCount: svcOps.get(id) ?? 0, status, terms }
    if (pi !== undefined) out.profitFromCorruption = pi
    if (ratio !== undefined) out.ratio = ratio
    services.push(out)
  }

  const operators: OperatorSecurity[] = []
  let minSlack = Infinity
  let weakest: Address | undefined
  let unknownStaked = false
  for (const o of [...opEdges.keys()].sort()) {
    const edges = [...new Set(opEdges.get(o) as string[])].sort()
    let index = 0
    let unknown = 0
    const parts: string[] = []
    for (const s of edges) {
      const i = inv.get(s)
      if (i === undefined) {
        unknown++
        continue
      }
      index += i
      parts.push(`1/${num(1 / i)}`)
    }
    const slack = index === 0 ? Infinity : 1 / index - 1
    if (unknown > 0) unknownStaked = true
    if (slack < minSlack || weakest === undefined) {
      minSlack = Math.min(minSlack, slack)
      weakest = o as Address
    }
    const status: OperatorSecurity['status'] = slack < required ? 'below-slack' : unknown > 0 ? 'unknown' : 'ok'
    operators.push({
      operator: o as Address,
      serviceCount: edges.length,
      unknownServices: unknown,
      incentiveIndex: index,
      slack: Number.isFinite(slack) ? slack : null,
      status,
      terms: [
        {
          name: 'attack-incentive index I',
          value: index,
          unit: 'x',
          category: 'security',
          explanation: `Σ 1/ρ over the ${edges.length - unknown} known services it holds stake in${parts.length ? ` = ${parts.slice(0, 6).join(' + ')}${parts.length > 6 ? ' + …' : ''}` : ''}${unknown ? `; ${unknown} service${unknown === 1 ? '' : 's'} with unknown security left out` : ''}`,
        },
        {
          name: 'security slack γ',
          value: Number.isFinite(slack) ? slack : 0,
          unit: 'x',
          category: 'security',
          explanation: `${Number.isFinite(slack) ? '1/I − 1' : 'unbounded (no known service)'}${slack < required ? ` < minSecuritySlack ${num(required)}: no new stake` : ` ≥ minSecuritySlack ${num(required)}`}`,
        },
      ],
    })
  }
  const insecure = services.filter((s) => s.status === 'insecure').length
  const unknownServices = services.filter((s) => s.status === 'unknown').length
  const unstakedProfitable = services.some((s) => s.stake === 0n && (s.profitFromCorruption ?? 0) > 0)
  const cascadeBound = minSlack > 0 ? (1 + 1 / minSlack) * psi : null
  const network: NetworkSecurity = {
    minSlack: Number.isFinite(minSlack) ? minSlack : null,
    requiredSlack: required,
    shock: psi,
    cascadeBound,
    conditionHolds: minSlack >= required && !unknownStaked && !unstakedProfitable,
    unknownServices,
    insecureServices: insecure,
    terms: [
      { name: 'min slack γ', value: Number.isFinite(minSlack) ? minSlack : 0, unit: 'x', category: 'security', explanation: weakest ? `min over operators of 1/I − 1, at operator ${short(weakest)}` : 'no operator holds stake' },
      { name: 'shock ψ', value: psi, unit: 'fraction', category: 'security', explanation: 'policy shockFraction: fraction of stake a shock removes' },
      {
        name: 'cascade bound',
        value: cascadeBound ?? 0,
        unit: 'fraction',
        category: 'security',
        explanation: cascadeBound !== null ? `(1 + 1/γ)·ψ = (1 + 1/${num(minSlack)})·${num(psi)}: worst-case total stake loss after the shock` : 'unbounded: min γ ≤ 0',
      },
    ],
  }
  if (weakest !== undefined) network.weakestOperator = weakest
  operators.sort((a, b) => cmp(a.operator, b.operator))
  return { services, operators, network }
}
