/**
 * In-memory implementations of every store port, with the same conditional semantics as the DynamoDB ones (a second
 * start/create of an id, a stale transition or a finish of a finished run throws StaleWriteError; a lock held by a
 * live lease throws LockBusyError; a fenced write on a lost lease throws LockLostError). For unit tests of the
 * pipeline's branches in milliseconds; the integration tests use the real tables on DynamoDB Local.
 */
import { MemoryChainLogStore } from './chainLogsMemory.js'
import type { PauseState } from './control.js'
import { StaleWriteError } from './errors.js'
import { DuplicateEventError, claimRecord } from './events.js'
import { OPEN_INTENT_STATUSES } from './ports.js'
import { LockBusyError, LockLostError } from './locks.js'
import type {
  ClaimEventParameters,
  ClaimedEvent,
  ControlStorePort,
  CursorRecord,
  CursorStorePort,
  EventRecord,
  EventStatus,
  EventStorePort,
  IntentRecord,
  IntentStatus,
  IntentStorePort,
  IntentUpdate,
  LatestRunFilter,
  Lease,
  LeaseGuard,
  LockRecord,
  LockStorePort,
  RunKind,
  RunRecord,
  RunStatus,
  RunStorePort,
  SagaRecord,
  SagaStatus,
  SagaStorePort,
} from './ports.js'

export { MemoryChainLogStore }

const stale = (table: string, key: string) => new StaleWriteError({ table, key })
const copy = <T>(x: T): T => structuredClone(x)

/** Runs in memory. */
export class MemoryRunStore implements RunStorePort {
  readonly items = new Map<string, RunRecord>()
  async start(run: Pick<RunRecord, 'runId' | 'kind' | 'trigger' | 'startedAt'> & Partial<Pick<RunRecord, 'protocol' | 'triggerKind'>>): Promise<void> {
    if (this.items.has(run.runId)) throw stale('runs', run.runId)
    this.items.set(run.runId, { ...run, status: 'running' })
  }
  async finish(runId: string, fields: Omit<RunRecord, 'runId' | 'kind' | 'trigger' | 'startedAt' | 'protocol' | 'triggerKind'>): Promise<void> {
    const run = this.items.get(runId)
    if (run?.status !== 'running') throw stale('runs', runId)
    this.items.set(runId, copy({ ...run, ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) }) as RunRecord)
  }
  async get(runId: string): Promise<RunRecord | undefined> {
    return this.items.get(runId)
  }
  async list(kind: RunKind, limit = 20): Promise<RunRecord[]> {
    return [...this.items.values()]
      .filter((r) => r.kind === kind)
      .sort((a, b) => b.startedAt - a.startedAt)
      .slice(0, limit)
  }
  async latest(kind: RunKind, status: RunStatus, filter: LatestRunFilter = {}): Promise<RunRecord | undefined> {
    const protocolOf = (r: RunRecord) => r.protocol ?? 'symbiotic'
    return (await this.list(kind, Number.MAX_SAFE_INTEGER)).find((r) => r.status === status && (filter.protocol === undefined || protocolOf(r) === filter.protocol))
  }
}

/** Intents in memory (a guard must come from {@link MemoryLockStore}). */
export class MemoryIntentStore implements IntentStorePort {
  readonly items = new Map<string, IntentRecord>()
  async create(intent: IntentRecord, guard?: LeaseGuard): Promise<void> {
    if (this.items.has(intent.intentId)) throw stale('intents', intent.intentId)
    if (guard) commit(guard)
    this.items.set(intent.intentId, copy(intent))
  }
  async get(intentId: string): Promise<IntentRecord | undefined> {
    const i = this.items.get(intentId)
    return i && copy(i)
  }
  async transition(intentId: string, from: readonly IntentStatus[], to: IntentStatus, fields: IntentUpdate = {}): Promise<void> {
    const i = this.items.get(intentId)
    if (!i || !from.includes(i.status)) throw stale('intents', intentId)
    this.items.set(intentId, { ...i, ...copy(fields), status: to })
  }
  async replace(intentId: string, p: { previousTxHash: string; rawTx: string; txHash: string; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }, guard?: LeaseGuard): Promise<void> {
    const i = this.items.get(intentId)
    if (!i || i.txHash !== p.previousTxHash || !OPEN_INTENT_STATUSES.includes(i.status)) throw stale('intents', intentId)
    if (guard) commit(guard)
    this.items.set(intentId, {
      ...i,
      rawTx: p.rawTx,
      txHash: p.txHash,
      txHashes: [...i.txHashes, p.txHash],
      maxFeePerGas: p.maxFeePerGas.toString(),
      maxPriorityFeePerGas: p.maxPriorityFeePerGas.toString(),
      replacements: (i.replacements ?? 0) + 1,
    })
  }
  async noteReorg(intentId: string): Promise<void> {
    const i = this.items.get(intentId)
    if (i) this.items.set(intentId, { ...i, reorgs: (i.reorgs ?? 0) + 1 })
  }
  async listOpen(p: { from?: string } = {}): Promise<IntentRecord[]> {
    return [...this.items.values()].filter((i) => OPEN_INTENT_STATUSES.includes(i.status) && (p.from === undefined || i.from.toLowerCase() === p.from.toLowerCase())).map(copy)
  }
  async listByRun(runId: string, max = 1000): Promise<IntentRecord[]> {
    return [...this.items.values()]
      .filter((i) => i.runId === runId)
      .sort((a, b) => a.actionIndex - b.actionIndex)
      .slice(0, max)
      .map(copy)
  }
}

