/** Run records: one per score / rebalance / watch run; created once, finished once (both conditional). */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { decodeJson, encodeJson } from './client.js'
import type { LatestRunFilter, RunStorePort, RunKind, RunStatus, TriggerKind, RunRecord, RecordedAction } from './ports.js'
import { TableStore, setClauses } from './tableStore.js'

const JSON_FIELDS = ['scores', 'plan', 'decision', 'actions', 'allocations', 'error'] as const

/** What every run started through one store records about its inputs: the policy and config versions it uses. */
export type RunStamp = Pick<RunRecord, 'policyHash' | 'policyVersion' | 'configVersion'>

/** Reads and writes run records. */
export class RunStore extends TableStore implements RunStorePort {
  /** Recorded on every run this store starts. */
  readonly stamp: RunStamp
  constructor(p: { client: DynamoDBDocumentClient; tableName: string; stamp?: RunStamp }) {
    super(p)
    this.stamp = p.stamp ?? {}
  }

  /** Creates the run (with the store's {@link RunStamp}); fails with StaleWriteError if the id exists. */
  async start(run: Pick<RunRecord, 'runId' | 'kind' | 'trigger' | 'startedAt'> & Partial<Pick<RunRecord, 'protocol' | 'triggerKind'>>): Promise<void> {
    await this.conditional(run.runId, () => this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...toItem(this.stamp), ...run, status: 'running' }, ConditionExpression: 'attribute_not_exists(runId)' })))
  }

  /** Writes the outcome of a running run (only once: the condition is `status = running`). */
  async finish(runId: string, fields: Omit<RunRecord, 'runId' | 'kind' | 'trigger' | 'startedAt' | 'protocol' | 'triggerKind'>): Promise<void> {
    const names: Record<string, string> = {}
    const values: Record<string, unknown> = { ':running': 'running' }
    const sets = setClauses(toItem(fields), names, values)
    await this.conditional(runId, () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { runId },
          UpdateExpression: `SET ${sets.join(', ')}`,
          // Only a run that is still running may be finished: a second finisher (a retried Lambda) loses.
          ConditionExpression: '#status0 = :running',
          ExpressionAttributeNames: { ...names, '#status0': 'status' },
          ExpressionAttributeValues: values,
        }),
      ),
    )
  }

  /** Reads one run. */
  async get(runId: string): Promise<RunRecord | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { runId }, ConsistentRead: true }))
    return out.Item ? fromItem(out.Item) : undefined
  }

  /** Newest runs of a kind first. */
  async list(kind: RunKind, limit = 20): Promise<RunRecord[]> {
    const out = await this.client.send(new QueryCommand({ TableName: this.tableName, IndexName: 'byKind', KeyConditionExpression: 'kind = :k', ExpressionAttributeValues: { ':k': kind }, ScanIndexForward: false, Limit: limit }))
    return (out.Items ?? []).map(fromItem)
  }

  /** The newest run of `kind` that ended with `status`, if any (optionally only one protocol's runs). */
  async latest(kind: RunKind, status: RunStatus, filter: LatestRunFilter = {}): Promise<RunRecord | undefined> {
    // Runs recorded before `protocol` existed were Symbiotic runs.
    const byProtocol = filter.protocol === undefined ? undefined : filter.protocol === 'symbiotic' ? '(attribute_not_exists(#p) OR #p = :p)' : '#p = :p'
    // The filter applies after each page is read, so page until a match (or the end) instead of trusting one page.
    let startKey: Record<string, unknown> | undefined
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'byKind',
          KeyConditionExpression: 'kind = :k',
          FilterExpression: byProtocol ? `#s = :s AND ${byProtocol}` : '#s = :s',
          ExpressionAttributeNames: { '#s': 'status', ...(byProtocol ? { '#p': 'protocol' } : {}) },
          ExpressionAttributeValues: { ':k': kind, ':s': status, ...(byProtocol ? { ':p': filter.protocol } : {}) },
          ScanIndexForward: false,
          Limit: 100,
          ExclusiveStartKey: startKey,
        }),
      )
      const first = out.Items?.[0]
      if (first) return fromItem(first)
      startKey = out.LastEvaluatedKey
    } while (startKey)
    return undefined
  }
}

function toItem(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue
    if ((JSON_FIELDS as readonly string[]).includes(k)) out[k] = encodeJson(v)
    else if (typeof v === 'bigint') out[k] = v.toString()
    else out[k] = v
  }
  return out
}

function fromItem(item: Record<string, unknown>): RunRecord {
  const out: Record<string, unknown> = { ...item }
  for (const k of JSON_FIELDS) if (typeof item[k] === 'string') out[k] = decodeJson(item[k])
  if (typeof item.blockNumber === 'string') out.blockNumber = BigInt(item.blockNumber)
  return out as unknown as RunRecord
}

export type { RunKind, RunStatus, TriggerKind, RunRecord, RecordedAction }
