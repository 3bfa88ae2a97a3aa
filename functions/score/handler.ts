/** Lambda `score`: EventBridge Scheduler tick → the current policy (policy store) → runScore → log. */
import * as z from 'zod/mini'
import '../../shared/zodLocale.js'
import { forInvocation, handlerRuntime } from '../../shared/services/runtime.js'
import { runScore } from '../../shared/services/runScore.js'
import { withLambdaContext } from '../../shared/logger.js'

/** The scheduler's payload (anything else in the event is ignored). */
export const ScoreEvent = z.looseObject({ trigger: z._default(z.string().check(z.maxLength(200)), 'schedule') })

const runtime = handlerRuntime(process.env, 'score')

export const handler = withLambdaContext(runtime.logger, async (event: unknown, lambda) => {
  const input = ScoreEvent.parse(event ?? {})
  const ctx = forInvocation(await runtime.context(), lambda)
  const result = await runScore(ctx, input.trigger)
  ctx.logger.info('score run done', { result })
  return result
})
