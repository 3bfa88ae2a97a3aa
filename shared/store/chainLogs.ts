/**
 * The `chainLogs` table of the chain sync (docs/sync.md). One partition per (chain, source): the cursor item
 * (`sk = cursor`: what is covered up to which block, the checkpoint hashes for reorg detection, a lease) and one item
 * per log (`sk = log#<block>#<logIndex>`, zero-padded, so a Query returns them in chain order). Block numbers are
 * stored as decimal strings (exact). Only the lease holder writes logs (each batch is a transaction with a check on the
 * lease); the cursor moves with a compare-and-set on its version.
 */
import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand, paginateQuery } from '@aws-sdk/lib-dynamodb'
import type { Address, Hex } from 'viem'
import { decodeJson, encodeJson } from './client.js'
import { StaleWriteError, cancelledIndexes, isConditionalFailure } from './errors.js'
import { TableStore } from './tableStore.js'

/** Addresses × topics synced up to `syncedTo` (inclusive) from the cursor's `fromBlock`. */
export interface CoverageGroup {
  addresses: Address[]
  topics: Hex[]
  syncedTo: bigint
}

/** A block hash seen when a range up to that block was stored. */
export interface Checkpoint {
  number: bigint
  hash: Hex
}

/** The cursor of one (chain, source). */
export interface SyncCursor {
  chainId: number
  source: string
  /** Filter hash of the source when the cursor was last written. */
  filterHash: Hex
  fromBlock: bigint
  /** Disjoint (address, topic) groups, each with its own progress (a new address backfills alone). */
  coverage: CoverageGroup[]
  /** Ascending by number; the newest is checked against the chain on every sync. */
  checkpoints: Checkpoint[]
  /** Bumped on every write: the compare-and-set token. */
  version: number
  leaseOwner?: string
  /** Epoch ms. */
  leaseUntil: number
  /** Epoch ms. */
  updatedAt: number
}

/** A stored log: every field a decoder (viem `parseEventLogs`) needs, block number exact. */
export interface StoredLog {
  address: Address
  topics: [Hex, ...Hex[]] | []
  data: Hex
  blockNumber: bigint
  blockHash: Hex
  logIndex: number
  transactionHash: Hex
  transactionIndex: number
  /** Block timestamp (unix seconds) when the node sent it with the log (Anvil and some providers do). */
  blockTimestamp?: bigint
  removed: false
}

/** The key of one (chain, source) partition. */
export interface SourceKey {
  chainId: number
  source: string
}

/** The fields a commit changes. */
export type CursorUpdate = Pick<SyncCursor, 'filterHash' | 'fromBlock' | 'coverage' | 'checkpoints'>

const CURSOR_SK = 'cursor'
const MAX_TRANSACTION_ITEMS = 100
const pad = (n: bigint | number, width: number) => n.toString().padStart(width, '0')

/** Sort key of a log: zero-padded block and log index, so lexical order is chain order. */
export function logSortKey(blockNumber: bigint, logIndex: number): string {
  return `log#${pad(blockNumber, 20)}#${pad(logIndex, 10)}`
}

interface CursorItem {
  pk: string
  sk: string
  chainId: number
  source: string
  filterHash: Hex
  fromBlock: string
  coverage: string
  checkpoints: string
  version: number
  leaseOwner?: string
  leaseUntil: number
  updatedAt: number
}

interface LogItem extends Omit<StoredLog, 'blockNumber' | 'blockTimestamp' | 'removed'> {
  pk: string
  sk: string
  blockNumber: string
  blockTimestamp?: string
}

/**
 * The port of the `chainLogs` store: {@link ChainLogStore} on DynamoDB, `MemoryChainLogStore` (./memory.ts) for unit
 * tests and one-off reads. Same conditional semantics in both (StaleWriteError on a lost lease or a moved version).
 */
