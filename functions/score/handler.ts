/** Lambda `score`: EventBridge Scheduler tick → runScore → log. */
import * as z from 'zod/mini'
import '../../shared/zodLocale.js'
import { contextFromEnv } from '../../shared/services/bootstrap.js'
import { runScore } from '../../shared/services/runScore.js'
import { withLambdaContext } from '../../shared/logger.js'

/** The scheduler's payload (anything else in the event is ignored). */
export const ScoreEvent = z.looseObject({ trigger: z._default(z.string().check(z.maxLength(200)), 'schedule') })

const ctx = contextFromEnv(process.env, 'score')

export const handler = withLambdaContext(ctx.logger, async (event: unknown) => {
  const input = ScoreEvent.parse(event ?? {})
  const result = await runScore(ctx, input.trigger)
  ctx.logger.info('score run done', { result })
  return result
})
