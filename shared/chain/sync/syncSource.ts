/**
 * Incremental, reorg-safe sync of one source into the `chainLogs` table (docs/sync.md).
 *
 * One run: take the source's lease → fit the stored coverage to the source's filter (a new address or event gets its
 * own group from the deployment block; the rest keeps its progress) → check the newest checkpoint hash against the
 * chain (on a mismatch: find the newest checkpoint that still matches, rewind every group to it, drop the logs above)
 * → read chunk by chunk up to `head − confirmations`, the group that lags the most first, and for each chunk verify
 * the answer before storing it: every log's block hash equals the chain's header for that block, the head and the
 * newest checkpoint kept their hashes while the logs were read → write the logs (lease-fenced), then move the cursor
 * (compare-and-set) → stop at the deadline; the next run continues from the cursor.
 */
import { randomUUID } from 'node:crypto'
import { BlockNotFoundError, type Hex, type Log, type PublicClient } from 'viem'
import { type Checkpoint, type ChainLogStorePort, type CoverageGroup, type CursorUpdate, type StoredLog, type SyncCursor, logSortKey } from '../../store/chainLogs.js'
import { StaleWriteError } from '../../store/errors.js'
import { SyncInconsistentError, type SyncInconsistentErrorType } from './errors.js'
import { type LogFetcher, type SyncSource, createLogFetcher } from './source.js'

/** What a sync needs: headers from `client`, logs from `fetchLogs` (default: plain `eth_getLogs` through `client`). */
export interface SyncDeps {
  client: Pick<PublicClient, 'getBlock' | 'request'>
  store: ChainLogStorePort
  fetchLogs?: LogFetcher
  /** Epoch ms (default Date.now). */
  clock?: () => number
  logger?: { info: (msg: string, extra?: object) => void; warn: (msg: string, extra?: object) => void }
}

/** Options of {@link syncSource}. */
export interface SyncSourceOptions {
  /** Epoch ms (by `deps.clock`) after which no new chunk starts, e.g. now + Lambda remaining time − margin. */
  deadline?: number
  /** Blocks behind the head that are final enough to store (the cursor never passes head − confirmations); default 12. */
  confirmations?: number
  /** Blocks per stored chunk (one fetcher request, one commit); default 10 000. */
  chunkBlocks?: number
  /** Checkpoint hashes kept for finding a fork point; default 64. */
  keepCheckpoints?: number
  /** Lease on the source, renewed by every commit, ms; default 120 000. */
  leaseMs?: number
  /** Attempts at one chunk whose answers contradict each other before giving up; default 3. */
  maxAttempts?: number
  /**
   * The head block the caller already read (a reader pins its read at it): the sync then skips its own head read and
   * checks the newest checkpoint in the chunk's after-view (or alone when nothing is new), saving one round trip.
   */
  head?: { number: bigint; hash: Hex }
}

/** A reorg the sync found and undid. */
export interface SyncReorg {
  /** Newest checkpoint whose hash no longer matched. */
  mismatchAt: bigint
  /** Every group was rewound to this block (the newest checkpoint that still matched, or fromBlock − 1). */
  rewoundTo: bigint
  /** Stored logs above it that were dropped. */
  droppedLogs: number
}

/** Result of {@link syncSource}. */
export interface SyncSourceReturnType {
  /** True when every (address, topic) of the source is stored up to head − confirmations as seen at the start. */
  complete: boolean
  /** Every log of the source's filter up to this block is stored (fromBlock − 1 before anything is). */
  syncedTo: bigint
  /** RPC round trips made: one per header batch (one JSON-RPC batch) and one per fetcher call. */
  requests: number
  /** Chunks stored. */
  chunks: number
  /** Logs written (puts). */
  stored: number
  reorgs: SyncReorg[]
  /** Another sync holds the source's lease: nothing was done (what it committed so far is readable). */
  busy?: true
  /** The lease was taken over by another sync mid-run (this run stopped; what it committed stays). */
  leaseLost?: true
}

/** Error {@link syncSource} throws itself (RPC and DynamoDB errors propagate as they are). */
export type SyncSourceErrorType = SyncInconsistentErrorType

const sameSet = <T>(a: readonly T[], b: readonly T[]) => a.length === b.length && a.every((x) => b.includes(x))
const minOf = (xs: bigint[]) => xs.reduce((m, x) => (x < m ? x : m))

/**
 * Fits stored coverage to the source's filter: each group keeps only the source's addresses and topics; every
 * (address, topic) no group covers lands in a new group at `fromBlock − 1`; groups with the same progress merge.
 */
