/** Parameters of {@link RestakeError}: `details` for people, `metaMessages` (one fact a line) and the `cause` it wraps. */
export interface RestakeErrorParameters {
  /** Extra context, rendered last as `Details: …`. */
  details?: string | undefined
  /** Short lines of context (`Staker: 0x…`, `Nonce: 7`), rendered between the short message and the details, as viem's `BaseError` does. */
  metaMessages?: string[] | undefined
  /** The error this one wraps; {@link RestakeError.walk} follows it. */
  cause?: unknown
}

/**
 * The base error of restake-autopilot: a stable `name`, a short message, `metaMessages` and `details` for people and a
 * `cause` chain. Shaped like viem's `BaseError` (same message layout, same `walk()`), so a caller handles both alike.
 */
export class RestakeError extends Error {
  override name: string = 'RestakeError'
  readonly shortMessage: string
  readonly details: string | undefined
  readonly metaMessages: string[] | undefined
  constructor(shortMessage: string, opts: RestakeErrorParameters = {}) {
    const lines = [shortMessage]
    if (opts.metaMessages?.length) lines.push('', ...opts.metaMessages)
    if (opts.details) lines.push('', `Details: ${opts.details}`)
    super(lines.join('\n'), { cause: opts.cause })
    this.shortMessage = shortMessage
    this.details = opts.details
    this.metaMessages = opts.metaMessages
  }

  /** The deepest error of the `cause` chain (this error when it wraps nothing). */
  walk(): unknown
  /** The first error of the `cause` chain (starting with this one) that `fn` picks, typed by the guard, else `null`. */
  walk<T>(fn: (err: unknown) => err is T): T | null
  /** The first error of the `cause` chain (starting with this one) for which `fn` is true, else `null`. */
  walk(fn: (err: unknown) => boolean): unknown
  walk(fn?: (err: unknown) => boolean): unknown {
    return walkCause(this, fn)
  }
}

/**
 * Follows `cause` links from `err` (any thrown value, viem's errors included): the first error for which `fn` is true
 * (else `null`), or without `fn` the last error of the chain. Stops on a cycle.
 */
export function walkCause(err: unknown, fn?: (err: unknown) => boolean): unknown {
  const seen = new Set<unknown>()
  let cur = err
  for (;;) {
    if (fn?.(cur)) return cur
    seen.add(cur)
    const next = cur !== null && typeof cur === 'object' && 'cause' in cur ? cur.cause : undefined
    if (next === undefined || seen.has(next)) return fn ? null : cur
    cur = next
  }
}

/** `{ name, message }` of anything thrown: what runs, events and job outcomes record about a failure. */
export function errorSummary(e: unknown): { name: string; message: string } {
  return { name: (e as Error)?.name ?? 'Error', message: (e as Error)?.message ?? String(e) }
}
