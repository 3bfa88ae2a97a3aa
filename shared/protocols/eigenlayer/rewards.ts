/** EigenLayer reward submissions: the RewardsCoordinator's submission events, decoded into the reader's submissions, and the time-averaged rate they pay. */
import type { Address, Hex } from 'viem'
import { type EigenLayerRewardKind, type EigenLayerRewardSubmission, operatorSetKey } from './types.js'

const YEAR = 365 * 86_400

/** A RewardsCoordinator submission log of any type (decoded by viem; typed loosely because they mix event kinds). */
export interface RewardsLog {
  eventName: (typeof REWARD_KINDS)[number][0]
  args: {
    avs?: Address
    caller?: Address
    tokenHopper?: Address
    operatorSet?: { avs: Address; id: number }
    submissionNonce?: bigint
    rewardsSubmissionHash?: Hex
    operatorDirectedRewardsSubmissionHash?: Hex
    rewardsSubmission?: RewardsSubmissionArgs
    operatorDirectedRewardsSubmission?: RewardsSubmissionArgs & { operatorRewards: readonly { operator: Address; amount: bigint }[] }
  }
  blockNumber: bigint
}
interface RewardsSubmissionArgs {
  strategiesAndMultipliers: readonly { strategy: Address; multiplier: bigint }[]
  token: Address
  amount?: bigint
  startTimestamp: number
  duration: number
}

export const REWARD_KINDS = [
  ['AVSRewardsSubmissionCreated', 'avs'],
  ['OperatorDirectedAVSRewardsSubmissionCreated', 'operator-directed-avs'],
  ['OperatorDirectedOperatorSetRewardsSubmissionCreated', 'operator-directed-set'],
  ['TotalStakeRewardsSubmissionCreated', 'total-stake'],
  ['UniqueStakeRewardsSubmissionCreated', 'unique-stake'],
  ['RewardsSubmissionForAllEarnersCreated', 'all-earners'],
] as const satisfies readonly (readonly [string, EigenLayerRewardKind])[]

/** One submission log of any type → the reader's submission (operator-directed amounts summed). */
export function toSubmission(l: RewardsLog): EigenLayerRewardSubmission {
  const kind = REWARD_KINDS.find(([name]) => name === l.eventName)![1]
  const a = l.args
  const s = (a.rewardsSubmission ?? a.operatorDirectedRewardsSubmission)!
  const operatorRewards = a.operatorDirectedRewardsSubmission?.operatorRewards.map((x) => ({ operator: x.operator.toLowerCase() as Address, amount: x.amount }))
  return {
    kind,
    avs: (a.avs ?? a.operatorSet?.avs ?? a.tokenHopper)!.toLowerCase() as Address,
    ...(a.operatorSet ? { operatorSet: operatorSetKey(a.operatorSet.avs, a.operatorSet.id) } : {}),
    ...(operatorRewards ? { operatorRewards } : {}),
    submissionNonce: a.submissionNonce!,
    hash: (a.rewardsSubmissionHash ?? a.operatorDirectedRewardsSubmissionHash)!,
    token: s.token.toLowerCase() as Address,
    amount: operatorRewards ? operatorRewards.reduce((t, x) => t + x.amount, 0n) : s.amount!,
    startTimestamp: s.startTimestamp,
    duration: s.duration,
    strategiesAndMultipliers: s.strategiesAndMultipliers.map((x) => ({ strategy: x.strategy.toLowerCase() as Address, multiplier: x.multiplier })),
    blockNumber: l.blockNumber,
  }
}

/**
 * Time-averaged rate per year of submissions that each pay `perSecond` per unit of stake over their window: over
 * [max(now − lookback, first start), now], or the forward window when every submission starts later. 0 when none.
 */
export function averagedRatePerYear(subs: readonly { sub: EigenLayerRewardSubmission; perSecond: number }[], now: bigint, lookback: bigint): number {
  if (subs.length === 0) return 0
  const first = subs.map(({ sub }) => BigInt(sub.startTimestamp)).reduce((m, x) => (x < m ? x : m))
  let lo = now - lookback > first ? now - lookback : first
  let hi = now
  if (hi <= lo) {
    lo = now
    const last = subs.map(({ sub }) => BigInt(sub.startTimestamp + sub.duration)).reduce((m, x) => (x > m ? x : m))
    hi = last < now + lookback ? last : now + lookback
  }
  let paid = 0
  for (const { sub, perSecond } of subs) {
    const a = BigInt(sub.startTimestamp) > lo ? BigInt(sub.startTimestamp) : lo
    const b = BigInt(sub.startTimestamp + sub.duration) < hi ? BigInt(sub.startTimestamp + sub.duration) : hi
    if (b > a) paid += perSecond * Number(b - a)
  }
  return hi > lo ? (paid / Number(hi - lo)) * YEAR : 0
}

export function blockTimestampOf(l: unknown): bigint | undefined {
  const t = (l as { blockTimestamp?: bigint | Hex | null }).blockTimestamp
  if (t === undefined || t === null) return undefined
  return typeof t === 'bigint' ? t : BigInt(t)
}
