/**
 * The boundary every restaking protocol implements. The pipeline (shared/pipeline/rebalance.ts) runs read → score →
 * plan → decide → mode → execute → verify → record over any adapter; the protocol's own code (reader, decision step,
 * calls or sagas, watched events, revert names) lives in its folder beside this file. docs/architecture.md walks
 * through adding one.
 */
import type { Logger } from '@aws-lambda-powertools/logger'
import type { Address, Hex, LocalAccount, PublicClient } from 'viem'
import type { ChainSync } from '../chain/sync/index.js'
import type { Config } from '../config/config.js'
import type { Decision, DecisionStep } from '../domain/decision.js'
import type { DeriskRequest, Plan, Policy, Protocol, Universe, UniverseScores } from '../domain/index.js'
import type { SessionFor } from '../execution/sessionPool.js'
import type { RevertArgNames } from '../execution/types.js'
import type { IntentStorePort, LockStorePort, RecordedAction, TriggerKind } from '../store/ports.js'

/** What an adapter may use: chain, stores, policy, clock. Built once by the composition root. */
export interface AdapterContext {
  config: Config
  client: PublicClient
  policy: Policy
  intents: IntentStorePort
  locks?: LockStorePort
  logger: Logger
  /** Wall clock, epoch ms (tests and backtests control it). */
  clock: () => number
  /** The bot's signer (the curator key, or the key the Roles modifier lets act for a Safe). */
  account?: LocalAccount
  /** Label of an address / service id from the config, else a short hex. */
  label: (k: string) => string
  /** Where readers get their logs: the chain sync over the `chainLogs` store (docs/sync.md). */
  chainSync: ChainSync
}

/** Opens (once per run) the lease-fenced signer session of an account; the pipeline owns and closes them. */
export type { SessionFor }

/** What an adapter read: the shared universe plus the protocol's own details (kept for decide/execute/view). */
export interface AdapterRead<D = unknown> {
  universe: Universe
  details: D
}

/** Inputs of {@link ProtocolAdapter.decide}. */
export interface DecideInput<D> {
  read: AdapterRead<D>
  scores: UniverseScores
  plan: Plan
  /** Unix seconds of the universe's block. */
  now: bigint
  /** Unix seconds of this protocol's last successful rebalance (cooldown), if any. */
  lastRebalanceAt?: bigint
  gasPriceWei: bigint
  /** De-risk run (slash response, deny list, webhook): no cooldown, no gain threshold. */
  force: boolean
  /** Whether this run may send (mode autopilot and not paused): a protocol that acts in several steps may hold steps otherwise. */
  sending: boolean
}

/** What a decision led to when executed. */
export interface ExecuteOutcome {
  /** Recorded actions (index order), with tx hashes. */
  actions: RecordedAction[]
  /** True when at least one transaction was sent. */
  sent: boolean
  /** The first step that failed (the run is then `failed`; what was sent stays recorded). */
  error?: unknown
}

/** One protocol, behind the pipeline. */
export interface ProtocolAdapter<D = unknown, S extends DecisionStep = DecisionStep> {
  readonly protocol: Protocol
  /** Whether the config manages positions of this protocol. */
  configured(config: Config): boolean
  /**
   * The bot's own signer sends this protocol's calls: its session is opened, and what earlier runs left open is
   * settled, before the read (so the read sees it).
   */
  readonly sendsAsCurator: boolean
  /** Names for known constants in decoded reverts (role ids…). */
  readonly revertArgNames?: RevertArgNames
  /** Steps left open by earlier runs (multi-step protocols): advanced before anything is read. */
  resume?(ctx: AdapterContext, sessionFor: SessionFor): Promise<ExecuteOutcome & { details?: unknown }>
  /** Reads the managed positions at the latest block. `curator` is whose roles are checked. */
  read(ctx: AdapterContext): Promise<AdapterRead<D>>
  /** Turns the plan into this protocol's steps, or a reason to skip. */
  decide(ctx: AdapterContext, input: DecideInput<D>): Promise<Decision<S>>
  /** Sends the decided steps through signer sessions. */
  execute(ctx: AdapterContext, decision: Decision<S> & { kind: 'act' }, read: AdapterRead<D>, sessionFor: SessionFor): Promise<ExecuteOutcome>
  /** `propose` mode: prepares the steps for the owners' signatures instead of sending them. */
  propose?(ctx: AdapterContext, decision: Decision<S> & { kind: 'act' }, read: AdapterRead<D>, runId: string): Promise<{ decisionPatch: Record<string, unknown>; summary: string; result: Record<string, unknown>; actions?: RecordedAction[] }>
  /** After sending: re-read and compare with the plan (the record says whether the chain holds it). */
  verify?(ctx: AdapterContext, plan: Plan, read: AdapterRead<D>): Promise<{ verified: boolean; record: Record<string, unknown> }>
  /** Extra fields of the run record and result (per-position views, saga ids…). */
  report?(ctx: AdapterContext, input: { read: AdapterRead<D>; sent: boolean; decision: Decision<S> }): Promise<Record<string, unknown>>
}

/** Slash-response orders reach the planner as forced moves. */
export type { DeriskRequest }

