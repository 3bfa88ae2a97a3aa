/**
 * The protocol registry: every adapter the bot knows, with what its deployment needs beyond the shared functions
 * (score, rebalance, webhook, watch). The CDK stack creates a protocol's functions, grants and schedules from here for
 * the protocols the config manages; adding a protocol adds one entry. Pure data: no adapter code is imported, so the
 * stack and the Lambda bundles do not carry each other's code.
 */
import type { TableName } from '../store/tables.js'

/** A DynamoDB item action a function may be granted. */
export type GrantedAction = 'GetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'ConditionCheckItem' | 'Scan' | 'Query'

/** A Lambda function a protocol brings (its handler is `functions/<name>/handler.ts`). */
export interface ProtocolFunction {
  name: string
  /** CDK construct id (stable across deploys: changing it replaces the function). */
  constructId: string
  /** Table grants: item actions and the indexes it queries. */
  tables: Partial<Record<TableName, { actions: GrantedAction[]; indexes?: string[] }>>
  /** Whether it signs with the bot's KMS key. */
  signs: boolean
  /** The schedule expression's parameter in the stack context (e.g. `eigenlayerSchedule`). */
  scheduleParameter: string
  /**
   * Its own watcher tick (the protocol's slash triggers): a second schedule, with the expression of this stack context
   * parameter, whose event carries `task: 'watch'`; the function gets the watcher's settings (confirmations).
   */
  watch?: { scheduleParameter: string }
  /** Whether the webhook's `derisk-operator` jobs reach it too (the jobs topic delivers them, filtered to that action). */
  deriskJobs?: boolean
  timeoutMinutes: number
}

/** One registered protocol. */
export interface ProtocolRegistration {
  protocol: string
  /** Whether a protocol config manages positions of this protocol. */
  configured(protocolConfig: { vaults?: readonly unknown[]; eigenlayer?: unknown }): boolean
  /** Functions of its own (the shared ones serve a protocol that has none). */
  functions: readonly ProtocolFunction[]
}

// A run that sends: run records (latest succeeded via byKind), intents (open intents via byStatus), the nonce lock.
const SENDING = {
  runs: { actions: ['PutItem', 'UpdateItem', 'GetItem'], indexes: ['byKind'] },
  intents: { actions: ['PutItem', 'GetItem', 'UpdateItem'], indexes: ['byStatus'] },
  locks: { actions: ['GetItem', 'UpdateItem'] },
  policies: { actions: ['GetItem'] },
  // The chain sync (docs/sync.md): lease and cursor, logs written in lease-fenced transactions, read with a Query.
  chainLogs: { actions: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'ConditionCheckItem', 'Query'] },
} satisfies ProtocolFunction['tables']

/** Every protocol the bot knows. */
export const PROTOCOLS: readonly ProtocolRegistration[] = [
  // Symbiotic runs on the shared rebalance and watch functions.
  { protocol: 'symbiotic', configured: (c) => (c.vaults?.length ?? 0) > 0, functions: [] },
  {
    protocol: 'eigenlayer',
    configured: (c) => c.eigenlayer !== undefined,
    // Moves are sagas: the executor's intents and nonce lock, plus the sagas (open ones are scanned). It signs with
    // the bot's KMS key, for the staker Safes through their Roles modifiers (docs/eigenlayer.md). It also runs
    // EigenLayer's watcher on the watch function's schedule (its own cursor; slash events claimed in `events`) and its
    // part of the webhook's de-risk jobs (claimed as `<eventId>:eigenlayer` in `events`): docs/eigenlayer.md "Triggers".
    functions: [
      {
        name: 'eigenlayer',
        constructId: 'EigenLayer',
        tables: { ...SENDING, sagas: { actions: ['GetItem', 'PutItem', 'Scan'] }, events: { actions: ['PutItem', 'GetItem', 'UpdateItem'] }, cursors: { actions: ['GetItem', 'PutItem'] } },
        signs: true,
        scheduleParameter: 'eigenlayerSchedule',
        watch: { scheduleParameter: 'watchSchedule' },
        deriskJobs: true,
        timeoutMinutes: 10,
      },
    ],
  },
]

/** The functions the configured protocols bring. */
export function protocolFunctions(protocolConfig: Parameters<ProtocolRegistration['configured']>[0]): ProtocolFunction[] {
  return PROTOCOLS.filter((p) => p.configured(protocolConfig)).flatMap((p) => p.functions)
}
