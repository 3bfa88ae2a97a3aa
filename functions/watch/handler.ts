/** Lambda `watch`: EventBridge Scheduler tick → watchEvents (poll events, de-risk on a slash, notify) → log; a failed tick throws (alarm, DLQ). */
import { withLambdaContext } from '../../shared/logger.js'
import { forInvocation, handlerRuntime } from '../../shared/services/runtime.js'
import { coldStartSigner } from '../../shared/services/signer.js'
import { withTriggers } from '../../shared/services/triggers.js'
import { WatchTickError, asWatchContext, watchEvents } from '../../shared/services/watchEvents.js'
import { WatchSettingsSchema, WatchTickSchema } from './schema.js'

// Symbiotic's triggers (EigenLayer's watcher runs in the eigenlayer function, with its own cursor).
const runtime = handlerRuntime(process.env, 'watch', { account: coldStartSigner })
const settings = WatchSettingsSchema.parse(process.env)

/** The Lambda handler: one watcher tick per Scheduler invocation. */
export const handler = withLambdaContext(runtime.logger, async (event: unknown, lambda) => {
  const input = WatchTickSchema.parse(event ?? {})
  // The sync's deadline comes from this invocation's remaining time; the triggers are bound to it.
  const ctx = asWatchContext(withTriggers(forInvocation(await runtime.context(), lambda)))
  const result = await watchEvents(ctx, {
    trigger: input.trigger,
    ...(settings.WATCH_CONFIRMATIONS !== undefined ? { confirmations: settings.WATCH_CONFIRMATIONS } : {}),
    maxBlockRange: settings.WATCH_MAX_BLOCK_RANGE,
    ...(settings.WATCH_START_BLOCK !== undefined ? { startBlock: settings.WATCH_START_BLOCK } : {}),
    stuckAfterMs: settings.STUCK_INTENT_MINUTES * 60_000,
  })
  // One line per tick: `stuckIntents` feeds the StuckIntents metric filter of the stack.
  ctx.logger.info('watch tick', { status: result.status, fromBlock: result.fromBlock, toBlock: result.toBlock, events: result.events.length, derisk: result.derisk, runId: result.runId, stuckIntents: result.stuckIntents })
  if (result.status === 'failed') throw new WatchTickError({ reason: result.error ? `${result.error.name}: ${result.error.message}` : 'unknown' })
  return result
})
