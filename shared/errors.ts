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