export function fitCoverage(source: SyncSource, coverage: readonly CoverageGroup[]): CoverageGroup[] {
  const kept = coverage
    .map((g) => ({ addresses: g.addresses.filter((a) => source.addresses.includes(a)), topics: g.topics.filter((t) => source.topics.includes(t)), syncedTo: g.syncedTo }))
    .filter((g) => g.addresses.length > 0 && g.topics.length > 0)
  const missing = new Map<string, CoverageGroup>()
  for (const a of source.addresses) {
    const covered = new Set(kept.filter((g) => g.addresses.includes(a)).flatMap((g) => g.topics))
    const topics = source.topics.filter((t) => !covered.has(t))
    if (topics.length === 0) continue
    const key = topics.join(',')
    const g = missing.get(key) ?? { addresses: [], topics, syncedTo: source.fromBlock - 1n }
    g.addresses.push(a)
    missing.set(key, g)
  }
  return mergeCoverage([...kept, ...missing.values()])
}

/** Merges groups at the same block that share their topics (or their addresses); order is stable. */
function mergeCoverage(groups: readonly CoverageGroup[]): CoverageGroup[] {
  const out: CoverageGroup[] = []
  for (const g of groups) {
    const into = out.find((o) => o.syncedTo === g.syncedTo && (sameSet(o.topics, g.topics) || sameSet(o.addresses, g.addresses)))
    if (!into) out.push({ addresses: [...g.addresses].sort(), topics: [...g.topics].sort(), syncedTo: g.syncedTo })
    else if (sameSet(into.topics, g.topics)) into.addresses = [...new Set([...into.addresses, ...g.addresses])].sort()
    else into.topics = [...new Set([...into.topics, ...g.topics])].sort()
  }
  return out
}

const covers = (groups: readonly CoverageGroup[], l: { address: string; topics: readonly string[] }) => {
  const a = l.address.toLowerCase()
  const t = l.topics[0]?.toLowerCase()
  return groups.some((g) => g.addresses.includes(a as never) && g.topics.includes(t as never))
}

const sameCoverage = (a: readonly CoverageGroup[], b: readonly CoverageGroup[]) => JSON.stringify(a, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) === JSON.stringify(b, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))

/** A header view: the hash of each block number fetched in one batch. */
type Headers = Map<bigint, Hex>

/**
 * Syncs `source` into the store from its cursor up to head − confirmations, chunk by chunk, until done or the
 * deadline; safe to run concurrently (one holds the lease, the other returns `busy`) and after a crash (the next run
 * continues from the last committed chunk). Throws {@link SyncInconsistentError} when the node keeps contradicting
 * itself on a range (nothing of it is stored).
 */
