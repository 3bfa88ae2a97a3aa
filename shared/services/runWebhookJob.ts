/**
 * Runs a webhook job (rebalance / de-risk one operator) exactly once per event id: takes the accepted event
 * over, runs the rebalance (a de-risk: one forced run per protocol of `ctx.triggers` that holds stake with the
 * operator, ./deriskJob.ts), records done/failed on the event. In AWS the rebalance function calls this for each SNS
 * delivery from the jobs topic (Symbiotic's triggers); the eigenlayer function receives the same `derisk-operator`
 * deliveries and runs them under its own claim (./deriskJob.ts `runProtocolJob`). Tests dispatch to it directly.
 */
import { errorSummary } from '../errors.js'
import { StaleWriteError } from '../store/errors.js'
import { type JobRun, deriskOperatorRuns, jobOutcome } from './deriskJob.js'
import { runRebalance } from './runRebalance.js'
import { watchTriggers } from './triggers.js'
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
  let runs: JobRun[]
  try {
    runs =
      job.action === 'rebalance'
        ? [{ protocol: 'symbiotic', result: await runRebalance(ctx, { trigger: job.eventId, triggerKind: 'webhook' }) }]
        : // Only the protocols where we hold stake with the operator; none: the first, so the order leaves a recorded run.
          await deriskOperatorRuns(job, watchTriggers(ctx), { recordWhenNone: true })
  } catch (e) {
    const error = errorSummary(e)
    await ctx.events.transition(job.eventId, ['running'], 'failed', { now: ctx.clock(), result: JSON.stringify({ error }) })
    return { eventId: job.eventId, action: job.action, status: 'failed', txHashes: [], error }
  }
  const outcome = jobOutcome(job, runs)
  await ctx.events.transition(job.eventId, ['running'], outcome.status === 'failed' ? 'failed' : 'done', { now: ctx.clock(), result: JSON.stringify(outcome) })
  return outcome
}

/** Dispatcher that runs the job in this process and answers with its outcome (local server, tests). */
export function inlineDispatcher(ctx: WebhookContext): JobDispatcher {
  return async (job) => ({ queued: false, outcome: await runWebhookJob(ctx, job) })
}