export interface ChainLogStorePort {
  getCursor(k: SourceKey): Promise<SyncCursor | undefined>
  acquire(k: SourceKey, p: { owner: string; now: number; leaseMs: number; init: CursorUpdate }): Promise<SyncCursor>
  commit(cursor: SyncCursor, update: CursorUpdate, p: { owner: string; now: number; leaseMs: number; release?: boolean }): Promise<SyncCursor>
  release(k: SourceKey, owner: string, now: number): Promise<void>
  writeLogs(k: SourceKey, owner: string, p: { puts: readonly StoredLog[]; deletes: readonly string[] }): Promise<void>
  queryLogs(k: SourceKey, p?: { fromBlock?: bigint; toBlock?: bigint }): Promise<(StoredLog & { sk: string })[]>
}

/** Reads and writes synced logs and their cursors (lease-fenced, compare-and-set). */
export class ChainLogStore extends TableStore implements ChainLogStorePort {
  private pk(k: SourceKey): string {
    return `${k.chainId}#${k.source}`
  }

  /** Reads a source's cursor (undefined before its first sync). */
  async getCursor(k: SourceKey): Promise<SyncCursor | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk: this.pk(k), sk: CURSOR_SK }, ConsistentRead: true }))
    return out.Item ? fromCursorItem(out.Item as CursorItem) : undefined
  }

  /**
   * Takes the source's lease for `owner` until `now + leaseMs`, creating the cursor with `init` when it does not exist.
   * StaleWriteError when another sync holds a live lease.
   */
  async acquire(k: SourceKey, p: { owner: string; now: number; leaseMs: number; init: CursorUpdate }): Promise<SyncCursor> {
    const pk = this.pk(k)
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk, sk: CURSOR_SK },
          UpdateExpression: 'SET leaseOwner = :me, leaseUntil = :until, updatedAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(leaseOwner) OR leaseUntil < :now OR leaseOwner = :me)',
          ExpressionAttributeValues: { ':me': p.owner, ':until': p.now + p.leaseMs, ':now': p.now },
          ReturnValues: 'ALL_NEW',
        }),
      )
      return fromCursorItem(out.Attributes as CursorItem)
    } catch (e) {
      if (!isConditionalFailure(e)) throw e
    }
    // Absent or leased: create it (a lease held by another sync makes this lose too).
    const cursor: SyncCursor = { ...k, ...p.init, version: 0, leaseOwner: p.owner, leaseUntil: p.now + p.leaseMs, updatedAt: p.now }
    await this.conditional(pk, () => this.client.send(new PutCommand({ TableName: this.tableName, Item: toCursorItem(pk, cursor), ConditionExpression: 'attribute_not_exists(pk)' })))
    return cursor
  }

  /** Writes the cursor from `cursor.version` to the next version, renewing (or releasing) `owner`'s lease; StaleWriteError when it moved or the lease was lost. */
  async commit(cursor: SyncCursor, update: CursorUpdate, p: { owner: string; now: number; leaseMs: number; release?: boolean }): Promise<SyncCursor> {
    const pk = this.pk(cursor)
    const next: SyncCursor = { ...cursor, ...update, version: cursor.version + 1, leaseUntil: p.release ? 0 : p.now + p.leaseMs, updatedAt: p.now }
    if (p.release) delete next.leaseOwner
    else next.leaseOwner = p.owner
    await this.conditional(pk, () =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: toCursorItem(pk, next),
          ConditionExpression: 'version = :v AND leaseOwner = :me',
          ExpressionAttributeValues: { ':v': cursor.version, ':me': p.owner },
        }),
      ),
    )
    return next
  }

  /** Gives up `owner`'s lease if it still holds it (nothing else changes). */
  async release(k: SourceKey, owner: string, now: number): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: this.pk(k), sk: CURSOR_SK },
          UpdateExpression: 'REMOVE leaseOwner SET leaseUntil = :zero, updatedAt = :now',
          ConditionExpression: 'leaseOwner = :me',
          ExpressionAttributeValues: { ':me': owner, ':zero': 0, ':now': now },
        }),
      )
    } catch (e) {
      if (!isConditionalFailure(e)) throw e
    }
  }

  /**
   * Puts `logs` and deletes the logs at `deletes` (sort keys), in transactions that each check `owner` still holds the
   * lease; StaleWriteError when it does not (what was written before belongs to ranges the cursor does not cover yet).
   */
  async writeLogs(k: SourceKey, owner: string, p: { puts: readonly StoredLog[]; deletes: readonly string[] }): Promise<void> {
    const pk = this.pk(k)
    const items = [...p.deletes.map((sk) => ({ Delete: { TableName: this.tableName, Key: { pk, sk } } })), ...p.puts.map((l) => ({ Put: { TableName: this.tableName, Item: toLogItem(pk, l) } }))]
    const guard = { ConditionCheck: { TableName: this.tableName, Key: { pk, sk: CURSOR_SK }, ConditionExpression: 'leaseOwner = :me', ExpressionAttributeValues: { ':me': owner } } }
    for (let i = 0; i < items.length; i += MAX_TRANSACTION_ITEMS - 1) {
      try {
        await this.client.send(new TransactWriteCommand({ TransactItems: [guard, ...items.slice(i, i + MAX_TRANSACTION_ITEMS - 1)] }))
      } catch (e) {
        if (cancelledIndexes(e).includes(0)) throw new StaleWriteError({ table: this.tableName, key: pk, cause: e })
        throw e
      }
    }
  }

  /** The stored logs of a source in [fromBlock, toBlock] (inclusive, either open), in chain order, with their sort keys. */
  async queryLogs(k: SourceKey, p: { fromBlock?: bigint; toBlock?: bigint } = {}): Promise<(StoredLog & { sk: string })[]> {
    const lo = logSortKey(p.fromBlock ?? 0n, 0)
    const hi = p.toBlock === undefined ? 'log#~' : logSortKey(p.toBlock, 9_999_999_999)
    const out: (StoredLog & { sk: string })[] = []
    const pages = paginateQuery(
      { client: this.client },
      { TableName: this.tableName, KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi', ExpressionAttributeValues: { ':pk': this.pk(k), ':lo': lo, ':hi': hi }, ConsistentRead: true },
    )
    for await (const page of pages) for (const item of (page.Items ?? []) as LogItem[]) out.push({ ...fromLogItem(item), sk: item.sk })
    return out
  }
}

