/** The watch function's inputs: the EventBridge Scheduler payload, and its settings from the environment. */
import * as z from 'zod/mini'
import '../../shared/zodLocale.js'

/** EventBridge Scheduler tick (the stack's input template; extra fields are ignored). */
export const WatchTickSchema = z.looseObject({
  trigger: z._default(z.string().check(z.maxLength(200)), 'schedule'),
  scheduledTime: z.optional(z.string()),
  executionId: z.optional(z.string()),
})

/** Watcher settings (env): confirmation depth, blocks per tick, first block, stuck-intent age. */
export const WatchSettingsSchema = z.object({
  WATCH_CONFIRMATIONS: z.optional(z.coerce.number().check(z.int(), z.minimum(0))),
  WATCH_MAX_BLOCK_RANGE: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100_000)), 2_000),
  WATCH_START_BLOCK: z.optional(z.coerce.bigint()),
  STUCK_INTENT_MINUTES: z._default(z.coerce.number().check(z.positive()), 15),
})
