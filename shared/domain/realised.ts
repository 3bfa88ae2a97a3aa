/**
 * Realised yield and losses over time (pure): what a position's stakers were actually paid (reward distributions read
 * from the chain) and actually lost (slashes of its stake), per period of chain time, in exact token amounts, next to
 * the yield the stored runs planned. Amounts are bigint sums; only the annualised rates are floats, each computed once
 * from exact integers.
 */
import type { Address, Hex } from 'viem'
import { DomainError } from './errors.js'
import { SECONDS_PER_YEAR } from './format.js'

/** One reward payment to a position's stakers (Symbiotic: a `DistributeRewards` of its staker rewards contract). */
export interface RewardPayment {
  position: string
  /** The reward token; only payments in the position's collateral count in the %/yr figures. */
  token: Address
  /** Paid to the stakers (after the rewards contract's admin fee), token wei. */
  amount: bigint
  /** Chain time (unix seconds) at which it was paid. */
  timestamp: bigint
  network?: Address
  txHash?: Hex
}

/** Stake a position lost to one slash. */
export interface RealisedLoss {
  position: string
  /** Collateral wei. */
  amount: bigint
  /** Chain time (unix seconds) of the slash. */
  timestamp: bigint
}

/** The position's active stake from `timestamp` on (a step function: each sample holds until the next one). */
export interface StakeSample {
  position: string
  timestamp: bigint
  /** Collateral wei. */
  activeStake: bigint
}

/** What a stored run planned for the position: the expected net yield of its targets, r·(1−c) − p·sev·h, per year. */
export interface PlannedYield {
  position: string
  /** Chain time of the run's read (the plan's `now`). */
  timestamp: bigint
  /** Fraction per year (0.05 = 5 %/yr). */
  netYieldPerYear: number
  runId?: string
}

/** Parameters of {@link realisedYield}. */
export interface RealisedYieldParameters {
  position: string
  collateral: Address
  rewards: readonly RewardPayment[]
  losses: readonly RealisedLoss[]
  stakes: readonly StakeSample[]
  planned?: readonly PlannedYield[]
  /** Chain time the series covers: [from, to). Periods are aligned to multiples of `periodSeconds` (UTC days for 86 400). */
  from: bigint
  to: bigint
  periodSeconds: number
}

/** One period of the series. `null` rates: no stake to divide by. */
export interface RealisedPeriod {
  /** Chain time, unix seconds; `end` is exclusive (the series' `to` for the last, possibly partial, period). */
  start: bigint
  end: bigint
  partial: boolean
  /** Paid in the collateral token, wei. */
  rewards: bigint
  /** Paid in other tokens (no %/yr without a price). */
  otherRewards: { token: Address; amount: bigint }[]
  losses: bigint
  /** rewards − losses (negative when slashes outweigh rewards). */
  net: bigint
  /** Time-weighted active stake over the period, wei (floor). */
  averageStake: bigint
  rewardYieldPerYear: number | null
  lossPerYear: number | null
  netYieldPerYear: number | null
  /** Mean of what the stored runs in the period planned; null when none ran in it. */
  plannedNetYieldPerYear: number | null
  plannedRuns: number
  cumulativeRewards: bigint
  cumulativeLosses: bigint
}

/** The series and its totals. */
export interface RealisedYieldReturnType {
  position: string
  collateral: Address
  periodSeconds: number
  periods: RealisedPeriod[]
  totals: Omit<RealisedPeriod, 'partial' | 'cumulativeRewards' | 'cumulativeLosses'>
}

/** A realised-yield request that cannot be answered (bad period or window). */
export class RealisedYieldInputError extends DomainError {
  override name = 'RealisedYieldInputError' as const
}

const SCALE = 10n ** 12n

/** amount ÷ stake, annualised over `seconds`, as a fraction per year (exact integers until one final division). */
export function annualised(amount: bigint, stake: bigint, seconds: bigint): number | null {
  if (stake <= 0n || seconds <= 0n) return null
  return Number((amount * SCALE * SECONDS_PER_YEAR) / (stake * seconds)) / Number(SCALE)
}

