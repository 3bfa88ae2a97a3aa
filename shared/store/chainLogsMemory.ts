/** The chain sync's store in memory (kept apart from ./memory.ts so the Lambda bundles that use it carry no other in-memory store). */
import { type ChainLogStorePort, type CursorUpdate, type SourceKey, type StoredLog, type SyncCursor, logSortKey } from './chainLogs.js'
import { StaleWriteError } from './errors.js'

const stale = (table: string, key: string) => new StaleWriteError({ table, key })
const copy = <T>(x: T): T => structuredClone(x)

/** Synced logs and their cursors in memory (lease and version checked like the table). */
export class MemoryChainLogStore implements ChainLogStorePort {
  readonly cursors = new Map<string, SyncCursor>()
  readonly logs = new Map<string, Map<string, StoredLog>>()
  private pk = (k: SourceKey) => `${k.chainId}#${k.source}`
  async getCursor(k: SourceKey): Promise<SyncCursor | undefined> {
    const c = this.cursors.get(this.pk(k))
    return c && copy(c)
  }
  async acquire(k: SourceKey, p: { owner: string; now: number; leaseMs: number; init: CursorUpdate }): Promise<SyncCursor> {
    const cur = this.cursors.get(this.pk(k))
    if (cur?.leaseOwner && cur.leaseOwner !== p.owner && cur.leaseUntil >= p.now) throw stale('chainLogs', this.pk(k))
    const next: SyncCursor = cur ? { ...cur, leaseOwner: p.owner, leaseUntil: p.now + p.leaseMs, updatedAt: p.now } : { ...k, ...copy(p.init), version: 0, leaseOwner: p.owner, leaseUntil: p.now + p.leaseMs, updatedAt: p.now }
    this.cursors.set(this.pk(k), next)
    return copy(next)
  }
  async commit(cursor: SyncCursor, update: CursorUpdate, p: { owner: string; now: number; leaseMs: number; release?: boolean }): Promise<SyncCursor> {
    const cur = this.cursors.get(this.pk(cursor))
    if (!cur || cur.version !== cursor.version || cur.leaseOwner !== p.owner) throw stale('chainLogs', this.pk(cursor))
    const { leaseOwner: _owner, ...rest } = { ...cur, ...copy(update), version: cur.version + 1, leaseUntil: p.release ? 0 : p.now + p.leaseMs, updatedAt: p.now }
    const next: SyncCursor = p.release ? rest : { ...rest, leaseOwner: p.owner }
    this.cursors.set(this.pk(cursor), next)
    return copy(next)
  }
  async release(k: SourceKey, owner: string, now: number): Promise<void> {
    const cur = this.cursors.get(this.pk(k))
    if (cur?.leaseOwner !== owner) return
    const { leaseOwner: _owner, ...rest } = cur
    this.cursors.set(this.pk(k), { ...rest, leaseUntil: 0, updatedAt: now })
  }
  async writeLogs(k: SourceKey, owner: string, p: { puts: readonly StoredLog[]; deletes: readonly string[] }): Promise<void> {
    if (this.cursors.get(this.pk(k))?.leaseOwner !== owner) throw stale('chainLogs', this.pk(k))
    const logs = this.logs.get(this.pk(k)) ?? new Map<string, StoredLog>()
    for (const sk of p.deletes) logs.delete(sk)
    for (const l of p.puts) logs.set(logSortKey(l.blockNumber, l.logIndex), copy(l))
    this.logs.set(this.pk(k), logs)
  }
  async queryLogs(k: SourceKey, p: { fromBlock?: bigint; toBlock?: bigint } = {}): Promise<(StoredLog & { sk: string })[]> {
    const logs = [...(this.logs.get(this.pk(k)) ?? new Map<string, StoredLog>())].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return logs.filter(([, l]) => (p.fromBlock === undefined || l.blockNumber >= p.fromBlock) && (p.toBlock === undefined || l.blockNumber <= p.toBlock)).map(([sk, l]) => ({ ...copy(l), sk }))
  }
}
