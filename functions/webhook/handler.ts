/**
 * Lambda `webhook`: API Gateway HTTP API request → handleWebhook (verify, validate, claim, act) → log; and SNS
 * deliveries from the jobs topic → runWebhookJob. With JOBS_TOPIC_ARN set (AWS) rebalance / derisk-operator
 * requests are answered 202 and run from the topic; without it (local) they run inline.
 */
import { withLambdaContext } from '../../shared/logger.js'
import { contextFromEnv, webhookSecretFromEnv } from '../../shared/services/bootstrap.js'
import { WebhookJobSchema, asWebhookContext, handleWebhook, inlineDispatcher, runWebhookJob, snsJobDispatcher } from '../../shared/services/handleWebhook.js'
import { WebhookFunctionEventSchema, requestFromHttpApiEvent } from './schema.js'

const ctx = asWebhookContext(contextFromEnv(process.env, 'webhook'))
const secret = webhookSecretFromEnv(process.env)
const jobsTopicArn = process.env.JOBS_TOPIC_ARN
const dispatch = jobsTopicArn ? snsJobDispatcher({ topicArn: jobsTopicArn }) : inlineDispatcher(ctx)

/** The Lambda handler: HTTP API request → 2xx/4xx/5xx proxy result; SNS job batch → job outcomes. */
export const handler = withLambdaContext(ctx.logger, async (event: unknown) => {
  const input = WebhookFunctionEventSchema.parse(event)
  if (input.kind === 'jobs') {
    const outcomes = []
    for (const r of input.event.Records) {
      if (r.Sns.TopicArn !== jobsTopicArn) throw new Error(`job from unexpected topic ${r.Sns.TopicArn}`)
      const outcome = await runWebhookJob(ctx, WebhookJobSchema.parse(JSON.parse(r.Sns.Message)))
      ctx.logger.info('webhook job done', { outcome })
      outcomes.push(outcome)
    }
    return outcomes
  }
  const response = await handleWebhook({ ctx, secret, dispatch }, requestFromHttpApiEvent(input.event))
  ctx.logger.info('webhook answered', { statusCode: response.statusCode, path: input.event.rawPath })
  return response
})
