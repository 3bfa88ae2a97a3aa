/** Intents: one per (run, action). The signed raw transaction is written here BEFORE it is broadcast. */
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { StaleWriteError, isConditionalFailure } from './errors.js'

export type IntentStatus = 'signed' | 'broadcast' | 'mined' | 'reverted' | 'failed'

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
  rawTx: string
  txHash: string
  /** Every hash ever signed for this intent (replacements append). */
  txHashes: string[]
  createdAt: number
  blockNumber?: string
  gasUsed?: string
}

/** Reads and writes intents with conditional writes only. */
export class IntentStore {
  private readonly client: DynamoDBDocumentClient
  private readonly tableName: string
  constructor(p: { client: DynamoDBDocumentClient; tableName: string }) {
    this.client = p.client
    this.tableName = p.tableName
  }

  /** Stores a freshly signed intent; throws StaleWriteError if one exists for this (run, action). */
  async create(intent: IntentRecord): Promise<void> {
    try {
      await this.client.send(new PutCommand({ TableName: this.tableName, Item: intent, ConditionExpression: 'attribute_not_exists(intentId)' }))
    } catch (e) {
      if (isConditionalFailure(e)) throw new StaleWriteError({ table: this.tableName, key: intent.intentId, cause: e })
      throw e
    }
  }

  /** Reads one intent. */
  async get(intentId: string): Promise<IntentRecord | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { intentId }, ConsistentRead: true }))
    return out.Item as IntentRecord | undefined
  }

  /** Moves an intent to a new status (from an expected one), recording receipt fields. */
  async transition(intentId: string, from: IntentStatus[], to: IntentStatus, fields: Partial<Pick<IntentRecord, 'blockNumber' | 'gasUsed'>> = {}): Promise<void> {
    const values: Record<string, unknown> = { ':to': to }
    from.forEach((s, i) => (values[`:f${i}`] = s))
    const sets = ['#status = :to']
    for (const [k, v] of Object.entries(fields)) {
      values[`:${k}`] = v
      sets.push(`${k} = :${k}`)
    }
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { intentId },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: `#status IN (${from.map((_, i) => `:f${i}`).join(', ')})`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: values,
        }),
      )
    } catch (e) {
      if (isConditionalFailure(e)) throw new StaleWriteError({ table: this.tableName, key: intentId, cause: e })
      throw e
    }
  }
}