/** A memory guard commits (checks the lease and records nonce / open intent) when the guarded write commits. */
interface MemoryLeaseGuard extends LeaseGuard {
  commit: () => boolean
}

function commit(guard: LeaseGuard): void {
  if (!('commit' in guard)) throw new Error('a memory store was given a lease guard from another store implementation')
  if (!(guard as MemoryLeaseGuard).commit()) throw guard.lost()
}

/** The signer's lock in memory; `clock` drives lease expiry. */
export class MemoryLockStore implements LockStorePort {
  readonly items = new Map<string, LockRecord>()
  constructor(private readonly clock: () => number = () => Date.now()) {}
  async acquire(p: { lockId: string; runId: string; leaseMs: number; owner?: string }): Promise<Lease> {
    const now = this.clock()
    const old = this.items.get(p.lockId)
    if (old?.owner && old.expiresAt >= now) throw new LockBusyError({ lockId: p.lockId, holderRunId: old.runId, expiresAt: old.expiresAt })
    const owner = p.owner ?? `${p.runId}/${Math.random().toString(36).slice(2, 10)}`
    this.items.set(p.lockId, { ...old, lockId: p.lockId, owner, runId: p.runId, expiresAt: now + p.leaseMs, acquiredAt: now })
    return { lockId: p.lockId, owner, runId: p.runId, expiresAt: now + p.leaseMs, nextNonce: old?.nextNonce, openIntents: [...(old?.openIntents ?? [])], previous: old?.owner ? { runId: old.runId, expiresAt: old.expiresAt } : undefined }
  }
  private live(lease: Lease): LockRecord | undefined {
    const l = this.items.get(lease.lockId)
    return l && l.owner === lease.owner && l.expiresAt > this.clock() ? l : undefined
  }
  async renew(lease: Lease, leaseMs: number): Promise<void> {
    const l = this.live(lease)
    if (!l) throw new LockLostError({ lockId: lease.lockId, runId: lease.runId })
    l.expiresAt = lease.expiresAt = this.clock() + leaseMs
  }
  async release(lease: Lease): Promise<boolean> {
    const l = this.items.get(lease.lockId)
    if (!l || l.owner !== lease.owner) return false
    this.items.set(lease.lockId, { ...l, owner: undefined, runId: undefined, expiresAt: 0, lastRunId: lease.runId })
    return true
  }
  async get(lockId: string): Promise<LockRecord | undefined> {
    return this.items.get(lockId)
  }
  guard(lease: Lease, p: { leaseMs: number; nextNonce?: number; openIntent?: string }): LeaseGuard {
    const guard: MemoryLeaseGuard = {
      lost: () => new LockLostError({ lockId: lease.lockId, runId: lease.runId }),
      commit: () => {
        const l = this.live(lease)
        if (!l) return false
        l.expiresAt = this.clock() + p.leaseMs
        if (p.nextNonce !== undefined) l.nextNonce = p.nextNonce
        if (p.openIntent !== undefined) l.openIntents = new Set([...(l.openIntents ?? []), p.openIntent])
        return true
      },
    }
    return guard
  }
  applied(lease: Lease, p: { leaseMs: number; nextNonce?: number; openIntent?: string }): void {
    lease.expiresAt = this.clock() + p.leaseMs
    if (p.nextNonce !== undefined) lease.nextNonce = Math.max(lease.nextNonce ?? 0, p.nextNonce)
    if (p.openIntent !== undefined && !lease.openIntents.includes(p.openIntent)) lease.openIntents.push(p.openIntent)
  }
  async settle(lockId: string, intentIds: readonly string[]): Promise<void> {
    const l = this.items.get(lockId)
    if (l?.openIntents) for (const id of intentIds) l.openIntents.delete(id)
  }
}

