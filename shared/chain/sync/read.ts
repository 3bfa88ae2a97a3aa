/** What readers see of a synced source: its logs up to the block every (address, topic) of its filter is synced to. */
import { type AbiEvent, type Address, type Hex, toEventSelector } from 'viem'
import type { ChainLogStore, StoredLog } from '../../store/chainLogs.js'
import { SyncBehindError, SyncCoverageError } from './errors.js'
import { fitCoverage } from './syncSource.js'
import type { SyncSource } from './source.js'

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
export async function readSourceEvents(store: ChainLogStore, source: SyncSource, p: ReadSourceEventsParameters = {}): Promise<ReadSourceEventsReturnType> {
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
 * A log source for readers (the shape of the Symbiotic reader's `events` input) over a synced source: one store read
 * per reader run, then every query is answered from it. Throws {@link SyncCoverageError} when asked for an address or
 * event outside the source's filter and {@link SyncBehindError} when the source lags the read by more than allowed.
 */
export function storedLogs(store: ChainLogStore, source: SyncSource, p: StoredLogsParameters): (q: { address: readonly Address[]; event: AbiEvent; toBlock: bigint }) => Promise<StoredLog[]> {
  let read: Promise<ReadSourceEventsReturnType> | undefined
  return async (q) => {
    const topic = toEventSelector(q.event)
    const addresses = new Set(q.address.map((a) => a.toLowerCase()))
    const missing = [...[...addresses].filter((a) => !source.addresses.includes(a as Address)).map((a) => `address ${a}`), ...(source.topics.includes(topic) ? [] : [`event ${q.event.name} (${topic})`])]
    if (missing.length) throw new SyncCoverageError({ source: source.name, missing })
    read ??= readSourceEvents(store, source)
    const { logs, syncedTo } = await read
    if (q.toBlock - syncedTo > p.maxLagBlocks) throw new SyncBehindError({ source: source.name, fromBlock: source.fromBlock, syncedTo, toBlock: q.toBlock, maxLagBlocks: p.maxLagBlocks })
    return logs.filter((l) => l.topics[0] === topic && addresses.has(l.address) && l.blockNumber <= q.toBlock)
  }
}
