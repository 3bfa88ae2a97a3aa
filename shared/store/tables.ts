/**
 * The DynamoDB tables: one definition used by both the CDK stack and the local world (one source of truth
 * for key schemas, indexes and TTL attributes).
 */

/** Attribute type of a key. */
export type KeyType = 'S' | 'N'

/** One table's key schema, secondary indexes and TTL attribute. */
export interface TableDefinition {
  /** Logical name (also the suffix of the physical table name). */
  name: TableName
  /** What the table holds, in one line. */
  purpose: string
  partitionKey: { name: string; type: KeyType }
  sortKey?: { name: string; type: KeyType }
  /** Global secondary indexes (all projected ALL). */
  indexes?: { name: string; partitionKey: { name: string; type: KeyType }; sortKey?: { name: string; type: KeyType } }[]
  /** Attribute holding an epoch-seconds expiry, if items expire. */
  ttlAttribute?: string
}

/** The logical table names, in {@link TABLES} order (the functions' config schema needs only these, not the definitions). */
export const TABLE_NAMES = ['runs', 'intents', 'locks', 'cursors', 'events', 'sagas', 'chainLogs', 'policies'] as const

/** A logical table name. */
export type TableName = (typeof TABLE_NAMES)[number]

/** All tables of the autopilot. */
export const TABLES: readonly TableDefinition[] = [
  {
    name: 'runs',
    purpose: 'one item per score/rebalance/watch run: inputs hash, block, scores, plan, actions, tx hashes, outcome',
    partitionKey: { name: 'runId', type: 'S' },
    indexes: [{ name: 'byKind', partitionKey: { name: 'kind', type: 'S' }, sortKey: { name: 'startedAt', type: 'N' } }],
  },
  {
    name: 'intents',
    purpose: 'one item per (run, action): the signed raw transaction and its hashes, written before broadcast',
    partitionKey: { name: 'intentId', type: 'S' },
    indexes: [{ name: 'byStatus', partitionKey: { name: 'status', type: 'S' }, sortKey: { name: 'createdAt', type: 'N' } }],
  },
  { name: 'locks', purpose: 'leases: the nonce lock per signer and the run lock', partitionKey: { name: 'lockId', type: 'S' } },
  { name: 'cursors', purpose: 'block cursors of the event watcher', partitionKey: { name: 'cursorId', type: 'S' } },
  { name: 'events', purpose: 'seen webhook ids and watcher events (replay protection), expiring', partitionKey: { name: 'eventId', type: 'S' }, ttlAttribute: 'expiresAt' },
  { name: 'sagas', purpose: 'EigenLayer multi-step moves, one item per saga with its step log', partitionKey: { name: 'sagaId', type: 'S' } },
  {
    name: 'chainLogs',
    purpose: 'chain sync (docs/sync.md): per (chain, source) the logs in block order and one cursor item with its coverage, checkpoint hashes and lease',
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
  },
  {
    name: 'policies',
    purpose: 'versioned policy and protocol config: immutable versions (v000000001…) and a CURRENT pointer per kind, with author, time and hash',
    partitionKey: { name: 'kind', type: 'S' },
    sortKey: { name: 'ref', type: 'S' },
  },
]

/** Physical table names per logical table. */
export type TableNames = Record<TableName, string>

/** Physical names for a prefix, e.g. `ra-local-runs`. */
export function tableNames(prefix: string): TableNames {
  return Object.fromEntries(TABLE_NAMES.map((name) => [name, `${prefix}-${name}`])) as TableNames
}

/** Name of the stack output carrying a table's physical name, e.g. `RunsTableName` (infra/stack.ts; read by `autopilot console --stack`). */
export function tableOutputKey(table: TableName): string {
  return `${table[0]!.toUpperCase()}${table.slice(1)}TableName`
}
