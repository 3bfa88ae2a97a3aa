/**
 * Runs a webhook job (rebalance / de-risk one operator) exactly once per event id: takes the accepted event
 * over, runs the rebalance, records done/failed on the event. In AWS the rebalance function calls this for
 * each SNS delivery from the jobs topic; locally the webhook server dispatches to it directly.
 */
import { errorSummary } from '../errors.js'
import { StaleWriteError } from '../store/errors.js'
import { runRebalance, type RunRebalanceResult } from './runRebalance.js'
import { JOB_LEASE_MS, type JobDispatcher, type JobOutcome, type WebhookContext, type WebhookJob } from './webhookJob.js'

/**
 * Runs a dispatched job (an `accepted` event): takes it over (accepted → running; a duplicate delivery
 * loses and returns `duplicate`), runs the rebalance, and records done/failed on the event.
 */
export async function runWebhookJob(ctx: WebhookContext, job: WebhookJob): Promise<JobOutcome> {
  try {
    await ctx.events.transition(job.eventId, ['accepted'], 'running', { now: ctx.clock(), leaseMs: JOB_LEASE_MS })
  } catch (e) {
    if (e instanceof StaleWriteError) return { eventId: job.eventId, action: job.action, status: 'duplicate', txHashes: [] }
    throw e
  }
  let result: RunRebalanceResult
  try {
    if (job.action === 'rebalance') {
      result = await runRebalance(ctx, { trigger: job.eventId, triggerKind: 'webhook' })
    } else {
      // Policy-driven de-risk: a one-off overlay denies the operator, so the plan sets its targets to zero
      // (deny removals are forced moves, not limited by the turnover cap); force skips cooldown and threshold.
      const op = job.operator!
      const deny = [...new Set([...ctx.policy.operators.deny, op])]
      const allow = ctx.policy.operators.allow?.filter((a) => a !== op)
      const policy = { ...ctx.policy, operators: { ...ctx.policy.operators, deny, ...(allow ? { allow } : {}) } }
      result = await runRebalance({ ...ctx, policy }, { trigger: `${job.eventId}:derisk:${op}`, triggerKind: 'webhook', force: true })
    }
  } catch (e) {
    const error = errorSummary(e)
    await ctx.events.transition(job.eventId, ['running'], 'failed', { now: ctx.clock(), result: JSON.stringify({ error }) })
    return { eventId: job.eventId, action: job.action, status: 'failed', txHashes: [], error }
  }
  const outcome: JobOutcome = {
    eventId: job.eventId,
    action: job.action,
    status: result.status,
    runId: result.runId,
    txHashes: result.actions.map((a) => a.txHash).filter((h): h is string => typeof h === 'string'),
    ...(result.paused ? { paused: true } : {}),
    ...(result.error ? { error: result.error } : {}),
  }
  await ctx.events.transition(job.eventId, ['running'], result.status === 'failed' ? 'failed' : 'done', { now: ctx.clock(), result: JSON.stringify(outcome) })
  return outcome
}

/** Dispatcher that runs the job in this process and answers with its outcome (local server, tests). */
export function inlineDispatcher(ctx: WebhookContext): JobDispatcher {
  return async (job) => ({ queued: false, outcome: await runWebhookJob(ctx, job) })
}
