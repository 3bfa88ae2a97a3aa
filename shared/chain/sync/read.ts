/** What readers see of a synced source: its logs up to the block every (address, topic) of its filter is synced to. */
import type { Hex } from 'viem'
import type { ChainLogStore, StoredLog } from '../../store/chainLogs.js'
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
