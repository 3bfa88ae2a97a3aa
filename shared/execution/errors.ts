/** Errors of the executor: why a run deferred, stopped or left an intent open. Each has a stable `name`. */
import type { Hex } from 'viem'
import { RestakeError } from '../errors.js'

const gwei = (wei: bigint): string => {
  const whole = wei / 1_000_000_000n
  const frac = (wei % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '')
  return frac ? `${whole}.${frac}` : whole.toString()
}

/** The network's fee is above the policy's gas price cap: the run defers and sends nothing (more). */
export class GasPriceTooHighError extends RestakeError {
  override name = 'GasPriceTooHighError' as const
  /** The typed skip reason a run records. */
  readonly reason = 'gasTooHigh' as const
  readonly baseFeePerGas: bigint
  readonly maxPriorityFeePerGas: bigint
  readonly capPerGas: bigint
  constructor(p: { baseFeePerGas: bigint; maxPriorityFeePerGas: bigint; capPerGas: bigint }) {
    super(`Gas price too high: base fee ${gwei(p.baseFeePerGas)} gwei + tip ${gwei(p.maxPriorityFeePerGas)} gwei is above the policy cap of ${gwei(p.capPerGas)} gwei; deferred, nothing was sent.`, {
      details: `baseFee=${p.baseFeePerGas} tip=${p.maxPriorityFeePerGas} cap=${p.capPerGas} (wei)`,
    })
    this.baseFeePerGas = p.baseFeePerGas
    this.maxPriorityFeePerGas = p.maxPriorityFeePerGas
    this.capPerGas = p.capPerGas
  }
}

/** A transaction was not mined within the wait budget (and could not be bumped further under the cap); the intent stays open for the next run. */
export class TransactionStuckError extends RestakeError {
  override name = 'TransactionStuckError' as const
  readonly intentId: string
  constructor(p: { intentId: string; nonce: number; txHashes: readonly string[]; why: string }) {
    super(`Intent ${p.intentId} (nonce ${p.nonce}) is not mined yet: ${p.why}. It stays open; the next run re-broadcasts it.`, { details: `txHashes=${p.txHashes.join(',')}` })
    this.intentId = p.intentId
  }
}

/** The intent's nonce was consumed by a transaction that is none of ours; the intent is closed as `superseded`. */
export class IntentSupersededError extends RestakeError {
  override name = 'IntentSupersededError' as const
  readonly intentId: string
  constructor(p: { intentId: string; nonce: number }) {
    super(`Intent ${p.intentId}: nonce ${p.nonce} was used by another transaction; the intent was closed as superseded and nothing was re-signed.`, { details: p.intentId })
    this.intentId = p.intentId
  }
}

/** The node refused a raw transaction for a reason that retrying the same bytes cannot fix. */
export class BroadcastRejectedError extends RestakeError {
  override name = 'BroadcastRejectedError' as const
  constructor(p: { txHash: Hex; message: string; cause?: unknown }) {
    super(`The node rejected transaction ${p.txHash}: ${p.message}`, { details: p.message, cause: p.cause })
  }
}

/** A call through the RPC failed after every retry. */
export class RpcUnavailableError extends RestakeError {
  override name = 'RpcUnavailableError' as const
  constructor(p: { what: string; attempts: number; cause?: unknown }) {
    super(`${p.what} failed after ${p.attempts} attempts.`, { details: p.cause instanceof Error ? p.cause.message.split('\n')[0] : String(p.cause), cause: p.cause })
  }
}

/** A run stopped (crash, timeout) before recording its outcome; a later run settled what it had persisted and closed it with this error. */
export class RunInterruptedError extends RestakeError {
  override name = 'RunInterruptedError' as const
  readonly runId: string
  constructor(p: { runId: string; closedBy: string; summary: string }) {
    super(`Run ${p.runId} stopped before recording its outcome (crash or timeout); run ${p.closedBy} settled what it had persisted: ${p.summary}.`, { details: p.summary })
    this.runId = p.runId
  }
}
