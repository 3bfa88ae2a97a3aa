/** Lambda `rebalance`: scheduled tick or invocation by webhook/watch → runRebalance → log. */
import { z } from 'zod'
import { contextFromEnv } from '../../shared/services/bootstrap.js'
import { runRebalance } from '../../shared/services/runRebalance.js'
import { withLambdaContext } from '../../shared/logger.js'

/** The payload: who triggered the run and whether it is a de-risk run that ignores cooldown and gain threshold. */
export const RebalanceEvent = z.object({ trigger: z.string().max(200).default('schedule'), force: z.boolean().default(false) }).loose()

const ctx = contextFromEnv(process.env, 'rebalance')

export const handler = withLambdaContext(ctx.logger, async (event: unknown) => {
  const input = RebalanceEvent.parse(event ?? {})
  const result = await runRebalance(ctx, { trigger: input.trigger, force: input.force })
  if (result.status === 'failed') ctx.logger.error('rebalance failed', { runId: result.runId, error: result.error })
  else ctx.logger.info('rebalance done', { runId: result.runId, status: result.status, actions: result.actions, verified: result.verified })
  return result
})
