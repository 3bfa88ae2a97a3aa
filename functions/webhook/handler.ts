/**
 * Lambda `webhook`: API Gateway HTTP API request → handleWebhook (verify, validate, claim, act) → log.
 * pause/resume act at once; rebalance / derisk-operator jobs are published on the jobs topic (JOBS_TOPIC_ARN)
 * and run by the rebalance function — this function holds no signer. Locally, `npm start` builds the same
 * handler with {@link createWebhookHandler} and a dispatcher that hands jobs to the rebalance handler.
 */
import { withLambdaContext } from '../../shared/logger.js'
import { webhookSecretFromEnv } from '../../shared/services/bootstrap.js'
import { handlerRuntime } from '../../shared/services/runtime.js'
import { handleWebhook } from '../../shared/services/handleWebhook.js'
import { type JobDispatcher, WebhookConfigError, asWebhookContext, snsJobDispatcher } from '../../shared/services/webhookJob.js'
import { HttpApiEventSchema, requestFromHttpApiEvent } from './schema.js'

const runtime = handlerRuntime(process.env, 'webhook', {}, asWebhookContext)
const secret = webhookSecretFromEnv(process.env)
const jobsTopicArn = process.env.JOBS_TOPIC_ARN

/** Without a jobs topic nothing can run a job: the request is answered 500 and its id freed for a retry. */
const noJobsTopic: JobDispatcher = async () => {
  throw new WebhookConfigError('JOBS_TOPIC_ARN is not set, so rebalance / derisk-operator jobs cannot be queued')
}

/** A webhook handler (HTTP API request → proxy result) that hands rebalance / derisk-operator jobs to `dispatch`. */
export function createWebhookHandler(dispatch: JobDispatcher) {
  return withLambdaContext(runtime.logger, async (event: unknown) => {
    const input = HttpApiEventSchema.parse(event)
    const ctx = await runtime.context()
    const response = await handleWebhook({ ctx, secret, dispatch }, requestFromHttpApiEvent(input))
    ctx.logger.info('webhook answered', { statusCode: response.statusCode, path: input.rawPath })
    return response
  })
}

/** The Lambda handler: jobs go to the jobs topic. */
export const handler = createWebhookHandler(jobsTopicArn ? snsJobDispatcher({ topicArn: jobsTopicArn }) : noJobsTopic)
