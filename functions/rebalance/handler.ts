/** Lambda `rebalance`: scheduled tick or invocation by webhook/watch → runRebalance (+ runEigenLayerRebalance when configured) → log. */
import * as z from 'zod'
import { contextFromEnv } from '../../shared/services/bootstrap.js'
import { runRebalance } from '../../shared/services/runRebalance.js'
import { eigenLayerContextFromEnv, runEigenLayerRebalance } from '../../shared/services/runEigenLayerRebalance.js'
import { withLambdaContext } from '../../shared/logger.js'

/** The payload: who triggered the run and whether it is a de-risk run that ignores cooldown and gain threshold. */
export const RebalanceEvent = z.object({ trigger: z.string().max(200).default('schedule'), force: z.boolean().default(false) }).loose()

const ctx = contextFromEnv(process.env, 'rebalance')
const eigenlayer = ctx.config.eigenlayer ? eigenLayerContextFromEnv(ctx, process.env) : undefined

export const handler = withLambdaContext(ctx.logger, async (event: unknown) => {
  const input = RebalanceEvent.parse(event ?? {})
  const result = await runRebalance(ctx, { trigger: input.trigger, force: input.force })
  if (result.status === 'failed') ctx.logger.error('rebalance failed', { runId: result.runId, error: result.error })
  else ctx.logger.info('rebalance done', { runId: result.runId, status: result.status, actions: result.actions, verified: result.verified })
  if (!eigenlayer) return result
  const el = await runEigenLayerRebalance(eigenlayer, { trigger: input.trigger, force: input.force })
  if (el.status === 'failed') ctx.logger.error('eigenlayer rebalance failed', { runId: el.runId, error: el.error })
  else ctx.logger.info('eigenlayer rebalance done', { runId: el.runId, status: el.status, actions: el.actions, decision: el.decision })
  return { ...result, eigenlayer: el }
})
