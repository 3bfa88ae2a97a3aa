/**
 * The boundary every restaking protocol implements. The pipeline (shared/pipeline/rebalance.ts) runs read → score →
 * plan → decide → mode → execute → verify → record over any adapter; the protocol's own code (reader, decision step,
 * calls or sagas, watched events, revert names) lives in its folder beside this file. docs/architecture.md walks
 * through adding one.
 */
import type { Logger } from '@aws-lambda-powertools/logger'
import type { LocalAccount, PublicClient } from 'viem'
import type { ChainSync } from '../chain/sync/index.js'
import type { Config } from '../config/config.js'
import type { Decision, DecisionStep } from '../domain/decision.js'
import type { DeriskRequest, Plan, Policy, Protocol, Universe, UniverseScores } from '../domain/index.js'
import type { SessionFor } from '../execution/sessionPool.js'
import type { RevertArgNames } from '../execution/types.js'
import type { IntentStorePort, LockStorePort, RecordedAction } from '../store/ports.js'

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
