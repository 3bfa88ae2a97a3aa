/** The watch function's inputs: the EventBridge Scheduler payload, and its settings from the environment. */
import * as z from 'zod'

/** EventBridge Scheduler tick (the stack's input template; extra fields are ignored). */
export const WatchTickSchema = z
  .object({
    trigger: z.string().max(200).default('schedule'),
    scheduledTime: z.string().optional(),
    executionId: z.string().optional(),
  })
  .loose()

/** Watcher settings (env): confirmation depth, blocks per tick, first block, stuck-intent age. */
export const WatchSettingsSchema = z.object({
  WATCH_CONFIRMATIONS: z.coerce.number().int().min(0).optional(),
  WATCH_MAX_BLOCK_RANGE: z.coerce.number().int().min(1).max(100_000).default(2_000),
  WATCH_START_BLOCK: z.coerce.bigint().optional(),
  STUCK_INTENT_MINUTES: z.coerce.number().positive().default(15),
})
