/**
 * Lambda `rebalance`: a Scheduler tick (or a direct invocation) → runRebalance (Symbiotic) → log; an SNS
 * delivery from the webhook's jobs topic → runWebhookJob for each job. With watch, the only function holding
 * the curator signer. (EigenLayer positions have their own function: functions/eigenlayer.)
 */
import { forInvocation, handlerRuntime } from '../../shared/services/runtime.js'
import { coldStartSigner } from '../../shared/services/signer.js'
import { runRebalance } from '../../shared/services/runRebalance.js'
import { runWebhookJob } from '../../shared/services/runWebhookJob.js'
import { WebhookJobSchema, asWebhookContext } from '../../shared/services/webhookJob.js'
import { withLambdaContext } from '../../shared/logger.js'
import type { AutopilotContext } from '../../shared/services/context.js'
import { RebalanceEvent, type SnsJobsEvent, SnsJobsEventSchema } from './schema.js'

const runtime = handlerRuntime(process.env, 'rebalance', { account: coldStartSigner })
const jobsTopicArn = process.env.JOBS_TOPIC_ARN

/** Runs each job of an SNS delivery; a job from any topic but ours is refused (nothing runs). */
async function runJobs(ctx: AutopilotContext, event: SnsJobsEvent) {
  const jobsCtx = asWebhookContext(ctx)
  const outcomes = []
  for (const r of event.Records) {
    if (!jobsTopicArn || r.Sns.TopicArn !== jobsTopicArn) throw new Error(`job from unexpected topic ${r.Sns.TopicArn}`)
    const outcome = await runWebhookJob(jobsCtx, WebhookJobSchema.parse(JSON.parse(r.Sns.Message)))
    ctx.logger.info('webhook job done', { outcome })
    outcomes.push(outcome)
  }
  return outcomes
}

/** The Lambda handler: a tick runs one rebalance; an SNS delivery runs its jobs. */
export const handler = withLambdaContext(runtime.logger, async (event: unknown, lambda) => {
  const ctx = forInvocation(await runtime.context(), lambda)
  const jobs = SnsJobsEventSchema.safeParse(event)
  if (jobs.success) return runJobs(ctx, jobs.data)
  const input = RebalanceEvent.parse(event ?? {})
  const result = await runRebalance(ctx, { trigger: input.trigger, force: input.force })
  if (result.status === 'failed') ctx.logger.error('rebalance failed', { runId: result.runId, error: result.error })
  else ctx.logger.info('rebalance done', { runId: result.runId, status: result.status, actions: result.actions, verified: result.verified })
  return result
})
