/** Errors of DAO mode (Safe + Zodiac Roles): each has a stable `name` and says what to fix. */
import { RestakeError } from '../../errors.js'

/** The policy and the delegators leave nothing the role could allow (no managed delegator with a settable parameter). */
export class EmptyRoleScopeError extends RestakeError {
  override name = 'EmptyRoleScopeError' as const
  constructor(p: { details: string }) {
    super('The policy leaves nothing for the role to allow; no permissions were generated.', { details: p.details })
  }
}

/** A proposal file (Safe Transaction Builder JSON / MultiSend encoding) is malformed or its parts disagree. */
export class ProposalDecodeError extends RestakeError {
  override name = 'ProposalDecodeError' as const
  /** Index of the transaction at fault, when one is. */
  readonly index: number | undefined
  constructor(p: { reason: string; index?: number; cause?: unknown }) {
    super(`The proposal cannot be decoded${p.index === undefined ? '' : ` (transaction ${p.index})`}: ${p.reason}.`, { details: p.reason, cause: p.cause })
    this.index = p.index
  }
}

/** A call cannot be proposed as a Safe batch (it sends ETH through MultiSendCallOnly, or its function is not in its ABI). */
export class UnproposableCallError extends RestakeError {
  override name = 'UnproposableCallError' as const
  constructor(p: { index: number; reason: string }) {
    super(`Call ${p.index} cannot be put in a Safe batch: ${p.reason}.`, { details: p.reason })
  }
}

/** `EmptyRoleScopeError` narrowed by name. */
export type EmptyRoleScopeErrorType = EmptyRoleScopeError & { name: 'EmptyRoleScopeError' }
/** `ProposalDecodeError` narrowed by name. */
export type ProposalDecodeErrorType = ProposalDecodeError & { name: 'ProposalDecodeError' }
/** `UnproposableCallError` narrowed by name. */
export type UnproposableCallErrorType = UnproposableCallError & { name: 'UnproposableCallError' }
