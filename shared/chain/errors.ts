/** Errors of the chain layer: each names what was being done and keeps the viem error as `cause`. */
import type { Address, Hex } from 'viem'
import { RestakeError } from '../errors.js'

/** A read from the node failed (timeout, 5xx, malformed answer). */
export class ChainReadError extends RestakeError {
  override name = 'ChainReadError' as const
  constructor(p: { what: string; cause?: unknown }) {
    super(`Reading ${p.what} from the chain failed.`, { details: p.cause instanceof Error ? p.cause.message.split('\n')[0] : String(p.cause), cause: p.cause })
  }
}

/** The signer lacks a role the planned calls need; nothing was sent. */
export class MissingRoleError extends RestakeError {
  override name = 'MissingRoleError' as const
  readonly role: string
  readonly delegator: Address
  readonly account: Address
  /** Every curator role the account lacks on the delegator (the `role` the calls need first among them). */
  readonly missing: readonly string[]
  constructor(p: { role: string; delegator: Address; account: Address; missing?: readonly string[] | undefined }) {
    const missing = p.missing?.length ? p.missing : [p.role]
    const roles = missing.join(' and ')
    super(`Signer ${p.account} lacks ${roles} on delegator ${p.delegator}; nothing was sent.`, {
      details: `grant ${roles} to ${p.account} on ${p.delegator} (or the Roles module's scope in DAO mode, docs/dao.md), or remove the position from the policy`,
    })
    this.missing = missing
    this.role = p.role
    this.delegator = p.delegator
    this.account = p.account
  }
}

/** Simulating a planned call reverted; nothing was sent. `reason` is the decoded custom error (e.g. `AlreadySet()`). */
export class SimulationRevertedError extends RestakeError {
  override name = 'SimulationRevertedError' as const
  readonly reason: string
  readonly actionIndex: number
  constructor(p: { reason: string; actionIndex: number; functionName: string; address: Address; cause?: unknown }) {
    super(`Simulating action ${p.actionIndex} (${p.functionName} on ${p.address}) reverted with ${p.reason}; nothing was sent.`, { details: p.reason, cause: p.cause })
    this.reason = p.reason
    this.actionIndex = p.actionIndex
  }
}

/** A sent transaction was mined but reverted. */
export class TransactionRevertedError extends RestakeError {
  override name = 'TransactionRevertedError' as const
  /** @param p.note what the cross-check of the receipt against the chain found, when it did not simply agree */
  constructor(p: { hash: Hex; actionIndex: number; note?: string }) {
    super(`Transaction ${p.hash} (action ${p.actionIndex}) reverted on-chain.${p.note ? ` ${p.note}.` : ''}`, { details: `tx ${p.hash}` })
  }
}
