/** Errors of the chain sync: a bad source, a chain that contradicts itself, a lost lease. */
import { RestakeError } from '../../errors.js'

/** A source's filter is empty or malformed; nothing was read or stored. */
export class InvalidSyncSourceError extends RestakeError {
  override name = 'InvalidSyncSourceError' as const
  constructor(p: { source: string; problems: string[] }) {
    super(`Sync source "${p.source}" is invalid: ${p.problems.join('; ')}.`, { details: p.problems.join('; ') })
  }
}

/** Type of {@link InvalidSyncSourceError} narrowed by name. */
export type InvalidSyncSourceErrorType = InvalidSyncSourceError & { name: 'InvalidSyncSourceError' }

/**
 * The node's answers contradict each other on every attempt (logs for a block whose hash is not the chain's, a log
 * outside the requested range, the head replaced while reading): nothing of that range was stored, the cursor stayed.
 */
export class SyncInconsistentError extends RestakeError {
  override name = 'SyncInconsistentError' as const
  constructor(p: { source: string; fromBlock: bigint; toBlock: bigint; reason: string; attempts: number }) {
    super(`Sync of "${p.source}" gave up on blocks ${p.fromBlock}–${p.toBlock} after ${p.attempts} attempts: ${p.reason}; nothing of that range was stored.`, { details: p.reason })
  }
}

/** Type of {@link SyncInconsistentError} narrowed by name. */
export type SyncInconsistentErrorType = SyncInconsistentError & { name: 'SyncInconsistentError' }
