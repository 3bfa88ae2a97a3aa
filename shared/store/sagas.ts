/**
 * Sagas: one item per multi-step move (EigenLayer queue → wait → complete → deposit), partition key `sagaId`.
 * Every write is conditional: `create` only if the id is new, `save` only if the stored version is the one the
 * caller read (optimistic concurrency), so two workers advancing the same saga can never both record a step.
 */
import { GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb'
import type { SagaStorePort, SagaStatus, SagaLogEntry, SagaRecord } from './ports.js'
import { TableStore } from './tableStore.js'
import { decodeJson, encodeJson } from './client.js'

const ATTR = { id: 'sagaId', version: 'version' } as const

/** Reads and writes sagas with conditional writes only. */
export class SagaStore extends TableStore implements SagaStorePort {
  /** Creates a saga at version 0; throws StaleWriteError if the id exists (a saga is started once). */
  async create<S>(record: Omit<SagaRecord<S>, 'version'>): Promise<SagaRecord<S>> {
    const saved = { ...record, version: 0 }
    await this.conditional(record.sagaId, async () => {
      // Only a new id: a retried start must not reset a saga that already moved.
      await this.client.send(new PutCommand({ TableName: this.tableName, Item: toItem(saved), ConditionExpression: 'attribute_not_exists(#id)', ExpressionAttributeNames: { '#id': ATTR.id } }))
    })
    return saved
  }

  /** Writes `record` as version `record.version + 1` if the stored version is still `record.version`; returns what was stored. */
  async save<S>(record: SagaRecord<S>): Promise<SagaRecord<S>> {
    const next = { ...record, version: record.version + 1 }
    await this.conditional(`${record.sagaId}@v${record.version}`, async () => {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: toItem(next),
          // Optimistic concurrency: whoever read an older version lost the race and must re-read.
          ConditionExpression: '#v = :expected',
          ExpressionAttributeNames: { '#v': ATTR.version },
          ExpressionAttributeValues: { ':expected': record.version },
        }),
      )
    })
    return next
  }

  /** Reads one saga (strongly consistent). */
  async get<S = unknown>(sagaId: string): Promise<SagaRecord<S> | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { [ATTR.id]: sagaId }, ConsistentRead: true }))
    return out.Item ? fromItem<S>(out.Item) : undefined
  }

  /** Sagas in any of `statuses` (a Scan: the table holds few items; a `byStatus` index would replace it at scale). */
  async listByStatus<S = unknown>(statuses: readonly SagaStatus[]): Promise<SagaRecord<S>[]> {
    const values: Record<string, string> = {}
    statuses.forEach((s, i) => (values[`:s${i}`] = s))
    const items: Record<string, unknown>[] = []
    let start: Record<string, unknown> | undefined
    do {
      const out = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: `#s IN (${statuses.map((_, i) => `:s${i}`).join(', ')})`,
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: values,
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      )
      items.push(...(out.Items ?? []))
      start = out.LastEvaluatedKey
    } while (start)
    return items.map((i) => fromItem<S>(i)).sort((a, b) => a.createdAt - b.createdAt)
  }
}

function toItem(r: SagaRecord<unknown>): Record<string, unknown> {
  return {
    sagaId: r.sagaId,
    kind: r.kind,
    status: r.status,
    step: r.step,
    version: r.version,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    state: encodeJson(r.state),
    log: encodeJson(r.log),
    ...(r.error ? { error: encodeJson(r.error) } : {}),
  }
}

function fromItem<S>(item: Record<string, unknown>): SagaRecord<S> {
  return {
    sagaId: item.sagaId as string,
    kind: item.kind as string,
    status: item.status as SagaStatus,
    step: item.step as string,
    version: Number(item.version),
    createdAt: Number(item.createdAt),
    updatedAt: Number(item.updatedAt),
    state: decodeJson<S>(item.state as string),
    log: decodeJson<SagaLogEntry[]>(item.log as string),
    ...(typeof item.error === 'string' ? { error: decodeJson<{ name: string; message: string }>(item.error) } : {}),
  }
}

export type { SagaStatus, SagaLogEntry, SagaRecord }