export async function syncSource(deps: SyncDeps, source: SyncSource, opts: SyncSourceOptions = {}): Promise<SyncSourceReturnType> {
  const clock = deps.clock ?? Date.now
  const fetchLogs = deps.fetchLogs ?? createLogFetcher(deps.client)
  const confirmations = BigInt(opts.confirmations ?? 12)
  const chunkBlocks = BigInt(opts.chunkBlocks ?? 10_000)
  const keep = opts.keepCheckpoints ?? 64
  const leaseMs = opts.leaseMs ?? 120_000
  const maxAttempts = opts.maxAttempts ?? 3
  const key = { chainId: source.chainId, source: source.name }
  const owner = randomUUID()
  const result: SyncSourceReturnType = { complete: false, syncedTo: source.fromBlock - 1n, requests: 0, chunks: 0, stored: 0, reorgs: [] }
  const syncedTo = (c: SyncCursor) => (c.coverage.length ? minOf(c.coverage.map((g) => g.syncedTo)) : source.fromBlock - 1n)

  const init: CursorUpdate = { filterHash: source.filterHash, fromBlock: source.fromBlock, coverage: fitCoverage(source, []), checkpoints: [] }
  let cursor: SyncCursor
  try {
    cursor = await deps.store.acquire(key, { owner, now: clock(), leaseMs, init })
  } catch (e) {
    if (!(e instanceof StaleWriteError)) throw e
    const held = await deps.store.getCursor(key)
    return { ...result, busy: true, syncedTo: held && held.fromBlock === source.fromBlock ? syncedTo({ ...held, coverage: fitCoverage(source, held.coverage) }) : result.syncedTo }
  }
  const commit = async (update: Partial<CursorUpdate>) => {
    cursor = await deps.store.commit(cursor, { filterHash: cursor.filterHash, fromBlock: cursor.fromBlock, coverage: cursor.coverage, checkpoints: cursor.checkpoints, ...update }, { owner, now: clock(), leaseMs })
  }
  /** One batch of headers; a block the node does not have (the chain got shorter) is absent from the map. */
  const headers = async (numbers: Iterable<bigint>): Promise<Headers> => {
    const unique = [...new Set(numbers)]
    result.requests++
    const blocks = await Promise.all(unique.map((n) => header(n)))
    return new Map(unique.flatMap((n, i) => (blocks[i] ? [[n, blocks[i]] as const] : [])))
  }
  const header = (blockNumber: bigint) =>
    deps.client.getBlock({ blockNumber }).then(
      (b) => b.hash,
      (e: unknown) => {
        if (e instanceof BlockNotFoundError) return undefined
        throw e
      },
    )
  /** Drops every stored log above `block` for the given groups' (address, topic) pairs (all logs when `groups` is absent). */
  const dropAbove = async (block: bigint, to?: bigint, groups?: readonly CoverageGroup[], except: ReadonlySet<string> = new Set()) => {
    const stale = (await deps.store.queryLogs(key, { fromBlock: block + 1n, toBlock: to })).filter((l) => (!groups || covers(groups, l)) && !except.has(l.sk))
    if (stale.length) await deps.store.writeLogs(key, owner, { puts: [], deletes: stale.map((l) => l.sk) })
    return stale.length
  }

  try {
    // The deployment block moved: what is stored was read from another start; start over.
    if (cursor.fromBlock !== source.fromBlock) {
      deps.logger?.warn('sync source fromBlock changed; starting over', { source: source.name, was: cursor.fromBlock, now: source.fromBlock })
      await commit({ fromBlock: source.fromBlock, coverage: [], checkpoints: [] })
      await dropAbove(-1n)
    }
    const fitted = fitCoverage(source, cursor.coverage)
    if (!sameCoverage(fitted, cursor.coverage) || cursor.filterHash !== source.filterHash) await commit({ filterHash: source.filterHash, coverage: fitted })

    let head: { number: bigint; hash: Hex } | undefined = opts.head
    // Headers known to match the head above (the last chunk's after-view); a given head alone does not vouch for the checkpoint.
    let view: Headers | undefined = opts.head && new Map([[opts.head.number, opts.head.hash]])
    let attempts = 0
    let lastChunkMs = 0
    for (;;) {
      const now = clock()
      if (opts.deadline !== undefined && now + lastChunkMs > opts.deadline) break
      const newest = cursor.checkpoints.at(-1)
      if (!head || !view) {
        // Before view: the head, and the newest checkpoint (a mismatch means the chain reorganised below the cursor).
        result.requests++
        const [latest, atCheckpoint] = await Promise.all([deps.client.getBlock({ blockTag: 'latest' }), newest ? header(newest.number) : undefined])
        head = { number: latest.number, hash: latest.hash }
        view = new Map([[latest.number, latest.hash], ...(newest && atCheckpoint ? [[newest.number, atCheckpoint] as const] : [])])
      }
      if (newest && view.has(newest.number) && view.get(newest.number) !== newest.hash) {
        await rewind(newest)
        view = undefined
        continue
      }
      const target = head.number - confirmations
      const lowest = syncedTo(cursor)
      if (lowest >= target) {
        // Nothing new: with a given head the checkpoint is still unchecked; check it before calling the store current.
        if (newest && !view.has(newest.number)) {
          view = new Map([...view, ...(await headers([newest.number]))])
          if (!view.has(newest.number)) view.set(newest.number, '0x' as Hex) // the chain got shorter: a mismatch
          continue
        }
        result.complete = true
        break
      }
      // The group that lags the most reads up to the next group's block (then they merge), a chunk at most.
      const batch = cursor.coverage.filter((g) => g.syncedTo === lowest)
      const above = cursor.coverage.filter((g) => g.syncedTo > lowest).map((g) => g.syncedTo)
      const fromBlock = lowest + 1n
      const toBlock = minOf([fromBlock + chunkBlocks - 1n, target, ...above])
      const started = clock()
      const logs = await fetchLogs({ address: [...new Set(batch.flatMap((g) => g.addresses))], topics: [[...new Set(batch.flatMap((g) => g.topics))]], fromBlock, toBlock })
      result.requests++
      const logBlocks = logs.map((l) => l.blockNumber).filter((n): n is bigint => n !== null)
      // After view: the same head and checkpoint, the chunk's last block, and every block a log claims.
      const after = await headers([head.number, toBlock, ...(newest ? [newest.number] : []), ...logBlocks])
      const problem = checkChunk({ logs, after, fromBlock, toBlock, unchanged: [[head.number, head.hash], ...(newest ? [[newest.number, newest.hash] as const] : [])] })
      if (problem) {
        attempts++
        deps.logger?.warn('sync chunk answers contradict each other; reading again', { source: source.name, fromBlock, toBlock, problem, attempts })
        if (attempts >= maxAttempts) throw new SyncInconsistentError({ source: source.name, fromBlock, toBlock, reason: problem, attempts })
        view = undefined
        continue
      }
      attempts = 0
      // One item per (block, log index): a fetcher that splits ranges may answer a log twice.
      const byKey = new Map(logs.filter((l) => covers(batch, l)).map((l) => [logSortKey(l.blockNumber!, l.logIndex!), toStored(l)]))
      const puts = [...byKey.values()]
      // Logs left in this range by a sync that lost its lease or crashed before its commit: not on the chain we read.
      await dropAbove(lowest, toBlock, batch, new Set(byKey.keys()))
      await deps.store.writeLogs(key, owner, { puts, deletes: [] })
      const checkpoints = [...cursor.checkpoints.filter((c) => c.number !== toBlock), { number: toBlock, hash: after.get(toBlock)! }].sort((a, b) => (a.number < b.number ? -1 : a.number > b.number ? 1 : 0)).slice(-keep)
      await commit({ coverage: mergeCoverage(cursor.coverage.map((g) => (batch.includes(g) ? { ...g, syncedTo: toBlock } : g))), checkpoints })
      result.chunks++
      result.stored += puts.length
      view = after
      lastChunkMs = clock() - started
    }
  } catch (e) {
    if (!(e instanceof StaleWriteError)) throw e
    deps.logger?.warn('sync lease lost to another sync; stopping', { source: source.name })
    result.leaseLost = true
  } finally {
    if (!result.leaseLost) await deps.store.release(key, owner, clock())
  }
  result.syncedTo = syncedTo(cursor)
  return result

  /** The newest checkpoint no longer matches: rewind to the newest that does and drop the logs above it. */
  async function rewind(mismatch: Checkpoint): Promise<void> {
    const older = cursor.checkpoints.slice(0, -1)
    const now = older.length ? await headers(older.map((c) => c.number)) : new Map<bigint, Hex>()
    const anchor = [...older].reverse().find((c) => now.get(c.number) === c.hash)
    const rewoundTo = anchor?.number ?? source.fromBlock - 1n
    deps.logger?.warn('sync found a reorg below the cursor; rewinding', { source: source.name, mismatchAt: mismatch.number, rewoundTo })
    // Cursor first (logs above it stop counting), then the logs.
    await commit({ coverage: mergeCoverage(cursor.coverage.map((g) => ({ ...g, syncedTo: g.syncedTo < rewoundTo ? g.syncedTo : rewoundTo }))), checkpoints: cursor.checkpoints.filter((c) => c.number <= rewoundTo) })
    result.reorgs.push({ mismatchAt: mismatch.number, rewoundTo, droppedLogs: await dropAbove(rewoundTo) })
  }
}

