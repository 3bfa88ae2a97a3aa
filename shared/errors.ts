/** The base error of restake-autopilot: a stable `name`, a short message, `details` for people and a `cause` chain. */
export class RestakeError extends Error {
  override name: string = 'RestakeError'
  readonly shortMessage: string
  readonly details: string | undefined
  constructor(shortMessage: string, opts: { details?: string; cause?: unknown } = {}) {
    super(opts.details ? `${shortMessage}\n\nDetails: ${opts.details}` : shortMessage, { cause: opts.cause })
    this.shortMessage = shortMessage
    this.details = opts.details
  }
}

/** `{ name, message }` of anything thrown: what runs, events and job outcomes record about a failure. */
export function errorSummary(e: unknown): { name: string; message: string } {
  return { name: (e as Error)?.name ?? 'Error', message: (e as Error)?.message ?? String(e) }
}
