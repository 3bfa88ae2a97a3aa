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

/** A reader asked a synced source for logs its filter does not hold: reading on would miss events, so nothing is returned. */
export class SyncCoverageError extends RestakeError {
  override name = 'SyncCoverageError' as const
  constructor(p: { source: string; missing: string[] }) {
    super(`Sync source "${p.source}" does not hold ${p.missing.join(', ')}; add them to the source (they backfill from its fromBlock).`, { details: p.missing.join(', ') })
  }
}

/** Type of {@link SyncCoverageError} narrowed by name. */
export type SyncCoverageErrorType = SyncCoverageError & { name: 'SyncCoverageError' }

/** A synced source is further behind the block a reader reads at than it allows (first sync or a backfill not done). */
export class SyncBehindError extends RestakeError {
  override name = 'SyncBehindError' as const
  constructor(p: { source: string; fromBlock: bigint; syncedTo: bigint; toBlock: bigint; maxLagBlocks: bigint }) {
    const where = p.syncedTo < p.fromBlock ? `has synced nothing yet (it starts at block ${p.fromBlock})` : `is synced to block ${p.syncedTo}, ${p.toBlock - p.syncedTo} blocks behind block ${p.toBlock}`
    super(`Sync source "${p.source}" ${where}; a read at block ${p.toBlock} allows at most ${p.maxLagBlocks} blocks of lag. Nothing is read on partial history; the sync continues where it stopped on the next run.`, {
      details: `syncedTo ${p.syncedTo}, read at ${p.toBlock}`,
    })
  }
}

/** Type of {@link SyncBehindError} narrowed by name. */
export type SyncBehindErrorType = SyncBehindError & { name: 'SyncBehindError' }
