/**
 * Seen events: webhook ids and watcher logs, each claimed once with a conditional put and expiring by TTL
 * (`expiresAt`, epoch seconds). The claim is the idempotency key: an event that is `done` (or still being
 * worked on under a live lease) is never acted on again; a `failed` one, or one whose worker died (lease
 * expired), may be claimed again.
 */
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import type { EventStorePort, EventStatus, EventSource, EventRecord, ClaimEventParameters, ClaimedEvent } from './ports.js'
import { TableStore } from './tableStore.js'
import { RestakeError } from '../errors.js'
import { isConditionalFailure } from './errors.js'

/** The event was already claimed and is done or still owned by another worker: act on it no further. */
export class DuplicateEventError extends RestakeError {
  override name = 'DuplicateEventError' as const
  readonly existing: EventRecord | undefined
  constructor(p: { eventId: string; existing: EventRecord | undefined; cause?: unknown }) {
    super(`Event ${p.eventId} was already received${p.existing ? ` (status ${p.existing.status})` : ''}.`, { details: p.eventId, cause: p.cause })
    this.existing = p.existing
  }
}

/** Type of {@link DuplicateEventError} narrowed by name. */
export type DuplicateEventErrorType = DuplicateEventError & { name: 'DuplicateEventError' }

/** The record a claim writes: a new lease, one more attempt, the first claim's creation time. Every store writes this. */
export function claimRecord(p: ClaimEventParameters, previous: EventRecord | undefined): EventRecord {
  return {
    eventId: p.eventId,
    source: p.source,
    status: p.status,
    createdAt: previous?.createdAt ?? p.now,
    updatedAt: p.now,
    leaseUntil: p.now + p.leaseMs,
    expiresAt: Math.floor(p.now / 1000) + p.ttlSeconds,
    attempts: (previous?.attempts ?? 0) + 1,
    ...(p.detail !== undefined ? { detail: p.detail } : {}),
  }
}

/** Reads and writes seen events with conditional writes only. */
export class EventStore extends TableStore implements EventStorePort {
  /** Claims an event; throws {@link DuplicateEventError} when it is done or owned by a live worker. */
  async claim(p: ClaimEventParameters): Promise<ClaimedEvent> {
    const previous = await this.get(p.eventId)
    const item = claimRecord(p, previous)
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          // new: never seen; retry: the last attempt failed; takeover: its worker died (lease expired).
          // A done event, or one a live worker owns, fails the condition: that is the replay answer.
          ConditionExpression: 'attribute_not_exists(eventId) OR #status = :failed OR (#status IN (:accepted, :running) AND leaseUntil < :now)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':failed': 'failed', ':accepted': 'accepted', ':running': 'running', ':now': p.now },
        }),
      )
      return previous ? { ...item, previous } : item
    } catch (e) {
      if (isConditionalFailure(e)) throw new DuplicateEventError({ eventId: p.eventId, existing: await this.get(p.eventId), cause: e })
      throw e
    }
  }

  /** Reads one event. */
  async get(eventId: string): Promise<EventRecord | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { eventId }, ConsistentRead: true }))
    return out.Item as EventRecord | undefined
  }

  /** Moves an event from one of `from` to `to` (conditional), recording its result; StaleWriteError if it moved under us. */
  async transition(eventId: string, from: EventStatus[], to: EventStatus, p: { now: number; result?: string; leaseMs?: number }): Promise<void> {
    const values: Record<string, unknown> = { ':to': to, ':now': p.now }
    from.forEach((s, i) => (values[`:f${i}`] = s))
    const sets = ['#status = :to', 'updatedAt = :now']
    if (p.result !== undefined) {
      values[':result'] = p.result
      sets.push('#result = :result')
    }
    if (p.leaseMs !== undefined) {
      values[':lease'] = p.now + p.leaseMs
      sets.push('leaseUntil = :lease')
    }
    await this.conditional(eventId, async () => {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { eventId },
          UpdateExpression: `SET ${sets.join(', ')}`,
          // Only the owner of the current state may move it on (two workers never both finish an event).
          ConditionExpression: `#status IN (${from.map((_, i) => `:f${i}`).join(', ')})`,
          ExpressionAttributeNames: { '#status': 'status', ...(p.result !== undefined ? { '#result': 'result' } : {}) },
          ExpressionAttributeValues: values,
        }),
      )
    })
  }
}

export type { EventStatus, EventSource, EventRecord, ClaimEventParameters, ClaimedEvent }