function toCursorItem(pk: string, c: SyncCursor): CursorItem {
  return {
    pk,
    sk: CURSOR_SK,
    chainId: c.chainId,
    source: c.source,
    filterHash: c.filterHash,
    fromBlock: c.fromBlock.toString(),
    coverage: encodeJson(c.coverage),
    checkpoints: encodeJson(c.checkpoints),
    version: c.version,
    ...(c.leaseOwner ? { leaseOwner: c.leaseOwner } : {}),
    leaseUntil: c.leaseUntil,
    updatedAt: c.updatedAt,
  }
}

function fromCursorItem(i: CursorItem): SyncCursor {
  return {
    chainId: i.chainId,
    source: i.source,
    filterHash: i.filterHash,
    fromBlock: BigInt(i.fromBlock),
    coverage: decodeJson<CoverageGroup[]>(i.coverage),
    checkpoints: decodeJson<Checkpoint[]>(i.checkpoints),
    version: i.version,
    ...(i.leaseOwner ? { leaseOwner: i.leaseOwner } : {}),
    leaseUntil: i.leaseUntil,
    updatedAt: i.updatedAt,
  }
}

function toLogItem(pk: string, l: StoredLog): LogItem {
  const { removed: _removed, blockNumber, blockTimestamp, ...rest } = l
  return { pk, sk: logSortKey(blockNumber, l.logIndex), ...rest, blockNumber: blockNumber.toString(), ...(blockTimestamp === undefined ? {} : { blockTimestamp: blockTimestamp.toString() }) }
}

function fromLogItem(i: LogItem): StoredLog {
  const { pk: _pk, sk: _sk, blockNumber, blockTimestamp, ...rest } = i
  return { ...rest, blockNumber: BigInt(blockNumber), ...(blockTimestamp === undefined ? {} : { blockTimestamp: BigInt(blockTimestamp) }), removed: false }
}
