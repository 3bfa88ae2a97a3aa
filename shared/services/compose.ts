/**
 * The composition root: the one function that builds an AutopilotContext (reader, every store on its table, run
 * events, policy, logger, clock, signer) for every entry point — the Lambda bootstrap, the local runner, the CLI, the
 * backtest, the fault bot and the test helpers. Only the inputs differ. {@link composeStores} is its store part alone,
 * for the entry points that open tables but run no use case (the CLI's store commands, the console, `npm start`'s
 * policy push, the fault bot's executor job).
 */
import type { Logger } from '@aws-lambda-powertools/logger'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import type { LocalAccount } from 'viem'
import { createReader } from '../chain/client.js'
import type { Config } from '../config/config.js'
import type { Policy } from '../domain/index.js'
import { ChainLogStore, type ChainLogStorePort } from '../store/chainLogs.js'
import { ControlStore, findStuckIntents } from '../store/control.js'
import { CursorStore } from '../store/cursors.js'
import { EventStore } from '../store/events.js'
import { IntentStore } from '../store/intents.js'
import { LockStore } from '../store/locks.js'
import { type RunListener, observeRuns } from '../store/runEvents.js'
import { PolicyStore } from '../store/policies.js'
import type { ControlStorePort, CursorStorePort, EventStorePort, IntentStorePort, LockStorePort, RunStorePort } from '../store/ports.js'
import { type RunStamp, RunStore } from '../store/runs.js'
import type { TableName, TableNames } from '../store/tables.js'
import type { AutopilotContext } from './context.js'
import type { Notify } from './notify.js'

/** What {@link composeContext} takes. */
export interface ComposeContextParameters {
  config: Config
  policy: Policy
  /** The DynamoDB document client every store shares. */
  dynamo: DynamoDBDocumentClient
  logger: Logger
  /** The signer, for entry points that send. */
  account?: LocalAccount
  /** Wall clock in epoch ms (default Date.now; the backtest follows chain time). */
  clock?: () => number
  notify?: Notify
  /** Subscribers to run starts and finishes (notifications, live views). */
  runListeners?: readonly RunListener[]
  /** Recorded on every run started (the policy and config versions in use). */
  stamp?: RunStamp
  /** A reader other than the config's RPC (e.g. a fault-injecting proxy). */
  client?: AutopilotContext['client']
}

/** Every store {@link composeStores} builds, with the table each lives on (the pause flag shares the locks table). */
export interface StoreSet {
  runs: RunStorePort
  intents: IntentStorePort
  locks: LockStorePort
  control: ControlStorePort
  events: EventStorePort
  cursors: CursorStorePort
  /** The chain sync's stored logs and cursors (docs/sync.md). */
  chainLogs: ChainLogStorePort
  /** Policy and protocol config versions (read and written by the CLI and `npm start`; the functions read them through a PolicySource). */
  policies: PolicyStore
}

/** The table each store of {@link StoreSet} lives on. */
export const STORE_TABLES = {
  runs: 'runs',
  intents: 'intents',
  locks: 'locks',
  control: 'locks',
  events: 'events',
  cursors: 'cursors',
  chainLogs: 'chainLogs',
  policies: 'policies',
} as const satisfies Record<keyof StoreSet, TableName>

/** The stores whose table `T` names (a string, not an optional one). */
export type StoresOf<T extends Partial<TableNames>> = {
  [K in keyof StoreSet as T[(typeof STORE_TABLES)[K]] extends string ? K : never]: StoreSet[K]
}

/** What {@link composeStores} takes. */
export interface ComposeStoresParameters<T extends Partial<TableNames>> {
  /** The DynamoDB document client every store shares. */
  dynamo: DynamoDBDocumentClient
  /** Physical table names: all of them (a function's config) or only the ones an entry point opens. */
  tables: T
  /** Recorded on every run started (the policy and config versions in use). */
  stamp?: RunStamp
  /** Subscribers to run starts and finishes. */
  runListeners?: readonly RunListener[]
}

/** The stores a use case runs with ({@link composeStores} without the policy store, which the Lambda bundles do not carry). */
function runStores<T extends Partial<TableNames>>(p: ComposeStoresParameters<T>): Partial<StoreSet> {
  const { dynamo: client, tables: t } = p
  const stores: Partial<StoreSet> = {}
  if (t.runs) stores.runs = observeRuns(new RunStore({ client, tableName: t.runs, ...(p.stamp ? { stamp: p.stamp } : {}) }), ...(p.runListeners ?? []))
  if (t.intents) stores.intents = new IntentStore({ client, tableName: t.intents })
  if (t.locks) {
    stores.locks = new LockStore({ client, tableName: t.locks })
    stores.control = new ControlStore({ client, tableName: t.locks })
  }
  if (t.events) stores.events = new EventStore({ client, tableName: t.events })
  if (t.cursors) stores.cursors = new CursorStore({ client, tableName: t.cursors })
  if (t.chainLogs) stores.chainLogs = new ChainLogStore({ client, tableName: t.chainLogs })
  return stores
}

/**
 * The stores on the tables `tables` names, sharing one document client: the store part of {@link composeContext}, for
 * the entry points that open tables without running a use case.
 * @example const { runs } = composeStores({ dynamo, tables: { runs: 'restake-autopilot-runs' } })
 */
export function composeStores<const T extends Partial<TableNames>>(p: ComposeStoresParameters<T>): StoresOf<T> {
  const stores = runStores(p)
  if (p.tables.policies) stores.policies = new PolicyStore({ client: p.dynamo, tableName: p.tables.policies })
  return stores as StoresOf<T>
}

/** Builds the context from its inputs; every store is on the table the config names. */
export function composeContext(p: ComposeContextParameters): AutopilotContext {
  const { config, dynamo: client } = p
  const t = config.tables
  const { runs, intents, locks, control, events, cursors, chainLogs } = runStores({
    dynamo: client,
    tables: t,
    ...(p.stamp ? { stamp: p.stamp } : {}),
    ...(p.runListeners ? { runListeners: p.runListeners } : {}),
  }) as StoreSet
  return {
    config,
    client: p.client ?? createReader({ rpcUrl: config.rpcUrl, rpcUrls: config.rpcUrls, chainId: config.chainId, rpc: config.rpc }),
    dynamo: client,
    runs,
    intents,
    locks,
    control,
    events,
    cursors,
    chainLogs,
    findStuckIntents: (olderThan) => findStuckIntents(client, t.intents, { olderThan }),
    policy: p.policy,
    logger: p.logger,
    clock: p.clock ?? (() => Date.now()),
    ...(p.account ? { account: p.account } : {}),
    ...(p.notify ? { notify: p.notify } : {}),
  }
}
