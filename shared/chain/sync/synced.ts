/**
 * How production reads get their logs (docs/sync.md "Wiring"): sync the protocol's source up to head − confirmations
 * (resumable across runs, stops at the run's deadline), then answer every log query of the read from the store. A
 * source that is not caught up (first sync, or a new address still backfilling) fails the read by name
 * ({@link SyncBehindError}): nothing is planned on partial history, and the next run continues the sync.
 */
import type { Hex, PublicClient } from 'viem'
import { createLogFetcher as createRangeFetcher } from '../rpc/getLogs.js'
import type { ChainLogStorePort } from '../../store/chainLogs.js'
import { MemoryChainLogStore } from '../../store/chainLogsMemory.js'
import { SyncBehindError } from './errors.js'
import { type LogQuery, logQuery, readSourceEvents } from './read.js'
import type { LogFetcher, SyncSource } from './source.js'
import { type SyncDeps, type SyncSourceReturnType, syncSource } from './syncSource.js'

/** Blocks a synced source may lag a read beyond the confirmation depth: another run's sync holding the lease. */
export const SYNC_LAG_SLACK = 32n

/** What a reader needs to read its logs through the chain sync: the store, how logs are fetched, and the run's limits. */
export interface ChainSync {
  store: ChainLogStorePort
  /** Blocks behind the head that are stored (config.confirmations). */
  confirmations: number
  /** How logs are fetched (default: the adaptive fetcher of shared/chain/rpc through the reader's client). */
  fetchLogs?: LogFetcher | undefined
  /** Epoch ms after which no new chunk starts: a Lambda passes now + its remaining time − a margin. */
  deadline?: number | undefined
  /** Blocks per stored chunk (default: config `rpc.getLogsRange`, else 10 000). */
  chunkBlocks?: number | undefined
  clock?: (() => number) | undefined
  logger?: SyncDeps['logger']
}

/** The {@link ChainSync} of a run: the `chainLogs` store, the config's confirmation depth and fixed log range, the run's deadline. */
export function chainSyncFor(p: { config: { confirmations: number; rpc?: { getLogsRange?: number | undefined } | undefined }; chainLogs: ChainLogStorePort; syncDeadline?: number | undefined }): ChainSync {
  return { store: p.chainLogs, confirmations: p.config.confirmations, ...(p.config.rpc?.getLogsRange ? { chunkBlocks: p.config.rpc.getLogsRange } : {}), ...(p.syncDeadline !== undefined ? { deadline: p.syncDeadline } : {}) }
}

/** Result of {@link syncedLogs}. */
export interface SyncedLogsReturnType {
  query: LogQuery
  /** What this run's sync did (requests, chunks, reorgs; `busy` when another run held the source). */
  sync: SyncSourceReturnType
  /** Every log of the source up to this block is in the store. */
  syncedTo: bigint
}

/**
 * Syncs `source` (see {@link ChainSync}) and returns a query over its stored logs, read once from the store.
 * @param head the block the read is pinned at (the sync does not read the head again)
 * @throws {SyncBehindError} when the source is more than confirmations + {@link SYNC_LAG_SLACK} blocks behind `head`
 */
export async function syncedLogs(client: PublicClient, sync: ChainSync, source: SyncSource, head: { number: bigint; hash: Hex }): Promise<SyncedLogsReturnType> {
  const result = await runSync(client, sync, source, head)
  const read = await readSourceEvents(sync.store, source)
  const maxLagBlocks = BigInt(sync.confirmations) + SYNC_LAG_SLACK
  if (head.number - read.syncedTo > maxLagBlocks) throw new SyncBehindError({ source: source.name, fromBlock: source.fromBlock, syncedTo: read.syncedTo, toBlock: head.number, maxLagBlocks })
  return { query: logQuery(source, Promise.resolve(read), maxLagBlocks), sync: result, syncedTo: read.syncedTo }
}

/**
 * One sync run of `source` with a {@link ChainSync} (resumable: stops at its deadline; `busy` when another run holds
 * the source), the head already read by the caller.
 */
export async function runSync(client: PublicClient, sync: ChainSync, source: SyncSource, head: { number: bigint; hash: Hex }): Promise<SyncSourceReturnType> {
  const chunkBlocks = sync.chunkBlocks ?? 10_000
  const fetchLogs = sync.fetchLogs ?? createRangeFetcher(client, { initialRange: chunkBlocks })
  return syncSource({ client, store: sync.store, fetchLogs, ...(sync.clock ? { clock: sync.clock } : {}), ...(sync.logger ? { logger: sync.logger } : {}) }, source, {
    confirmations: sync.confirmations,
    chunkBlocks,
    head,
    ...(sync.deadline !== undefined ? { deadline: sync.deadline } : {}),
  })
}

/**
 * A {@link ChainSync} over a fresh in-memory store, synced to the head: the readers' default for one-off reads from
 * `fromBlock` (tests, tools such as `autopilot dao permissions`, `plan` without tables), through the same
 * provider-proof path. Kept and reused, later reads fetch only the new blocks (as the `chainLogs` table does).
 */
export function memoryChainSync(): ChainSync {
  return { store: new MemoryChainLogStore(), confirmations: 0, chunkBlocks: 1_000_000_000 }
}
