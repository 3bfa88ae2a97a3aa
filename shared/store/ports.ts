/**
 * Store ports: what the services, the pipeline and the executor need from storage, as interfaces. The DynamoDB
 * classes beside this file are the real implementations; `memory.ts` holds in-memory ones for fast unit tests of the
 * pipeline's branches. The record shapes are defined here: plain data, shared by every implementation.
 */

// ------------------------------------------------------------------------------------------------ records

export type RunKind = 'score' | 'rebalance' | 'watch'
export type RunStatus = 'running' | 'succeeded' | 'skipped' | 'failed'
/** Where a run came from. */
export type TriggerKind = 'schedule' | 'webhook' | 'watch' | 'cli' | 'console' | 'backtest'

/** A stored run. Large structured fields (scores, plan, decision, actions) are kept as JSON with exact bigints. */
export interface RunRecord {
  runId: string
  kind: RunKind
  /** What started it, for people: schedule, webhook event id, watcher slash, cli. */
  trigger: string
  /** What started it, typed (control flow reads this, never the `trigger` text). Absent on runs recorded before it existed. */
  triggerKind?: TriggerKind
  /** The protocol a rebalance run steered (absent on score/watch runs, and on Symbiotic runs recorded before it existed). */
  protocol?: string
  /** Epoch milliseconds. */
  startedAt: number
  finishedAt?: number
  status: RunStatus
  chainId?: number
  blockNumber?: bigint
  universeHash?: string
  /** SHA-256 of the policy document the run used (docs/deploy.md: the policy store). */
  policyHash?: string
  /** The policy store version the run used; absent when the policy came from the environment (local). */
  policyVersion?: number
  /** The protocol config version the run used, when the config is in the policy store. */
  configVersion?: number
  scores?: unknown
  plan?: unknown
  decision?: unknown
  actions?: RecordedAction[]
  /** Before/after stake per (position, service, operator) for people reading the run. */
  allocations?: unknown
  error?: { name: string; message: string }
}

/** One executed (or planned) call with its tx hash. */
export interface RecordedAction {
  index: number
  kind: string
  description: string
  reasons: string[]
  txHash?: string
  status: 'planned' | 'sent' | 'mined' | 'reverted' | 'skipped'
  blockNumber?: bigint
  gasUsed?: bigint
  /** Set when the receipt was not confirmed by the chain's state, or the chain contradicted it (docs/execution.md). */
  note?: string
}

/** Where an intent is in its life. `superseded`: its nonce was consumed by a transaction that is not one of ours. */
export type IntentStatus = 'signed' | 'broadcast' | 'mined' | 'reverted' | 'superseded' | 'failed'

/** A stored intent. */
export interface IntentRecord {
  /** `${runId}#${actionIndex}` */
  intentId: string
  runId: string
  actionIndex: number
  status: IntentStatus
  from: string
  to: string
  data: string
  nonce: number
  /** The raw transaction to (re-)broadcast: the newest signature for this intent. */
  rawTx: string
  /** keccak256 of `rawTx`. */
  txHash: string
  /** Every hash ever signed for this intent (replacements append). */
  txHashes: string[]
  createdAt: number
  blockNumber?: string
  gasUsed?: string
  /** Chain id the transaction was signed for. */
  chainId?: number
  /** Contract function called, for people. */
  functionName?: string
  /** One line for people: what the call does. */
  description?: string
  /** Gas limit and EIP-1559 fees of the newest signature (decimal wei strings). */
  gas?: string
  maxFeePerGas?: string
  maxPriorityFeePerGas?: string
  /** Hash of the transaction that was mined for this intent (one of `txHashes`). */
  minedTxHash?: string
  blockHash?: string
  effectiveGasPrice?: string
  /** Fee-bump replacements signed so far. */
  replacements?: number
  /** Times a mined transaction of this intent left the canonical chain and was re-broadcast. */
  reorgs?: number
  /** Why it settled the way it did (superseded, reverted, resumed by another run). */
  reason?: string
  /** Run id that resumed and settled this intent, when it was not the run that created it. */
  settledBy?: string
  /** How the chain shows the call applied (shared/execution EffectCheck), when the adapter gave one. */
  effect?: { to: string; data: string; expected: string; description: string }
  /** What the receipt said, and whether the chain's state confirmed it (the status follows the chain). */
  receiptStatus?: 'success' | 'reverted'
  verification?: 'confirmed' | 'contradicted' | 'unverified'
  /** One line for people: what the cross-check of the receipt against the chain found. */
  verificationNote?: string
  updatedAt?: number
}

/** Fields that may change after creation. */
export type IntentUpdate = Partial<Omit<IntentRecord, 'intentId' | 'runId' | 'actionIndex' | 'status' | 'from' | 'to' | 'data' | 'nonce' | 'createdAt' | 'rawTx' | 'txHash' | 'txHashes'>>