/** Why a chunk's answers cannot be stored, or undefined when they agree with each other. */
function checkChunk(p: { logs: readonly Log[]; after: Headers; unchanged: readonly (readonly [bigint, Hex])[]; fromBlock: bigint; toBlock: bigint }): string | undefined {
  for (const [n, hash] of p.unchanged) if (p.after.get(n) !== hash) return `block ${n} changed hash while the logs were read (${hash} → ${p.after.get(n) ?? 'gone'})`
  if (!p.after.has(p.toBlock)) return `block ${p.toBlock} is gone`
  for (const l of p.logs) {
    if (l.blockNumber === null || l.blockHash === null || l.logIndex === null || l.transactionHash === null) return 'a log is pending (no block)'
    if (l.removed) return `a log of block ${l.blockNumber} is marked removed`
    if (l.blockNumber < p.fromBlock || l.blockNumber > p.toBlock) return `a log of block ${l.blockNumber} is outside the requested ${p.fromBlock}–${p.toBlock}`
    const hash = p.after.get(l.blockNumber)
    if (hash !== l.blockHash) return `a log claims block ${l.blockNumber} is ${l.blockHash} but the chain says ${hash}`
  }
  return undefined
}

function toStored(l: Log): StoredLog {
  return {
    address: l.address.toLowerCase() as StoredLog['address'],
    topics: l.topics,
    data: l.data,
    blockNumber: l.blockNumber!,
    blockHash: l.blockHash!,
    logIndex: l.logIndex!,
    transactionHash: l.transactionHash!,
    transactionIndex: l.transactionIndex ?? 0,
    ...(typeof l.blockTimestamp === 'bigint' ? { blockTimestamp: l.blockTimestamp } : {}),
    removed: false,
  }
}
