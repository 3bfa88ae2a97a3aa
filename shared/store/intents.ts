/**
 * Intents: one per (run, action). The signed raw transaction is written here BEFORE it is broadcast.
 *
 * Life of an intent (see docs/execution.md): `signed` → `broadcast` → `mined` | `reverted` | `superseded`.
 * A fee-bump replacement keeps the status and the nonce, swaps `rawTx`/`txHash` and appends to `txHashes`.
 */
import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { type LeaseGuard, dynamoGuard } from './locks.js'
import { StaleWriteError, cancelledIndexes, isConditionalFailure } from './errors.js'
import { OPEN_INTENT_STATUSES, type IntentStorePort, type IntentStatus, type IntentRecord, type IntentUpdate } from './ports.js'
import { TableStore, setClauses } from './tableStore.js'

/** Reads and writes intents with conditional writes only. */
export class IntentStore extends TableStore implements IntentStorePort {
  /**
   * Stores a freshly signed intent; throws StaleWriteError if one exists for this (run, action).
   * With a `guard`, the put and the lease check (plus next nonce and open-intent bookkeeping) commit atomically,
   * so an intent is only ever persisted by the live holder of the signer's lock.
   */
  async create(intent: IntentRecord, guard?: LeaseGuard): Promise<void> {
    const put = { TableName: this.tableName, Item: intent, ConditionExpression: 'attribute_not_exists(intentId)' }
    try {
      if (!guard) await this.client.send(new PutCommand(put))
      else await this.client.send(new TransactWriteCommand({ TransactItems: [{ Put: put }, { Update: dynamoGuard(guard).update }] }))
    } catch (e) {
      // A cancelled transaction names which item failed: the intent (exists already) or the guard (lease lost).
      const failed = cancelledIndexes(e)
      if (failed.includes(0)) throw new StaleWriteError({ table: this.tableName, key: intent.intentId, cause: e })
      if (failed.includes(1) && guard) throw guard.lost()
      if (isConditionalFailure(e)) throw new StaleWriteError({ table: this.tableName, key: intent.intentId, cause: e })
      throw e
    }
  }

  /** Reads one intent. */
  async get(intentId: string): Promise<IntentRecord | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { intentId }, ConsistentRead: true }))
    return out.Item as IntentRecord | undefined
  }

  /** Moves an intent to a new status (from an expected one), recording receipt and bookkeeping fields. */
  async transition(intentId: string, from: readonly IntentStatus[], to: IntentStatus, fields: IntentUpdate = {}): Promise<void> {
    const values: Record<string, unknown> = { ':to': to, ':now': Date.now() }
    const names: Record<string, string> = { '#status': 'status', '#updatedAt': 'updatedAt' }
    from.forEach((s, i) => (values[`:f${i}`] = s))
    const sets = ['#status = :to', '#updatedAt = :now', ...setClauses(fields, names, values, ['updatedAt'])]
    await this.conditional(intentId, () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { intentId },
          UpdateExpression: `SET ${sets.join(', ')}`,
          // A settled intent never moves again; two settlers of one intent: the second one loses.
          ConditionExpression: `#status IN (${from.map((_, i) => `:f${i}`).join(', ')})`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    )
  }

  /**
   * Records a fee-bump replacement (same nonce) BEFORE it is broadcast: swaps the raw tx and hash and appends the
   * hash to `txHashes`, only if the intent is still open and still carries `previousTxHash` (one replacer wins).
   */
  async replace(intentId: string, p: { previousTxHash: string; rawTx: string; txHash: string; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }, guard?: LeaseGuard): Promise<void> {
    const update = {
      TableName: this.tableName,
      Key: { intentId },
      UpdateExpression: 'SET rawTx = :raw, txHash = :hash, txHashes = list_append(txHashes, :hashes), maxFeePerGas = :mf, maxPriorityFeePerGas = :tip, replacements = if_not_exists(replacements, :zero) + :one, updatedAt = :now',
      // Only the holder of the current signature may replace it, and only while the intent is open.
      ConditionExpression: 'txHash = :prev AND #status IN (:s0, :s1)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':raw': p.rawTx,
        ':hash': p.txHash,
        ':hashes': [p.txHash],
        ':mf': p.maxFeePerGas.toString(),
        ':tip': p.maxPriorityFeePerGas.toString(),
        ':zero': 0,
        ':one': 1,
        ':now': Date.now(),
        ':prev': p.previousTxHash,
        ':s0': 'signed',
        ':s1': 'broadcast',
      },
    }
    try {
      if (!guard) await this.client.send(new UpdateCommand(update))
      else await this.client.send(new TransactWriteCommand({ TransactItems: [{ Update: update }, { Update: dynamoGuard(guard).update }] }))
    } catch (e) {
      const failed = cancelledIndexes(e)
      if (failed.includes(0)) throw new StaleWriteError({ table: this.tableName, key: intentId, cause: e })
      if (failed.includes(1) && guard) throw guard.lost()
      if (isConditionalFailure(e)) throw new StaleWriteError({ table: this.tableName, key: intentId, cause: e })
      throw e
    }
  }

  /** Adds one to the reorg counter of an open intent (a mined transaction of it left the canonical chain). */
  async noteReorg(intentId: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { intentId },
        UpdateExpression: 'SET reorgs = if_not_exists(reorgs, :zero) + :one, updatedAt = :now',
        ConditionExpression: 'attribute_exists(intentId)',
        ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':now': Date.now() },
      }),
    )
  }

  /** Intents that are signed or broadcast but not settled, oldest first; optionally only those from one signer. */
  async listOpen(p: { from?: string } = {}): Promise<IntentRecord[]> {
    const out: IntentRecord[] = []
    for (const status of OPEN_INTENT_STATUSES) {
      let start: Record<string, unknown> | undefined
      do {
        const page = await this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: 'byStatus',
            KeyConditionExpression: '#status = :s',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':s': status },
            ExclusiveStartKey: start,
          }),
        )
        out.push(...((page.Items ?? []) as IntentRecord[]))
        start = page.LastEvaluatedKey
      } while (start)
    }
    const from = p.from?.toLowerCase()
    return out.filter((i) => from === undefined || i.from.toLowerCase() === from).sort((a, b) => a.createdAt - b.createdAt)
  }

  /** The intents of one run, in action order (actions are created in order, so this stops at the first gap). */
  async listByRun(runId: string, max = 1000): Promise<IntentRecord[]> {
    const out: IntentRecord[] = []
    for (let i = 0; i < max; i++) {
      const intent = await this.get(`${runId}#${i}`)
      if (!intent) break
      out.push(intent)
    }
    return out
  }
}

export type { IntentStatus, IntentRecord, IntentUpdate }

export { OPEN_INTENT_STATUSES }
