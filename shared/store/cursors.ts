/** Block cursors of the event watcher: the last block fully handled (and its hash, to notice deep reorgs), advanced conditionally. */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb'
import type { CursorStorePort, CursorRecord } from './ports.js'
import { TableStore } from './tableStore.js'

/** Reads and advances cursors; an advance from a stale value loses with StaleWriteError. */
export class CursorStore extends TableStore implements CursorStorePort {
  /** Reads a cursor (undefined before the first advance). */
  async get(cursorId: string): Promise<CursorRecord | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { cursorId }, ConsistentRead: true }))
    const item = out.Item as { cursorId: string; block: string; blockHash: string; updatedAt: number } | undefined
    return item ? { ...item, block: BigInt(item.block) } : undefined
  }

  /** Moves a cursor from `from` (undefined: create it) to `to`; StaleWriteError when another watcher moved it first. */
  async advance(cursorId: string, p: { from: bigint | undefined; to: bigint; blockHash: string; now: number }): Promise<void> {
    await this.conditional(cursorId, async () => {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { cursorId, block: p.to.toString(), blockHash: p.blockHash, updatedAt: p.now },
          // Compare-and-set on the block: two watchers never both advance from the same position.
          ConditionExpression: p.from === undefined ? 'attribute_not_exists(cursorId)' : '#block = :from',
          ...(p.from === undefined ? {} : { ExpressionAttributeNames: { '#block': 'block' }, ExpressionAttributeValues: { ':from': p.from.toString() } }),
        }),
      )
    })
  }
}

export type { CursorRecord }
