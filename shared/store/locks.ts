/**
 * Leases in the `locks` table: the nonce lock per signer. One item per signer holds the current holder and its
 * lease expiry, the next nonce the bot may use, and the ids of intents that are signed but not yet settled.
 * The item outlives its holders (release only clears the holder), so the stored next nonce survives runs.
 */
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { RestakeError } from '../errors.js'
import { isConditionalFailure } from './errors.js'
import type { LockStorePort, LockRecord, Lease, LeaseGuard } from './ports.js'
import { TableStore } from './tableStore.js'

/** DynamoDB's guard: a `TransactWriteItems` entry that makes a write conditional on still holding the lease. */
export interface DynamoLeaseGuard extends LeaseGuard {
  /** The `Update` entry on the lock item (conditional on owner and lease expiry). */
  update: {
    TableName: string
    Key: Record<string, unknown>
    UpdateExpression: string
    ConditionExpression: string
    ExpressionAttributeNames: Record<string, string>
    ExpressionAttributeValues: Record<string, unknown>
  }
  /** The error to throw when the guard's condition failed. */
  lost: () => Error
}

/** Another runner holds the lock; the caller should exit without sending anything. */
export class LockBusyError extends RestakeError {
  override name = 'LockBusyError' as const
  readonly lockId: string
  readonly holderRunId: string | undefined
  readonly expiresAt: number
  constructor(p: { lockId: string; holderRunId?: string; expiresAt: number }) {
    super(`Lock ${p.lockId} is held by run ${p.holderRunId ?? 'unknown'}; this run sends nothing.`, { details: `lease expires at ${new Date(p.expiresAt).toISOString()}` })
    this.lockId = p.lockId
    this.holderRunId = p.holderRunId
    this.expiresAt = p.expiresAt
  }
}

/** Our lease expired and may have been taken over: nothing more may be signed or persisted under it. */
export class LockLostError extends RestakeError {
  override name = 'LockLostError' as const
  constructor(p: { lockId: string; runId: string; cause?: unknown }) {
    super(`Run ${p.runId} lost lock ${p.lockId} (lease expired or taken over); it stops before signing anything more.`, { details: p.lockId, cause: p.cause })
  }
}

/** Lock id of the nonce lock of `address` on `chainId`. */
export function signerLockId(chainId: number, address: string): string {
  return `nonce#${chainId}#${address.toLowerCase()}`
}

const NAMES = { '#owner': 'owner', '#exp': 'expiresAt' }

/** Reads and writes leases with conditional writes only. */
export class LockStore extends TableStore implements LockStorePort {
  private readonly clock: () => number
  constructor(p: { client: DynamoDBDocumentClient; tableName: string; clock?: () => number }) {
    super(p)
    this.clock = p.clock ?? (() => Date.now())
  }

