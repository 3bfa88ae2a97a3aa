/** What readers see of a synced source: its logs up to the block every (address, topic) of its filter is synced to. */
import { type AbiEvent, type Address, type Hex, toEventSelector } from 'viem'
import type { ChainLogStorePort, StoredLog } from '../../store/chainLogs.js'
import { fitCoverage } from './syncSource.js'
import type { SyncSource } from './source.js'
import { SyncBehindError, SyncCoverageError } from './errors.js'

/** Options of {@link readSourceEvents}. */
export interface ReadSourceEventsParameters {
  fromBlock?: bigint
  /** Capped at the source's `syncedTo`. */
  toBlock?: bigint
  /** Only logs whose topic0 is this event selector. */
  eventTopic?: Hex
}

/** Logs in chain order, and the block through which they are complete. */
export interface ReadSourceEventsReturnType {
  logs: StoredLog[]
  /** Every log of the source's filter up to this block is in the store (fromBlock − 1 before the first sync). */
  syncedTo: bigint
}

/**
 * The stored logs of `source` in chain order (viem `parseEventLogs` decodes them), only up to the block the whole
 * current filter is synced to, and only of its addresses and events (logs of a removed address stay stored but are not
 * returned; a newly added address holds `syncedTo` back until its backfill caught up).
 */
export async function readSourceEvents(store: ChainLogStorePort, source: SyncSource, p: ReadSourceEventsParameters = {}): Promise<ReadSourceEventsReturnType> {
  const key = { chainId: source.chainId, source: source.name }
  const cursor = await store.getCursor(key)
  const coverage = cursor && cursor.fromBlock === source.fromBlock ? fitCoverage(source, cursor.coverage) : []
  const syncedTo = coverage.length ? coverage.reduce((m, g) => (g.syncedTo < m ? g.syncedTo : m), coverage[0]!.syncedTo) : source.fromBlock - 1n
  const toBlock = p.toBlock === undefined || p.toBlock > syncedTo ? syncedTo : p.toBlock
  const fromBlock = p.fromBlock === undefined || p.fromBlock < source.fromBlock ? source.fromBlock : p.fromBlock
  if (toBlock < fromBlock) return { logs: [], syncedTo }
  const topic = p.eventTopic?.toLowerCase()
  const logs = (await store.queryLogs(key, { fromBlock, toBlock }))
    .filter((l) => source.addresses.includes(l.address) && l.topics[0] !== undefined && source.topics.includes(l.topics[0]) && (topic === undefined || l.topics[0] === topic))
    .map(({ sk: _sk, ...l }) => l)
  return { logs, syncedTo }
}

/** Parameters of {@link storedLogs}. */
export interface StoredLogsParameters {
  /** How far the source's `syncedTo` may be behind the block a reader reads at (its confirmation depth, plus slack). */
  maxLagBlocks: bigint
}

/**
 * A log source for readers (the shape of the readers' `events` query) over a synced source: one store read per reader
 * run, then every query is answered from it. Throws {@link SyncCoverageError} when asked for an address or event
 * outside the source's filter and {@link SyncBehindError} when the source lags the read by more than allowed.
 */
export function storedLogs(store: ChainLogStorePort, source: SyncSource, p: StoredLogsParameters): LogQuery {
  return logQuery(source, () => readSourceEvents(store, source), p.maxLagBlocks)
}

/** Every stored log of `address` × `event` up to `toBlock`, in chain order (a reader's `events` query). */
export type LogQuery = (q: { address: readonly Address[]; event: AbiEvent; toBlock: bigint }) => Promise<StoredLog[]>

/**
 * Answers log queries from one read of a synced source; refuses by name an address or event outside the source
 * ({@link SyncCoverageError}) and a read more than `maxLagBlocks` after what the source holds ({@link SyncBehindError}).
 */
export function logQuery(source: SyncSource, read: PromiseLike<ReadSourceEventsReturnType> | (() => PromiseLike<ReadSourceEventsReturnType>), maxLagBlocks: bigint): LogQuery {
  let once: PromiseLike<ReadSourceEventsReturnType> | undefined
  return async (q) => {
    const topic = toEventSelector(q.event)
    const addresses = new Set(q.address.map((a) => a.toLowerCase()))
    const missing = [...[...addresses].filter((a) => !source.addresses.includes(a as Address)).map((a) => `address ${a}`), ...(source.topics.includes(topic) ? [] : [`event ${q.event.name} (${topic})`])]
    if (missing.length) throw new SyncCoverageError({ source: source.name, missing })
    once ??= typeof read === 'function' ? read() : read
    const { logs, syncedTo } = await once
    if (q.toBlock - syncedTo > maxLagBlocks) throw new SyncBehindError({ source: source.name, fromBlock: source.fromBlock, syncedTo, toBlock: q.toBlock, maxLagBlocks })
    return logs.filter((l) => l.topics[0] === topic && addresses.has(l.address) && l.blockNumber <= q.toBlock)
  }
}
