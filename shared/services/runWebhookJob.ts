/**
 * Runs a webhook job (rebalance / de-risk one operator) exactly once per event id: takes the accepted event
 * over, runs the rebalance (a de-risk: one forced run per protocol of `ctx.triggers` that holds stake with the
 * operator), records done/failed on the event. In AWS the rebalance function calls this for each SNS delivery
 * from the jobs topic (Symbiotic's triggers); locally the webhook server dispatches to it directly.
 */
import type { Address } from 'viem'
import type { DeriskRequest } from '../domain/index.js'
import { errorSummary } from '../errors.js'
import { StaleWriteError } from '../store/errors.js'
import type { TriggeredRun } from '../protocols/types.js'
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
  let runs: { protocol: string; result: TriggeredRun & { notes?: string[] } }[]
  try {
    if (job.action === 'rebalance') {
      runs = [{ protocol: 'symbiotic', result: await runRebalance(ctx, { trigger: job.eventId, triggerKind: 'webhook' }) }]
    } else {
      // Policy-driven de-risk of one operator in every protocol we manage: each protocol's run takes all stake off it
      // (a one-off deny overlay: the plan sets its targets to zero; EigenLayer starts exit sagas), forced (no
      // cooldown, no threshold). One run per protocol, in order; a failure stops the job (a retry runs them again).
      const op = job.operator! as Address
      const order: DeriskRequest = { operator: op, response: 'zero-out', reason: `${job.eventId}: de-risk operator${job.reason ? ` (${job.reason})` : ''}` }
      runs = []
      // Only the protocols where we hold stake with the operator; none: the first, so the order leaves a recorded run.
      const all = watchTriggers(ctx)
      const holding = []
      for (const t of all) if (await t.holdsOperator(op)) holding.push(t)
      for (const t of holding.length ? holding : all.slice(0, 1)) {
        const result = await t.derisk({ orders: [order], trigger: `${job.eventId}:derisk:${op}${t.protocol === 'symbiotic' ? '' : `:${t.protocol}`}`, triggerKind: 'webhook' })
        runs.push({ protocol: t.protocol, result })
        if (result.status === 'failed') break
      }
    }
  } catch (e) {
    const error = errorSummary(e)
    await ctx.events.transition(job.eventId, ['running'], 'failed', { now: ctx.clock(), result: JSON.stringify({ error }) })
    return { eventId: job.eventId, action: job.action, status: 'failed', txHashes: [], error }
  }
  const failed = runs.find((r) => r.result.status === 'failed')?.result
  const first = runs[0]?.result
  const status: JobOutcome['status'] = failed ? 'failed' : runs.some((r) => r.result.status === 'succeeded') ? 'succeeded' : 'skipped'
  const notes = runs.flatMap((r) => r.result.notes ?? [])
  const outcome: JobOutcome = {
    eventId: job.eventId,
    action: job.action,
    status,
    ...(first ? { runId: first.runId } : {}),
    txHashes: runs.flatMap((r) => r.result.actions.map((a) => a.txHash).filter((h): h is string => typeof h === 'string')),
    ...(runs.length > 1 ? { runs: runs.map((r) => ({ protocol: r.protocol, runId: r.result.runId, status: r.result.status })) } : {}),
    ...(runs.some((r) => r.result.paused) ? { paused: true } : {}),
    ...(failed?.error ? { error: failed.error } : {}),
    ...(notes.length ? { notes } : {}),
  }
  await ctx.events.transition(job.eventId, ['running'], status === 'failed' ? 'failed' : 'done', { now: ctx.clock(), result: JSON.stringify(outcome) })
  return outcome
}

/** Dispatcher that runs the job in this process and answers with its outcome (local server, tests). */
export function inlineDispatcher(ctx: WebhookContext): JobDispatcher {
  return async (job) => ({ queued: false, outcome: await runWebhookJob(ctx, job) })
}
