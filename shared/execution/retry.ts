/** Retries of RPC calls on transient transport errors (5xx, timeouts, dropped connections); node answers are never retried. */
import { BaseError } from 'viem'
import { walkCause } from '../errors.js'
import { RpcUnavailableError } from './errors.js'

const TRANSIENT_NAMES = new Set(['HttpRequestError', 'TimeoutError', 'SocketClosedError', 'WebSocketRequestError'])
const TRANSIENT_TEXT = /fetch failed|ECONNRESET|ECONNREFUSED|socket hang up|other side closed|EPIPE|UND_ERR|network error|aborted/i

/** True for failures of the transport (the request may or may not have reached the node), false for answers of the node. */
export function isTransientRpcError(e: unknown): boolean {
  return walkCause(e, isTransientLink) !== null
}

function isTransientLink(cur: unknown): boolean {
  if (!cur || typeof cur !== 'object') return false
  const err = cur as { name?: string; message?: string; status?: number }
  if (err.name && TRANSIENT_NAMES.has(err.name)) return true
  if (typeof err.status === 'number' && err.status >= 500) return true
  return typeof err.message === 'string' && TRANSIENT_TEXT.test(err.message) && !(cur instanceof BaseError && cur.name.endsWith('RpcError'))
}

/** Parameters of {@link withRetry}. */
export interface RetryParameters {
  attempts: number
  backoffMs: number
}

/** Calls `fn`, retrying transient transport errors with exponential back-off; wraps the last one in RpcUnavailableError. */
export async function withRetry<T>(what: string, fn: () => Promise<T>, p: RetryParameters): Promise<T> {
  let last: unknown
  for (let attempt = 1; attempt <= p.attempts; attempt++) {
    try {
      return await fn()
    } catch (e) {
      if (!isTransientRpcError(e)) throw e
      last = e
      if (attempt < p.attempts) await sleep(Math.min(2000, p.backoffMs * 2 ** (attempt - 1)))
    }
  }
  throw new RpcUnavailableError({ what, attempts: p.attempts, cause: last })
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
