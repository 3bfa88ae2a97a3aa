/**
 * The composition root: the one function that builds an AutopilotContext (reader, every store on its table, run
 * events, policy, logger, clock, signer) for every entry point — the Lambda bootstrap, the local runner, the CLI, the
 * backtest, the fault bot and the test helpers. Only the inputs differ.
 */
import type { Logger } from '@aws-lambda-powertools/logger'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import type { LocalAccount } from 'viem'
import { createReader } from '../chain/client.js'
import type { Config } from '../config/config.js'
import type { Policy } from '../domain/index.js'
import { ChainLogStore } from '../store/chainLogs.js'
import { ControlStore, findStuckIntents } from '../store/control.js'
import { CursorStore } from '../store/cursors.js'
import { EventStore } from '../store/events.js'
import { IntentStore } from '../store/intents.js'
import { LockStore } from '../store/locks.js'
import { type RunListener, observeRuns } from '../store/runEvents.js'
import { type RunStamp, RunStore } from '../store/runs.js'
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

/** Builds the context from its inputs; every store is on the table the config names. */
export function composeContext(p: ComposeContextParameters): AutopilotContext {
  const { config, dynamo: client } = p
  const t = config.tables
  return {
    config,
    client: p.client ?? createReader({ rpcUrl: config.rpcUrl, rpcUrls: config.rpcUrls, chainId: config.chainId, rpc: config.rpc }),
    dynamo: client,
    runs: observeRuns(new RunStore({ client, tableName: t.runs, ...(p.stamp ? { stamp: p.stamp } : {}) }), ...(p.runListeners ?? [])),
    intents: new IntentStore({ client, tableName: t.intents }),
    locks: new LockStore({ client, tableName: t.locks }),
    control: new ControlStore({ client, tableName: t.locks }),
    events: new EventStore({ client, tableName: t.events }),
    cursors: new CursorStore({ client, tableName: t.cursors }),
    chainLogs: new ChainLogStore({ client, tableName: t.chainLogs }),
    findStuckIntents: (olderThan) => findStuckIntents(client, t.intents, { olderThan }),
    policy: p.policy,
    logger: p.logger,
    clock: p.clock ?? (() => Date.now()),
    ...(p.account ? { account: p.account } : {}),
    ...(p.notify ? { notify: p.notify } : {}),
  }
}
