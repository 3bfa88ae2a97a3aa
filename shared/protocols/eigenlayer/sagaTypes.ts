/** Types of the EigenLayer move saga (./saga.ts): the stored state and record, the context, hooks and outcomes. */
import type { Logger } from '@aws-lambda-powertools/logger'
import type { Address, Hex, LocalAccount, PublicClient } from 'viem'
import type { SessionFor } from '../../execution/sessionPool.js'
import type { IntentStorePort as IntentStore, SagaRecord, SagaStorePort as SagaStore } from '../../store/ports.js'
import type { MoveStep, StoredCall } from './buildMoveCall.js'
import type { StakerRoles } from './stakerRoles.js'
import type { WithdrawalStruct } from './types.js'

/** Saga kind stored in the record. */
export const EIGENLAYER_MOVE = 'eigenlayer-move' as const

/** What a step's entry in the record says. */
export interface MoveStepRecord {
  status: 'sending' | 'done' | 'skipped'
  /** Epoch ms of the last change. */
  at: number
  /** The call exactly as it is (or was) sent: recorded before sending. */
  call?: StoredCall
  signer?: Address
  /** For a staker Safe: the Roles modifier the bot sent `execTransactionWithRole` to (the call above is the Safe's inner call). */
  via?: Address
  txHash?: Hex
  blockNumber?: bigint
  note?: string
}

/** The saga's own state (JSON with exact bigints in DynamoDB). */
export interface EigenLayerMoveState {
  delegationManager: Address
  strategyManager: Address
  strategy: Address
  token: Address
  from: { staker: Address; operator: Address }
  to: { staker: Address; operator: Address }
  /** Withdrawable shares requested; null = everything the source staker holds when the withdrawal is queued. */
  requestedShares: bigint | null
  reason: string
  /**
   * Who started it: the planner (`plan`, the cooldown counts from these), a deny-list exit (`exit`), or idle tokens
   * found in a staker account deposited back (`idle`, starts at `delegate`). Absent on sagas recorded before the field existed.
   */
  origin?: 'plan' | 'exit' | 'idle'
  steps: Partial<Record<MoveStep, MoveStepRecord>>
  queue?: { nonceBefore: bigint; depositShares: bigint; root?: Hex; withdrawal?: WithdrawalStruct; completableAtBlock?: bigint }
  /** At queue time: `sharesToWithdraw` of SlashingWithdrawalQueued and its tokens. */
  expected?: { shares: bigint; tokens: bigint; atBlock: bigint }
  /** Re-read just before completing (`getQueuedWithdrawal`): lower than `expected` if a slash landed meanwhile. */
  expectedAtCompletion?: { shares: bigint; tokens: bigint; atBlock: bigint }
  /** Tokens the source staker actually received (Transfer strategy → staker in the completion receipt). */
  received?: { tokens: bigint; txHash: Hex; blockNumber: bigint }
  /** expected.tokens − received.tokens (0 when no slash landed during the delay). */
  slashedDuringDelay?: bigint
  /** What the target staker got: deposit shares (Deposit event) and its withdrawable shares afterwards. */
  deposited?: { tokens: bigint; depositShares: bigint; withdrawableSharesAfter: bigint; txHash: Hex }
}

/** A stored move saga. */
export type EigenLayerMoveRecord = SagaRecord<EigenLayerMoveState>

/** Test and operations hooks between the moments that matter (a throw simulates a crash there). */
export interface EigenLayerSagaHooks {
  /** After the step (with its call) was recorded as `sending`, before anything is signed. */
  afterRecord?: (step: MoveStep, record: EigenLayerMoveRecord) => void | Promise<void>
  /** After the step's transaction was mined, before the saga records it as done. */
  afterSend?: (step: MoveStep, txHash: Hex) => void | Promise<void>
  /** After the step was recorded as done (or skipped / already done). */
  afterStep?: (step: MoveStep, record: EigenLayerMoveRecord) => void | Promise<void>
}

/** Dependencies of the EigenLayer saga use cases. */
export interface EigenLayerSagaContext {
  client: PublicClient
  intents: IntentStore
  sagas: SagaStore
  /** The signer that sends a staker's steps: the bot's signer for a staker Safe, the staker's own key for a local EOA staker (undefined = not ours). */
  signerFor: (staker: Address) => LocalAccount | undefined
  /** A staker Safe's Roles modifier and role: its steps go `execTransactionWithRole` from `signerFor(staker)` (undefined = an EOA staker). */
  rolesFor?: (staker: Address) => StakerRoles | undefined
  /** The lease-fenced signer session of an account (the run's session pool): every step is signed through one. */
  sessionFor: SessionFor
  /** Wall clock in epoch ms (default Date.now). */
  clock?: () => number
  /** Confirmations the executor waits for (default 1). */
  confirmations?: number
  maxFeePerGas?: bigint
  logger?: Logger
  hooks?: EigenLayerSagaHooks
}

/** Outcome of one {@link advanceEigenLayerMove} call. */
export interface AdvanceEigenLayerMoveReturnType {
  status: EigenLayerMoveRecord['status']
  step: string
  record: EigenLayerMoveRecord
  /** When waiting: the first block at which the withdrawal can be completed. */
  completableAtBlock?: bigint
  /** When waiting: why the current step is held (a paused entry point or a deposit cap); retried on the next resume. */
  held?: string
}