/** The pause flag in memory. */
export class MemoryControlStore implements ControlStorePort {
  state: PauseState = { paused: false, version: 0 }
  async getPause(): Promise<PauseState> {
    return { ...this.state }
  }
  async isPaused(): Promise<boolean> {
    return this.state.paused
  }
  async setPaused(paused: boolean, p: { by: string; reason?: string; now: number }): Promise<PauseState> {
    this.state = { paused, by: p.by, ...(p.reason ? { reason: p.reason } : {}), updatedAt: p.now, version: this.state.version + 1 }
    return { ...this.state }
  }
}

/** Seen events in memory (claim semantics: a live or finished claim is a duplicate; an expired lease or a failure may be re-claimed). */
export class MemoryEventStore implements EventStorePort {
  readonly items = new Map<string, EventRecord>()
  async claim(p: ClaimEventParameters): Promise<ClaimedEvent> {
    const previous = this.items.get(p.eventId)
    if (previous && (previous.status === 'done' || (previous.status !== 'failed' && previous.leaseUntil > p.now))) throw new DuplicateEventError({ eventId: p.eventId, existing: previous })
    const rec = claimRecord(p, previous)
    this.items.set(p.eventId, rec)
    return { ...rec, ...(previous ? { previous } : {}) }
  }
  async get(eventId: string): Promise<EventRecord | undefined> {
    return this.items.get(eventId)
  }
  async transition(eventId: string, from: EventStatus[], to: EventStatus, p: { now: number; result?: string; leaseMs?: number }): Promise<void> {
    const e = this.items.get(eventId)
    if (!e || !from.includes(e.status)) throw stale('events', eventId)
    this.items.set(eventId, { ...e, status: to, updatedAt: p.now, ...(p.result !== undefined ? { result: p.result } : {}), ...(p.leaseMs !== undefined ? { leaseUntil: p.now + p.leaseMs } : {}) })
  }
}

/** Block cursors in memory. */
export class MemoryCursorStore implements CursorStorePort {
  readonly items = new Map<string, CursorRecord>()
  async get(cursorId: string): Promise<CursorRecord | undefined> {
    return this.items.get(cursorId)
  }
  async advance(cursorId: string, p: { from: bigint | undefined; to: bigint; blockHash: string; now: number }): Promise<void> {
    if (this.items.get(cursorId)?.block !== p.from) throw stale('cursors', cursorId)
    this.items.set(cursorId, { cursorId, block: p.to, blockHash: p.blockHash, updatedAt: p.now })
  }
}

/** Sagas in memory, versioned like the table. */
export class MemorySagaStore implements SagaStorePort {
  readonly items = new Map<string, SagaRecord>()
  async create<S>(record: Omit<SagaRecord<S>, 'version'>): Promise<SagaRecord<S>> {
    if (this.items.has(record.sagaId)) throw stale('sagas', record.sagaId)
    const saved = { ...copy(record), version: 0 } as SagaRecord<S>
    this.items.set(record.sagaId, saved as SagaRecord)
    return copy(saved)
  }
  async save<S>(record: SagaRecord<S>): Promise<SagaRecord<S>> {
    const cur = this.items.get(record.sagaId)
    if (!cur || cur.version !== record.version) throw stale('sagas', `${record.sagaId}@v${record.version}`)
    const saved = { ...copy(record), version: record.version + 1 }
    this.items.set(record.sagaId, saved as SagaRecord)
    return copy(saved)
  }
  async get<S = unknown>(sagaId: string): Promise<SagaRecord<S> | undefined> {
    const s = this.items.get(sagaId)
    return s && (copy(s) as SagaRecord<S>)
  }
  async listByStatus<S = unknown>(statuses: readonly SagaStatus[]): Promise<SagaRecord<S>[]> {
    return [...this.items.values()].filter((s) => statuses.includes(s.status)).map((s) => copy(s) as SagaRecord<S>)
  }
}

/** Every port in memory, sharing one clock. */
export function memoryStores(clock: () => number = () => Date.now()) {
  return {
    runs: new MemoryRunStore(),
    intents: new MemoryIntentStore(),
    locks: new MemoryLockStore(clock),
    control: new MemoryControlStore(),
    events: new MemoryEventStore(),
    cursors: new MemoryCursorStore(),
    sagas: new MemorySagaStore(),
    chainLogs: new MemoryChainLogStore(),
  }
}
