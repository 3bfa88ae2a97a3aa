/**
 * EigenLayer-specific facts read next to the shared Universe: our stakers (one operator each), their deposit vs
 * withdrawable shares, withdrawals in flight (they earn nothing and stay slashable), operators' operator sets and
 * magnitudes, and AVS reward submissions. Plus the pure helpers that define keys and roots exactly as v1.x does.
 */
import { type Address, type Hex, encodeAbiParameters, keccak256 } from 'viem'

/** The `Withdrawal` struct of IDelegationManagerTypes (v1.x): `scaledShares`, withdrawer == staker. */
export interface WithdrawalStruct {
  staker: Address
  delegatedTo: Address
  withdrawer: Address
  nonce: bigint
  startBlock: number
  strategies: readonly Address[]
  scaledShares: readonly bigint[]
}

/** A queued withdrawal of one of our stakers. */
export interface QueuedWithdrawalState {
  /** `keccak256(abi.encode(withdrawal))`. */
  root: Hex
  withdrawal: WithdrawalStruct
  /** Shares it pays now for our strategy (`getQueuedWithdrawals` shares: post-slashing, may still drop until completable). */
  expectedShares: bigint
  /** `expectedShares` in underlying tokens at the read block. */
  expectedTokens: bigint
  /** First block at which `completeQueuedWithdrawal` succeeds: startBlock + minWithdrawalDelayBlocks + 1. */
  completableAtBlock: bigint
  completable: boolean
}

/** One staker account of ours. */
export interface EigenLayerStakerState {
  address: Address
  /** Operator it is delegated to, or null when not delegated. */
  operator: Address | null
  depositShares: bigint
  withdrawableShares: bigint
  /** `withdrawableShares` in underlying tokens. */
  withdrawableTokens: bigint
  depositScalingFactor: bigint
  queued: QueuedWithdrawalState[]
  /** The strategy's underlying token held by the staker account itself (not deposited): counted in flight by the adapter. */
  tokenBalance?: bigint
}

/** One operator's exposure to one operator set over our strategy. */
export interface EigenLayerOperatorSetState {
  /** Operator-set key (service id). */
  service: Hex
  avs: Address
  setId: number
  /** Member of the set now (registered). */
  registered: boolean
  /** Registered, or deregistered less than DEALLOCATION_DELAY blocks ago. */
  slashable: boolean
  currentMagnitude: bigint
  pendingDiff: bigint
  effectBlock: number
  /** currentMagnitude / maxMagnitude: the fraction of each delegated token that this set can slash. */
  exposure: number
  /** `getOperatorSetSplit`: the operator's commission on this set's operator-directed rewards, bips. */
  setSplitBips: number
}

/** One operator as the bot sees it. */
export interface EigenLayerOperatorState {
  address: Address
  isOperator: boolean
  maxMagnitude: bigint
  /** All stakers' withdrawable shares delegated to it in our strategy. */
  operatorShares: bigint
  operatorStakeTokens: bigint
  sets: EigenLayerOperatorSetState[]
  /** AVS address (lower-case) → operator's AVS split in bips (its commission on that AVS's rewards). */
  avsSplitBips: Record<string, number>
  /** `getOperatorPISplit`: its commission on rewards-for-all-earners (programmatic incentives), bips. */
  piSplitBips: number
}

/**
 * Which RewardsCoordinator submission type a reward came from:
 * - `avs`: `AVSRewardsSubmissionCreated`, to the stake of every operator registered with the AVS (operator takes its AVS split);
 * - `operator-directed-avs`: `OperatorDirectedAVSRewardsSubmissionCreated`, chosen amounts per operator of the AVS (AVS split);
 * - `operator-directed-set`: `OperatorDirectedOperatorSetRewardsSubmissionCreated`, per operator of one set (set split);
 * - `total-stake` / `unique-stake` (v1.12.0): `TotalStakeRewardsSubmissionCreated` / `UniqueStakeRewardsSubmissionCreated`,
 *   to one set's operators by their delegated stake / by their unique (allocated, slashable) stake in the set;
 * - `all-earners`: `RewardsSubmissionForAllEarnersCreated`, programmatic incentives to every operator registered
 *   with at least one AVS and its stakers (PI split).
 */
export type EigenLayerRewardKind = 'avs' | 'operator-directed-avs' | 'operator-directed-set' | 'total-stake' | 'unique-stake' | 'all-earners'