  /** Takes the lock for `leaseMs`; throws {@link LockBusyError} while another holder's lease is live. */
  async acquire(p: { lockId: string; runId: string; leaseMs: number; owner?: string }): Promise<Lease> {
    const now = this.clock()
    const owner = p.owner ?? `${p.runId}/${Math.random().toString(36).slice(2, 10)}`
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { lockId: p.lockId },
          UpdateExpression: 'SET #owner = :owner, runId = :run, #exp = :exp, acquiredAt = :now',
          // Free (never taken, or released), or the holder's lease ran out (it crashed or hung).
          ConditionExpression: 'attribute_not_exists(lockId) OR attribute_not_exists(#owner) OR #exp < :now',
          ExpressionAttributeNames: NAMES,
          ExpressionAttributeValues: { ':owner': owner, ':run': p.runId, ':exp': now + p.leaseMs, ':now': now },
          ReturnValues: 'ALL_OLD',
        }),
      )
      const old = out.Attributes as LockRecord | undefined
      return {
        lockId: p.lockId,
        owner,
        runId: p.runId,
        expiresAt: now + p.leaseMs,
        nextNonce: old?.nextNonce,
        openIntents: old?.openIntents ? [...old.openIntents] : [],
        previous: old?.owner ? { runId: old.runId, expiresAt: old.expiresAt } : undefined,
      }
    } catch (e) {
      if (!isConditionalFailure(e)) throw e
      const held = await this.get(p.lockId)
      throw new LockBusyError({ lockId: p.lockId, holderRunId: held?.runId, expiresAt: held?.expiresAt ?? 0 })
    }
  }

  /** Extends the lease; throws {@link LockLostError} if it expired or changed hands. */
  async renew(lease: Lease, leaseMs: number): Promise<void> {
    const now = this.clock()
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { lockId: lease.lockId },
          UpdateExpression: 'SET #exp = :exp',
          // Only the live holder may extend its own lease.
          ConditionExpression: '#owner = :owner AND #exp > :now',
          ExpressionAttributeNames: NAMES,
          ExpressionAttributeValues: { ':owner': lease.owner, ':exp': now + leaseMs, ':now': now },
        }),
      )
      lease.expiresAt = now + leaseMs
    } catch (e) {
      if (isConditionalFailure(e)) throw new LockLostError({ lockId: lease.lockId, runId: lease.runId, cause: e })
      throw e
    }
  }

  /** Frees the lock (keeps nextNonce and openIntents); returns false if the lease had already been lost. */
  async release(lease: Lease): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { lockId: lease.lockId },
          UpdateExpression: 'REMOVE #owner, runId SET #exp = :zero, lastRunId = :run',
          // Never free a lock someone else took over.
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: NAMES,
          ExpressionAttributeValues: { ':owner': lease.owner, ':zero': 0, ':run': lease.runId },
        }),
      )
      return true
    } catch (e) {
      if (isConditionalFailure(e)) return false
      throw e
    }
  }

  /** Reads the lock item. */
  async get(lockId: string): Promise<LockRecord | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { lockId }, ConsistentRead: true }))
    return out.Item as LockRecord | undefined
  }

  /**
   * A transaction entry fencing a write by the lease: it renews the lease and, when given, raises the stored next
   * nonce and adds an open intent. Put it in the same `TransactWriteItems` as the write it guards.
   */
  guard(lease: Lease, p: { leaseMs: number; nextNonce?: number; openIntent?: string }): DynamoLeaseGuard {
    const now = this.clock()
    const sets = ['#exp = :exp']
    const values: Record<string, unknown> = { ':owner': lease.owner, ':exp': now + p.leaseMs, ':now': now }
    if (p.nextNonce !== undefined) {
      sets.push('nextNonce = :next')
      values[':next'] = p.nextNonce
    }
    let add = ''
    if (p.openIntent !== undefined) {
      add = ' ADD openIntents :open'
      values[':open'] = new Set([p.openIntent])
    }
    return {
      update: {
        TableName: this.tableName,
        Key: { lockId: lease.lockId },
        UpdateExpression: `SET ${sets.join(', ')}${add}`,
        // The guarded write happens only while this holder's lease is live.
        ConditionExpression: '#owner = :owner AND #exp > :now',
        ExpressionAttributeNames: NAMES,
        ExpressionAttributeValues: values,
      },
      lost: () => new LockLostError({ lockId: lease.lockId, runId: lease.runId }),
    }
  }

  /** Applies a successful guarded write to the in-memory lease (new expiry, next nonce, open intent). */
  applied(lease: Lease, p: { leaseMs: number; nextNonce?: number; openIntent?: string }): void {
    lease.expiresAt = this.clock() + p.leaseMs
    if (p.nextNonce !== undefined) lease.nextNonce = Math.max(lease.nextNonce ?? 0, p.nextNonce)
    if (p.openIntent !== undefined && !lease.openIntents.includes(p.openIntent)) lease.openIntents.push(p.openIntent)
  }

  /** Removes settled intents from the lock's open set (idempotent; needs no lease: the set only shrinks). */
  async settle(lockId: string, intentIds: readonly string[]): Promise<void> {
    if (intentIds.length === 0) return
    await this.client
      .send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { lockId },
          UpdateExpression: 'DELETE openIntents :ids',
          ConditionExpression: 'attribute_exists(lockId)',
          ExpressionAttributeValues: { ':ids': new Set(intentIds) },
        }),
      )
      .catch((e: unknown) => {
        if (!isConditionalFailure(e)) throw e
      })
  }
}

/** The DynamoDB guard behind a port's LeaseGuard (a guard from another store implementation is a wiring error). */
export function dynamoGuard(guard: LeaseGuard): DynamoLeaseGuard {
  if (!('update' in guard)) throw new Error('a DynamoDB store was given a lease guard from another store implementation')
  return guard as DynamoLeaseGuard
}

export type { LockRecord, Lease, LeaseGuard }