/** Time-weighted average of the stake step function over [start, end), floor. */
export function averageStake(samples: readonly StakeSample[], start: bigint, end: bigint): bigint {
  if (end <= start) return 0n
  const sorted = [...samples].sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0))
  // Before the first sample the stake is taken as the first sample's (the earliest known).
  let current = sorted.filter((s) => s.timestamp <= start).at(-1)?.activeStake ?? sorted[0]?.activeStake ?? 0n
  let t = start
  let area = 0n
  for (const s of sorted) {
    if (s.timestamp <= start) continue
    if (s.timestamp >= end) break
    area += current * (s.timestamp - t)
    t = s.timestamp
    current = s.activeStake
  }
  area += current * (end - t)
  return area / (end - start)
}

/**
 * The realised yield of one position per period of chain time: rewards paid, stake slashed, net, each annualised
 * against the time-weighted active stake, beside the mean net yield the stored runs planned in the period.
 * @throws {RealisedYieldInputError} when the period is not a positive whole number of seconds or the window is empty
 */
export function realisedYield(p: RealisedYieldParameters): RealisedYieldReturnType {
  if (!Number.isInteger(p.periodSeconds) || p.periodSeconds <= 0) throw new RealisedYieldInputError(`the period must be a positive whole number of seconds, not ${p.periodSeconds}`)
  if (p.to <= p.from) throw new RealisedYieldInputError(`the window is empty: from ${p.from} to ${p.to}`)
  const period = BigInt(p.periodSeconds)
  const position = p.position.toLowerCase()
  const collateral = p.collateral.toLowerCase()
  const mine = <T extends { position: string }>(xs: readonly T[]) => xs.filter((x) => x.position.toLowerCase() === position)
  const rewards = mine(p.rewards)
  const losses = mine(p.losses)
  const stakes = mine(p.stakes)
  const planned = mine(p.planned ?? [])
  const periods: RealisedPeriod[] = []
  let cumulativeRewards = 0n
  let cumulativeLosses = 0n
  for (let start = (p.from / period) * period; start < p.to; start += period) {
    const end = start + period < p.to ? start + period : p.to
    const inside = (t: bigint) => t >= start && t < end
    const paid = rewards.filter((r) => inside(r.timestamp))
    const own = paid.filter((r) => r.token.toLowerCase() === collateral).reduce((a, r) => a + r.amount, 0n)
    const other = new Map<string, bigint>()
    for (const r of paid) if (r.token.toLowerCase() !== collateral) other.set(r.token.toLowerCase(), (other.get(r.token.toLowerCase()) ?? 0n) + r.amount)
    const lost = losses.filter((l) => inside(l.timestamp)).reduce((a, l) => a + l.amount, 0n)
    const plans = planned.filter((x) => inside(x.timestamp) && Number.isFinite(x.netYieldPerYear))
    cumulativeRewards += own
    cumulativeLosses += lost
    periods.push({
      start,
      end,
      partial: end - start < period,
      ...rates(own, lost, averageStake(stakes, start, end), end - start),
      otherRewards: [...other].map(([token, amount]) => ({ token: token as Address, amount })),
      plannedNetYieldPerYear: plans.length ? plans.reduce((a, x) => a + x.netYieldPerYear, 0) / plans.length : null,
      plannedRuns: plans.length,
      cumulativeRewards,
      cumulativeLosses,
    })
  }
  const first = periods[0]!.start
  const last = periods.at(-1)!.end
  const other = new Map<string, bigint>()
  for (const x of periods) for (const o of x.otherRewards) other.set(o.token, (other.get(o.token) ?? 0n) + o.amount)
  const plans = periods.filter((x) => x.plannedRuns > 0)
  const runsTotal = plans.reduce((a, x) => a + x.plannedRuns, 0)
  return {
    position,
    collateral: collateral as Address,
    periodSeconds: p.periodSeconds,
    periods,
    totals: {
      start: first,
      end: last,
      ...rates(cumulativeRewards, cumulativeLosses, averageStake(stakes, first, last), last - first),
      otherRewards: [...other].map(([token, amount]) => ({ token: token as Address, amount })),
      plannedNetYieldPerYear: runsTotal ? plans.reduce((a, x) => a + (x.plannedNetYieldPerYear ?? 0) * x.plannedRuns, 0) / runsTotal : null,
      plannedRuns: runsTotal,
    },
  }
}

function rates(rewards: bigint, losses: bigint, stake: bigint, seconds: bigint) {
  return {
    rewards,
    losses,
    net: rewards - losses,
    averageStake: stake,
    rewardYieldPerYear: annualised(rewards, stake, seconds),
    lossPerYear: annualised(losses, stake, seconds),
    netYieldPerYear: annualised(rewards - losses, stake, seconds),
  }
}
