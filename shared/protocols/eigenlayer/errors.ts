/** Errors of EigenLayer moves: each has a stable `name` and says what to do. */
import type { Address } from 'viem'
import { RestakeError } from '../../errors.js'

/** No saga with this id is stored. */
export class SagaNotFoundError extends RestakeError {
  override name = 'SagaNotFoundError' as const
  constructor(p: { sagaId: string }) {
    super(`Saga ${p.sagaId} does not exist.`, { details: p.sagaId })
  }
}

/** The bot holds no signer for a staker account the move needs; nothing was sent. */
export class MissingStakerSignerError extends RestakeError {
  override name = 'MissingStakerSignerError' as const
  readonly staker: Address
  constructor(p: { staker: Address }) {
    super(`No signer is configured for EigenLayer staker ${p.staker}; nothing was sent.`, { details: `add the key of ${p.staker} to the staker signers` })
    this.staker = p.staker
  }
}

/** The target staker is delegated to another operator than the move's target; one staker has one operator. */
export class StakerDelegatedElsewhereError extends RestakeError {
  override name = 'StakerDelegatedElsewhereError' as const
  constructor(p: { staker: Address; operator: Address; expected: Address }) {
    super(`Staker ${p.staker} is delegated to ${p.operator}, not ${p.expected}; choose a staker of ${p.expected} or a fresh one.`, { details: `staker=${p.staker} operator=${p.operator}` })
  }
}

/** The source staker has nothing to move (not delegated or no withdrawable shares). */
export class NothingToMoveError extends RestakeError {
  override name = 'NothingToMoveError' as const
  constructor(p: { staker: Address; reason: string }) {
    super(`Staker ${p.staker} has nothing to move: ${p.reason}.`, { details: p.reason })
  }
}

/** The queued withdrawal of a saga can no longer be found on chain (state the saga did not expect). */
export class WithdrawalNotFoundError extends RestakeError {
  override name = 'WithdrawalNotFoundError' as const
  constructor(p: { sagaId: string; staker: Address; nonce: bigint }) {
    super(`Saga ${p.sagaId}: no queued withdrawal with nonce ${p.nonce} for staker ${p.staker}.`, { details: `staker=${p.staker} nonce=${p.nonce}` })
  }
}

/** A saga step's transaction was mined but reverted; the saga is marked failed for a person to look at. */
export class SagaStepRevertedError extends RestakeError {
  override name = 'SagaStepRevertedError' as const
  constructor(p: { sagaId: string; step: string; txHash: string }) {
    super(`Saga ${p.sagaId}: step ${p.step} reverted on-chain (tx ${p.txHash}).`, { details: `tx ${p.txHash}` })
  }
}

/** `SagaNotFoundError` narrowed by its stable name. */
export type SagaNotFoundErrorType = SagaNotFoundError & { name: 'SagaNotFoundError' }
/** `MissingStakerSignerError` narrowed by its stable name. */
export type MissingStakerSignerErrorType = MissingStakerSignerError & { name: 'MissingStakerSignerError' }
/** `StakerDelegatedElsewhereError` narrowed by its stable name. */
export type StakerDelegatedElsewhereErrorType = StakerDelegatedElsewhereError & { name: 'StakerDelegatedElsewhereError' }
/** `NothingToMoveError` narrowed by its stable name. */
export type NothingToMoveErrorType = NothingToMoveError & { name: 'NothingToMoveError' }
/** `WithdrawalNotFoundError` narrowed by its stable name. */
export type WithdrawalNotFoundErrorType = WithdrawalNotFoundError & { name: 'WithdrawalNotFoundError' }
/** `SagaStepRevertedError` narrowed by its stable name. */
export type SagaStepRevertedErrorType = SagaStepRevertedError & { name: 'SagaStepRevertedError' }

/** A staker Safe's role would allow nothing useful (e.g. no operator it may delegate to); no permissions were generated. */
export class EmptyStakerScopeError extends RestakeError {
  override name = 'EmptyStakerScopeError' as const
  constructor(p: { safe: Address; details: string }) {
    super(`The role of staker Safe ${p.safe} would allow nothing useful; no permissions were generated.`, { details: p.details })
  }
}

/** `EmptyStakerScopeError` narrowed by its stable name. */
export type EmptyStakerScopeErrorType = EmptyStakerScopeError & { name: 'EmptyStakerScopeError' }