/** Event kinds the watcher reads: Symbiotic's slasher, delegator and opt-in events, EigenLayer's `OperatorSlashed`. */
export type WatchedEventKind = 'Slash' | 'RequestSlash' | 'ExecuteSlash' | 'VetoSlash' | 'SetMaxNetworkLimit' | 'OptIn' | 'OptOut' | 'OperatorSlashed'

/** One decoded chain event the watcher claims (every protocol's decoder fills this shape). */
export interface WatchedEvent {
  /** `chain:<chainId>:<txHash>:<logIndex>` — the idempotency key. */
  key: string
  /** Absent = `symbiotic` (events recorded before the field existed). */
  protocol?: Protocol
  kind: WatchedEventKind
  blockNumber: bigint
  txHash: Hex
  logIndex: number
  /** Contract that emitted it. */
  emitter: Address
  /** The position: a Symbiotic vault, an EigenLayer strategy. */
  vault?: Address
  /** The service id: a Symbiotic subnetwork, an EigenLayer operator set (`avs ++ uint96(id)`). */
  subnetwork?: Hex
  operator?: Address
  /** The network (Symbiotic) or AVS (EigenLayer). */
  network?: Address
  /** Slashed / requested amount (collateral wei), or the new max network limit. */
  amount?: bigint
  /** EigenLayer: the fraction of the operator's max magnitude slashed (of every delegated token in the strategy), wad (1e18 = all). */
  wadSlashed?: bigint
  /** EigenLayer: every configured strategy the slash touched. */
  strategies?: Address[]
  captureTimestamp?: bigint
  slashIndex?: bigint
  /** RequestSlash: until when (unix seconds) the request may be vetoed; it can execute only after. */
  vetoDeadline?: bigint
  /** Concerns our positions (slash/limit on our slasher/delegator, opt-in into our vault, a slash of our strategy). */
  relevant: boolean
  /** Slash or slash request on a pair we allocate to (the de-risk trigger). */
  held: boolean
  /** What the watcher did: derisked | alerted | recorded | already-handled. */
  outcome?: 'derisked' | 'alerted' | 'recorded' | 'already-handled'
}

/** A de-risk run a protocol's triggers started (the pipeline's result has this shape). */
export interface TriggeredRun {
  runId: string
  status: 'succeeded' | 'skipped' | 'failed'
  actions: RecordedAction[]
  allocations: { service: string; operator: string; before: bigint; target: bigint; after?: bigint }[]
  decision?: { kind: string; reason?: string; detail?: string }
  paused?: boolean
  error?: { name: string; message: string }
}

/** What a protocol's triggers know of our exposure to some slashes (one read for all of them). */
export interface SlashExposure {
  /** Whether we hold stake exposed to the slash (the de-risk trigger). */
  held(e: WatchedEvent): boolean
  /** Our stake exposed to it when the slash was seen, collateral wei. */
  stake(e: WatchedEvent): bigint
  /** Lines for the slash notification (e.g. how long withdrawn stake stays slashable). */
  notes: string[]
}

/**
 * What the watcher (shared/services/watchEvents.ts) and the webhook's jobs (shared/services/runWebhookJob.ts) need of
 * a protocol, bound to one context: its watched events, our exposure to a slash, and its pipeline run forced with
 * de-risk orders. Each protocol folder builds its own (`symbiotic/triggers.ts`, `eigenlayer/triggers.ts`).
 */
/** What {@link ProtocolTriggers.syncEvents} returns. */
export interface SyncedWatchedEvents {
  /** Every watched event up to this block is in the store. */
  syncedTo: bigint
  /** This protocol's watched events of blocks [from, to] (to ≤ syncedTo), decoded. */
  read(from: bigint, to: bigint): Promise<WatchedEvent[]>
}

export interface ProtocolTriggers {
  readonly protocol: Protocol
  /**
   * Brings this protocol's watched events up to `head` in the chain sync's store (docs/sync.md: only blocks after the
   * source's cursor; resumable at the run's deadline) and returns what is stored: `syncedTo` bounds the blocks `read`
   * may be asked for; `read(from, to)` decodes the watched events of [from, to] from the store. `confirmations` is the
   * watcher's own depth (default the config's): the sync stores up to head − confirmations.
   */
  syncEvents(head: { number: bigint; hash: Hex }, opts?: { confirmations?: number }): Promise<SyncedWatchedEvents>
  /** Whether the event calls for the policy's slash response (a slash, a slash request). */
  isSlash(e: WatchedEvent): boolean
  /** Our exposure to these slash events now. */
  exposure(slashes: readonly WatchedEvent[]): Promise<SlashExposure>
  /** Whether we hold stake with this operator now (a webhook de-risk runs only where we do). */
  holdsOperator(operator: Address): Promise<boolean>
  /**
   * Runs this protocol's pipeline forced (no cooldown, no threshold) with de-risk orders: an order with a service
   * lowers that pair per its response; an order without one takes all stake off the operator (deny overlay).
   */
  derisk(p: { orders: DeriskRequest[]; trigger: string; triggerKind: TriggerKind; onRunStarted?: (runId: string) => void }): Promise<TriggeredRun & { notes?: string[] }>
}
