/**
 * Risk figures of one vault at one point of the replay (docs/risk.md): MaxLoss and one-year VaR 99 % of its
 * current allocation, and the cryptoeconomic security of what it secures (min operator slack γ, services with
 * ρ < 1 it holds stake in). Computed with the same pure domain functions the planner uses, on the universe read
 * from the chain for that vault alone — the view the autopilot has of its own vault.
 */
import { type Policy, type Universe, lossFactor, mulFloor, pairKey, riskGroupsOf, scoreUniverse, tailLossUpper } from '../../shared/domain/index.js'

/** Risk of one vault at one day of the replay. */
export interface RiskSample {
  day: number
  /** Active stake of the vault, wei. */
  activeStake: bigint
  /** Stake lost if every service the vault secures slashes at once (capped at active stake), wei. */
  maxLoss: bigint
  /** One-year slashing VaR↑ at 99 % of the current allocation, wei. */
  var99: bigint
  /** min γ_v over the operators holding the vault's stake; null = unbounded (no operator on a service with a known π). */
  minSlack: number | null
  /** Labels of services with ρ < 1 (cost of corruption below profit) that hold the vault's stake. */
  insecureServices: string[]
}

/** Summary of a side's risk over the replay, next to the policy limits. */
export interface RiskSummary {
  samples: RiskSample[]
  /** Largest MaxLoss ÷ active stake over the samples, with policy maxLossFraction. */
  maxLossFraction: number
  maxLossLimit: number
  /** Largest VaR↑ 99 % ÷ active stake over the samples, with policy var99Fraction. */
  var99Fraction: number
  var99Limit: number
  /** Smallest network slack over the samples (null = unbounded everywhere), with policy minSecuritySlack. */
  minSlack: number | null
  requiredSlack: number
  /** Every insecure service the vault held stake in at some sample, and on how many sampled days. */
  insecureServices: string[]
  insecureDays: number
}

/**
 * Risk of the one vault in `universe` (its current allocation).
 * @param universe the universe read for this vault alone
 * @param policy the policy the figures are held against
 * @param day day of the replay the sample belongs to
 */
export function riskSample(universe: Universe, policy: Policy, day: number): RiskSample {
  const scores = scoreUniverse(universe, policy, { now: universe.timestamp })
  const pairs = new Map(scores.pairs.map((p) => [pairKey(p.service, p.operator), p]))
  const groupsOf = riskGroupsOf(policy)
  const held = new Set<string>()
  let activeStake = 0n
  let maxLoss = 0n
  let var99 = 0n
  for (const pos of universe.positions) {
    activeStake += pos.activeStake
    const exposures = pos.allocations.flatMap((a) => {
      const ps = pairs.get(pairKey(a.service, a.operator))
      if (a.stake === 0n || ps === undefined) return []
      held.add(a.service.toLowerCase())
      return [{ probability: ps.slashProbabilityPerYear, loss: mulFloor(a.stake, lossFactor(ps.severity, ps.contractFactor)), groups: groupsOf(a.service, a.operator) }]
    })
    const t = tailLossUpper({ exposures, cap: pos.activeStake })
    maxLoss += t.maxLoss
    var99 += t.var99
  }
  const sec = scores.security
  return {
    day,
    activeStake,
    maxLoss,
    var99,
    minSlack: sec?.network.minSlack ?? null,
    insecureServices: (sec?.services ?? []).filter((s) => s.status === 'insecure' && held.has(s.service.toLowerCase())).map((s) => s.label),
  }
}

/** The worst of a side's samples, next to the policy limits. */
export function summariseRisk(samples: RiskSample[], policy: Policy): RiskSummary {
  const frac = (v: bigint, of: bigint) => (of > 0n ? Number((v * 10n ** 12n) / of) / 1e12 : 0)
  const slacks = samples.map((s) => s.minSlack).filter((g): g is number => g !== null)
  return {
    samples,
    maxLossFraction: Math.max(0, ...samples.map((s) => frac(s.maxLoss, s.activeStake))),
    maxLossLimit: policy.maxLossFraction,
    var99Fraction: Math.max(0, ...samples.map((s) => frac(s.var99, s.activeStake))),
    var99Limit: policy.var99Fraction,
    minSlack: slacks.length > 0 ? Math.min(...slacks) : null,
    requiredSlack: policy.minSecuritySlack,
    insecureServices: [...new Set(samples.flatMap((s) => s.insecureServices))].sort(),
    insecureDays: samples.filter((s) => s.insecureServices.length > 0).length,
  }
}