/** The stored lock item. */
export interface LockRecord {
  lockId: string
  /** Random token of the current holder; absent when free. */
  owner?: string
  /** Run id of the current holder. */
  runId?: string
  /** Epoch ms after which the lease may be taken over. */
  expiresAt: number
  acquiredAt?: number
  /** Next nonce the signer may use (the highest nonce ever persisted in an intent, plus one). */
  nextNonce?: number
  /** Intents persisted under this lock that are not yet mined, reverted or superseded. */
  openIntents?: Set<string>
  /** Run id of the last holder that released the lock normally. */
  lastRunId?: string
}

/** A held lease: pass it to every write that must be fenced by the lock. */
export interface Lease {
  lockId: string
  owner: string
  runId: string
  /** Epoch ms; extended by {@link LockStore.renew} and by every fenced write. */
  expiresAt: number
  /** Stored next nonce when the lease was taken (updated as intents are persisted). */
  nextNonce?: number
  /** Open intent ids recorded in the lock item when the lease was taken. */
  openIntents: string[]
  /** Set when the lease was taken over from a holder whose lease had expired (it crashed or hung). */
  previous?: { runId?: string; expiresAt: number }
}

/** What fences a write on a held lease (each store implementation carries its own mechanism). */
export interface LeaseGuard {
  /** The error to throw when the guard's condition failed. */
  lost: () => Error
}

/** The pause flag as stored. */
export interface PauseState {
  paused: boolean
  /** Who set it last, e.g. `webhook:<event id>`. */
  by?: string
  reason?: string
  /** Epoch ms of the last change. */
  updatedAt?: number
  /** Incremented on every change. */
  version: number
}

/** Lifecycle of a claimed event: accepted (queued) → running → done | failed. */
export type EventStatus = 'accepted' | 'running' | 'done' | 'failed'

/** Where an event came from. */
export type EventSource = 'webhook' | 'console' | 'chain'

/** A stored event. */
export interface EventRecord {
  /** `webhook:<id>`, `console:<id>` or `chain:<chainId>:<txHash>:<logIndex>`. */
  eventId: string
  source: EventSource
  status: EventStatus
  /** Epoch ms of the first claim. */
  createdAt: number
  /** Epoch ms of the last change. */
  updatedAt: number
  /** Epoch ms until which the current worker owns the event (accepted/running only). */
  leaseUntil: number
  /** Epoch seconds: DynamoDB TTL deletes the item after this. */
  expiresAt: number
  /** How many times the event was claimed (1 unless a failed attempt was retried). */
  attempts: number
  /** What the event asked for (JSON). */
  detail?: string
  /** What was done (JSON): run id, status, tx hashes. */
  result?: string
}

/** Parameters of {@link EventStorePort.claim}. */
export interface ClaimEventParameters {
  eventId: string
  source: EventSource
  /** Initial status: `accepted` (queued for a worker) or `running` (this caller works on it now). */
  status: 'accepted' | 'running'
  /** Epoch ms. */
  now: number
  /** How long the item is kept (replay protection window), seconds. */
  ttlSeconds: number
  /** How long this worker owns the event before another may take it over, ms. */
  leaseMs: number
  detail?: string
}

/** A claimed event; `previous` is the record a retry or takeover replaced (its result tells what was done). */
export type ClaimedEvent = EventRecord & { previous?: EventRecord }

/** A stored cursor. */
export interface CursorRecord {
  cursorId: string
  /** Last block whose events were all handled. */
  block: bigint
  /** Hash of that block when it was handled. */
  blockHash: string
  /** Epoch ms. */
  updatedAt: number
}

/** Where a saga is: still moving, parked until a delay passes, done, or stopped by an error needing a person. */
export type SagaStatus = 'running' | 'waiting' | 'completed' | 'failed'

/** One line of a saga's history (what was recorded, when, with which transaction). */
export interface SagaLogEntry {
  /** Epoch milliseconds. */
  at: number
  step: string
  /** e.g. `sending`, `sent`, `already-done`, `skipped`, `waiting`, `failed`. */
  event: string
  txHash?: string
  detail?: string
}

/** A stored saga. `state` is the saga's own data (JSON with exact bigints). */
export interface SagaRecord<S = unknown> {
  sagaId: string
  kind: string
  status: SagaStatus
  /** The step the saga is at (the next one to complete). */
  step: string
  /** Optimistic-concurrency version: 0 at creation, +1 on every save. */
  version: number
  /** Epoch milliseconds. */
  createdAt: number
  updatedAt: number
  state: S
  log: SagaLogEntry[]
  error?: { name: string; message: string }
}

/** Statuses of intents that are not settled yet: they must be re-broadcast and confirmed by someone. */
export const OPEN_INTENT_STATUSES: readonly IntentStatus[] = ['signed', 'broadcast']

// ------------------------------------------------------------------------------------------------ ports

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