/** One rewards submission of any type. */
export interface EigenLayerRewardSubmission {
  kind: EigenLayerRewardKind
  /** The AVS paying (the submitter for `all-earners`). */
  avs: Address
  /** The operator set of an `operator-directed-set`, `total-stake` or `unique-stake` submission. */
  operatorSet?: Hex
  /** Per-operator amounts of operator-directed submissions (their sum is `amount`). */
  operatorRewards?: readonly { operator: Address; amount: bigint }[]
  submissionNonce: bigint
  hash: Hex
  token: Address
  amount: bigint
  startTimestamp: number
  duration: number
  strategiesAndMultipliers: readonly { strategy: Address; multiplier: bigint }[]
  blockNumber: bigint
}

/** The EigenLayer side structure of one position (our stakers over one strategy). */
export interface EigenLayerPositionDetails {
  positionId: string
  strategy: Address
  underlying: Address
  delegationManager: Address
  strategyManager: Address
  blockNumber: bigint
  minWithdrawalDelayBlocks: number
  stakers: EigenLayerStakerState[]
  /** Σ expected tokens of our queued withdrawals: in flight, earning nothing, still slashable until completable. */
  inFlightTokens: bigint
  /** Σ withdrawable tokens of our stakers that are not delegated (earning nothing, movable without delay). */
  idleTokens: bigint
  operators: EigenLayerOperatorState[]
  rewards: EigenLayerRewardSubmission[]
  /** Operator-set key → estimated gross reward rate per unit of delegated stake per year (every submission type). */
  rewardRatePerYearByService: Record<string, number>
  /**
   * Rewards-for-all-earners (programmatic incentives) per unit of delegated stake per year: paid alike to the stake of
   * every operator registered with at least one AVS, so it is reported here and not added to any service's rate (it
   * does not depend on where stake is allocated).
   */
  rewardsForAllEarnersRatePerYear: number
  /** Operator-set key → redistribution recipient, for redistributing sets only (slashed funds go there, not burned). */
  redistributionRecipients: Record<string, Address>
  /** StrategyBaseTVLLimits caps in tokens and the strategy's token balance; absent for a strategy without caps. */
  depositCaps?: { maxPerDeposit: bigint; maxTotalDeposits: bigint; strategyBalance: bigint }
  /** AllocationManager `DEALLOCATION_DELAY`: blocks a deallocated (or deregistered) magnitude stays slashable. */
  deallocationDelayBlocks: number
  /** Block time the reader assumed (seconds), to say the delays as times. */
  secondsPerBlock: number
}

/**
 * Headroom kept under `maxPerDeposit` when sizing a move, in bps: a queued withdrawal pays shares × the share price at
 * completion, which can rise during the delay (a rebasing LST such as stETH gains ≈ 0.15 % in 14 days), and the
 * re-deposit must still fit the cap.
 */
export const DEPOSIT_CAP_HEADROOM_BPS = 100n

/** The most tokens one move may carry on a capped strategy: `maxPerDeposit` less the headroom; undefined = no cap. */
export function maxTokensPerMove(caps: { maxPerDeposit: bigint } | undefined): bigint | undefined {
  return caps === undefined ? undefined : caps.maxPerDeposit - (caps.maxPerDeposit * DEPOSIT_CAP_HEADROOM_BPS) / 10_000n
}

/** `bytes32(abi.encodePacked(avs, uint96(id)))`, lower-case: the operator-set key (our service id). */
export function operatorSetKey(avs: Address, id: number | bigint): Hex {
  return `0x${avs.slice(2).toLowerCase()}${BigInt(id).toString(16).padStart(24, '0')}` as Hex
}

/** Splits an operator-set key into (avs, id). */
export function decodeOperatorSetKey(key: Hex): { avs: Address; id: number } {
  return { avs: `0x${key.slice(2, 42)}` as Address, id: Number(BigInt(`0x${key.slice(42)}`)) }
}

const WITHDRAWAL_TUPLE = [
  {
    type: 'tuple',
    components: [
      { name: 'staker', type: 'address' },
      { name: 'delegatedTo', type: 'address' },
      { name: 'withdrawer', type: 'address' },
      { name: 'nonce', type: 'uint256' },
      { name: 'startBlock', type: 'uint32' },
      { name: 'strategies', type: 'address[]' },
      { name: 'scaledShares', type: 'uint256[]' },
    ],
  },
] as const

/** `calculateWithdrawalRoot`: keccak256(abi.encode(withdrawal)). */
export function withdrawalRoot(w: WithdrawalStruct): Hex {
  return keccak256(encodeAbiParameters(WITHDRAWAL_TUPLE, [{ ...w, strategies: [...w.strategies], scaledShares: [...w.scaledShares] }]))
}
