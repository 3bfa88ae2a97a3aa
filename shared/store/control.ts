/**
 * Operator controls and health checks: the rebalance pause flag (an item in the `locks` table, key
 * `control#rebalance-pause`, toggled by the webhook's pause/resume) and the stuck-intent query the watcher
 * runs every tick for the StuckIntents alarm.
 */
import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import type { ControlStorePort, PauseState } from './ports.js'
import { TableStore } from './tableStore.js'

/** Key of the pause flag in the locks table. */
export const PAUSE_KEY = 'control#rebalance-pause'

/** Reads and toggles the pause flag (table: locks). */
export class ControlStore extends TableStore implements ControlStorePort {
  /** The current pause state (not paused when never set). */
  async getPause(): Promise<PauseState> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { lockId: PAUSE_KEY }, ConsistentRead: true }))
    const item = out.Item as (PauseState & { lockId: string }) | undefined
    return item ? { paused: item.paused === true, by: item.by, reason: item.reason, updatedAt: item.updatedAt, version: item.version ?? 0 } : { paused: false, version: 0 }
  }

  /** True when rebalancing is paused. */
  async isPaused(): Promise<boolean> {
    return (await this.getPause()).paused
  }

  /** Sets or clears the flag; returns the new state. Atomic (one update with a version counter). */
  async setPaused(paused: boolean, p: { by: string; reason?: string; now: number }): Promise<PauseState> {
    const out = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { lockId: PAUSE_KEY },
        UpdateExpression: 'SET paused = :p, #by = :by, reason = :r, updatedAt = :now, version = if_not_exists(version, :zero) + :one',
        ExpressionAttributeNames: { '#by': 'by' },
        ExpressionAttributeValues: { ':p': paused, ':by': p.by, ':r': p.reason ?? null, ':now': p.now, ':zero': 0, ':one': 1 },
        ReturnValues: 'ALL_NEW',
      }),
    )
    const a = out.Attributes as PauseState
    return { paused: a.paused, by: a.by, reason: a.reason ?? undefined, updatedAt: a.updatedAt, version: a.version }
  }
}

/** An intent signed or broadcast long ago and still not mined. */
export interface StuckIntent {
  intentId: string
  status: string
  txHash: string
  /** Epoch ms. */
  createdAt: number
}

/** Intents in `signed` or `broadcast` created before `olderThan` (epoch ms), via the intents table's byStatus index. */
export async function findStuckIntents(client: DynamoDBDocumentClient, tableName: string, p: { olderThan: number; limit?: number }): Promise<StuckIntent[]> {
  const out: StuckIntent[] = []
  for (const status of ['signed', 'broadcast']) {
    const res = await client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: 'byStatus',
        KeyConditionExpression: '#s = :s AND createdAt < :t',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': status, ':t': p.olderThan },
        Limit: p.limit ?? 50,
      }),
    )
    for (const i of res.Items ?? []) out.push({ intentId: String(i.intentId), status, txHash: String(i.txHash), createdAt: Number(i.createdAt) })
  }
  return out
}

export type { PauseState }
