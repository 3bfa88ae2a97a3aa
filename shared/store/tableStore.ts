/** The base of every store: one DynamoDB table through the document client, the one way a lost condition surfaces, and SET clauses. */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { StaleWriteError, isConditionalFailure } from './errors.js'

/** A store over one table. */
export abstract class TableStore {
  protected readonly client: DynamoDBDocumentClient
  readonly tableName: string
  constructor(p: { client: DynamoDBDocumentClient; tableName: string }) {
    this.client = p.client
    this.tableName = p.tableName
  }

  /** Runs a conditional write; a failed condition becomes {@link StaleWriteError} on `key`, anything else is rethrown. */
  protected async conditional<T>(key: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write()
    } catch (e) {
      if (isConditionalFailure(e)) throw new StaleWriteError({ table: this.tableName, key, cause: e })
      throw e
    }
  }
}

/**
 * `#k = :k` for every defined field of `fields` except `skip`, adding each name and value to `names` / `values`
 * (which the caller passes in with its own placeholders); returns the clauses for `SET …`.
 */
export function setClauses(fields: Readonly<Record<string, unknown>>, names: Record<string, string>, values: Record<string, unknown>, skip: readonly string[] = []): string[] {
  const sets: string[] = []
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined || skip.includes(k)) continue
    names[`#${k}`] = k
    values[`:${k}`] = v
    sets.push(`#${k} = :${k}`)
  }
  return sets
}
