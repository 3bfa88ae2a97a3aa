/** Event shapes the eigenlayer function receives besides a rebalance tick (functions/rebalance/schema.ts): its watcher tick. */
import * as z from 'zod/mini'
import '../../shared/zodLocale.js'

/** The watcher's EventBridge Scheduler tick (the stack's second eigenlayer schedule adds `task: 'watch'`). */
export const EigenLayerWatchTickSchema = z.looseObject({
  task: z.literal('watch'),
  trigger: z._default(z.string().check(z.maxLength(200)), 'schedule'),
})
