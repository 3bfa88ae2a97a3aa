/**
 * Store ports: what the services, the pipeline and the executor need from storage, as interfaces. The DynamoDB
 * classes beside this file are the real implementations; `memory.ts` holds in-memory ones for fast unit tests of the
 * pipeline's branches. Record shapes are plain data (re-exported here so callers import ports only).
 */
import type { PauseState } from './control.js'
import type { ClaimEventParameters, ClaimedEvent, EventRecord, EventStatus } from './events.js'
import type { CursorRecord } from './cursors.js'
import type { IntentRecord, IntentStatus, IntentUpdate } from './intents.js'
import type { Lease, LeaseGuard, LockRecord } from './locks.js'
import type { RecordedAction, RunKind, RunRecord, RunStatus } from './runs.js'
import type { SagaRecord, SagaStatus } from './sagas.js'

export type { PauseState, ClaimEventParameters, ClaimedEvent, EventRecord, EventStatus, CursorRecord, IntentRecord, IntentStatus, IntentUpdate, Lease, LeaseGuard, LockRecord, RecordedAction, RunKind, RunRecord, RunStatus, SagaRecord, SagaStatus }

/** Filter of {@link RunStorePort.latest}. */
export interface LatestRunFilter {
  /** Only runs of this protocol (runs recorded before the field existed count as `symbiotic`). */
  protocol?: string
}

/** Run records: started once, finished once (StaleWriteError otherwise). */
export interface RunStorePort {
  start(run: Pick<RunRecord, 'runId' | 'kind' | 'trigger' | 'startedAt'> & Partial<Pick<RunRecord, 'protocol' | 'triggerKind'>>): Promise<void>
  finish(runId: string, fields: Omit<RunRecord, 'runId' | 'kind' | 'trigger' | 'startedAt' | 'protocol' | 'triggerKind'>): Promise<void>
  get(runId: string): Promise<RunRecord | undefined>
  list(kind: RunKind, limit?: number): Promise<RunRecord[]>
  latest(kind: RunKind, status: RunStatus, filter?: LatestRunFilter): Promise<RunRecord | undefined>
}

/** Signed transactions, persisted before broadcast (conditional on `runId#index`). */
export interface IntentStorePort {
  create(intent: IntentRecord, guard?: LeaseGuard): Promise<void>
  get(intentId: string): Promise<IntentRecord | undefined>
  transition(intentId: string, from: readonly IntentStatus[], to: IntentStatus, fields?: IntentUpdate): Promise<void>
  replace(intentId: string, p: { previousTxHash: string; rawTx: string; txHash: string; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }, guard?: LeaseGuard): Promise<void>
  noteReorg(intentId: string): Promise<void>
  listOpen(p?: { from?: string }): Promise<IntentRecord[]>
  listByRun(runId: string, max?: number): Promise<IntentRecord[]>
}

/** The signer's nonce lock: a lease, and guards that fence writes on it. */
export interface LockStorePort {
  acquire(p: { lockId: string; runId: string; leaseMs: number; owner?: string }): Promise<Lease>
  renew(lease: Lease, leaseMs: number): Promise<void>
  release(lease: Lease): Promise<boolean>
  get(lockId: string): Promise<LockRecord | undefined>
  guard(lease: Lease, p: { leaseMs: number; nextNonce?: number; openIntent?: string }): LeaseGuard
  applied(lease: Lease, p: { leaseMs: number; nextNonce?: number; openIntent?: string }): void
  settle(lockId: string, intentIds: readonly string[]): Promise<void>
}

/** The pause flag (webhook / console pause and resume). */
export interface ControlStorePort {
  getPause(): Promise<PauseState>
  isPaused(): Promise<boolean>
  setPaused(paused: boolean, p: { by: string; reason?: string; now: number }): Promise<PauseState>
}

/** Seen webhook ids and watched chain events (replay protection, leases). */
export interface EventStorePort {
  claim(p: ClaimEventParameters): Promise<ClaimedEvent>
  get(eventId: string): Promise<EventRecord | undefined>
  transition(eventId: string, from: EventStatus[], to: EventStatus, p: { now: number; result?: string; leaseMs?: number }): Promise<void>
}

/** Block cursors, advanced conditionally. */
export interface CursorStorePort {
  get(cursorId: string): Promise<CursorRecord | undefined>
  advance(cursorId: string, p: { from: bigint | undefined; to: bigint; blockHash: string; now: number }): Promise<void>
}

/** Multi-step executions (EigenLayer move sagas), versioned records. */
export interface SagaStorePort {
  create<S>(record: Omit<SagaRecord<S>, 'version'>): Promise<SagaRecord<S>>
  save<S>(record: SagaRecord<S>): Promise<SagaRecord<S>>
  get<S = unknown>(sagaId: string): Promise<SagaRecord<S> | undefined>
  listByStatus<S = unknown>(statuses: readonly SagaStatus[]): Promise<SagaRecord<S>[]>
}
