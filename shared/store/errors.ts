/** Store errors: conditional-write conflicts become domain errors, never raw SDK exceptions. */
import { RestakeError } from '../errors.js'

/** A conditional write lost a race (the item exists or changed under us). */
export class StaleWriteError extends RestakeError {
  override name = 'StaleWriteError' as const
  constructor(p: { table: string; key: string; cause?: unknown }) {
    super(`Conditional write to ${p.table} lost a race on ${p.key}.`, { details: p.key, cause: p.cause })
  }
}

/** True when `e` is DynamoDB's ConditionalCheckFailedException, or a transaction cancelled because one of its conditions failed. */
export function isConditionalFailure(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false
  const { name, CancellationReasons } = e as { name?: string; CancellationReasons?: { Code?: string }[] }
  if (name === 'ConditionalCheckFailedException') return true
  return name === 'TransactionCanceledException' && (CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed')
}

/** Indexes of the items whose condition failed in a cancelled `TransactWriteItems`. */
export function cancelledIndexes(e: unknown): number[] {
  if (typeof e !== 'object' || e === null || (e as { name?: string }).name !== 'TransactionCanceledException') return []
  const reasons = (e as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? []
  return reasons.flatMap((r, i) => (r.Code === 'ConditionalCheckFailed' ? [i] : []))
}
