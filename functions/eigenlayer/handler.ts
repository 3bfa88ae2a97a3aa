/**
 * Lambda `eigenlayer`, deployed only when the protocol config has an `eigenlayer` section. It signs with the bot's key
 * (KMS in AWS) for the staker Safes, through each Safe's Roles modifier (docs/eigenlayer.md). Three events:
 * - a rebalance tick (Scheduler, or a direct invocation) → runEigenLayerRebalance (resume move sagas, plan, start moves);
 * - a watcher tick (its second schedule, `task: 'watch'`) → watchEvents with EigenLayer's triggers and the cursor
 *   `eigenlayer:<chainId>`: an `OperatorSlashed` of an operator our stakers delegate to starts their exits in the same
 *   tick; a failed tick throws (alarm, DLQ), as the watch function's does;
 * - an SNS delivery from the webhook's jobs topic (`derisk-operator` only, by the subscription's filter) →
 *   runProtocolJob under the claim `<eventId>:eigenlayer` (the rebalance function runs Symbiotic's part of the job).
 */
import { ConfigError } from '../../shared/config/config.js'
import { withLambdaContext } from '../../shared/logger.js'
import { eigenLayerContextFromEnv, runEigenLayerRebalance } from '../../shared/protocols/eigenlayer/rebalance.js'
import { eigenLayerTriggers } from '../../shared/protocols/eigenlayer/triggers.js'
import { runProtocolJob } from '../../shared/services/deriskJob.js'
import { forInvocation, handlerRuntime } from '../../shared/services/runtime.js'
import { coldStartSigner } from '../../shared/services/signer.js'
import { WatchTickError, asWatchContext, watchEvents } from '../../shared/services/watchEvents.js'
import { WebhookJobSchema, asWebhookContext } from '../../shared/services/webhookJob.js'
import { RebalanceEvent, SnsJobsEventSchema } from '../rebalance/schema.js'
import { WatchSettingsSchema } from '../watch/schema.js'
import { EigenLayerWatchTickSchema } from './schema.js'

const runtime = handlerRuntime(process.env, 'eigenlayer', { account: coldStartSigner }, (base) => {
  if (!base.config.eigenlayer) throw new ConfigError(['the protocol config has no "eigenlayer" section: the eigenlayer function has nothing to manage'])
  const el = eigenLayerContextFromEnv(base, process.env)
  return { ...el, triggers: [eigenLayerTriggers(el)] }
})
const jobsTopicArn = process.env.JOBS_TOPIC_ARN
const settings = WatchSettingsSchema.parse(process.env)

/** The Lambda handler: a rebalance tick, a watcher tick, or the webhook's de-risk jobs (see the module comment). */
export const handler = withLambdaContext(runtime.logger, async (event: unknown, lambda) => {
  // The sync's deadline comes from this invocation's remaining time; the triggers are bound to it.
  const invocation = forInvocation(await runtime.context(), lambda)
  const ctx = { ...invocation, triggers: [eigenLayerTriggers(invocation)] }
  const jobs = SnsJobsEventSchema.safeParse(event)
  if (jobs.success) {
    const outcomes = []
    for (const r of jobs.data.Records) {
      if (!jobsTopicArn || r.Sns.TopicArn !== jobsTopicArn) throw new Error(`job from unexpected topic ${r.Sns.TopicArn}`)
      const outcome = await runProtocolJob(asWebhookContext(ctx), WebhookJobSchema.parse(JSON.parse(r.Sns.Message)))
      ctx.logger.info('eigenlayer webhook job done', { outcome })
      outcomes.push(outcome)
    }
    return outcomes
  }
  const watch = EigenLayerWatchTickSchema.safeParse(event)
  if (watch.success) {
    const result = await watchEvents(asWatchContext(ctx), {
      trigger: watch.data.trigger,
      cursorId: `eigenlayer:${ctx.config.chainId}`,
      ...(settings.WATCH_CONFIRMATIONS !== undefined ? { confirmations: settings.WATCH_CONFIRMATIONS } : {}),
      maxBlockRange: settings.WATCH_MAX_BLOCK_RANGE,
      ...(settings.WATCH_START_BLOCK !== undefined ? { startBlock: settings.WATCH_START_BLOCK } : {}),
    })
    ctx.logger.info('eigenlayer watch tick', { status: result.status, fromBlock: result.fromBlock, toBlock: result.toBlock, events: result.events.length, derisk: result.derisk, runId: result.runId })
    if (result.status === 'failed') throw new WatchTickError({ reason: result.error ? `${result.error.name}: ${result.error.message}` : 'unknown' })
    return result
  }
  const input = RebalanceEvent.parse(event ?? {})
  const result = await runEigenLayerRebalance(ctx, { trigger: input.trigger, force: input.force })
  if (result.status === 'failed') ctx.logger.error('eigenlayer rebalance failed', { runId: result.runId, error: result.error })
  else ctx.logger.info('eigenlayer rebalance done', { runId: result.runId, status: result.status, actions: result.actions, decision: result.decision })
  return result
})
