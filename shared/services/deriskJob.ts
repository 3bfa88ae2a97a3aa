/**
 * The webhook's `derisk-operator` job over protocols' triggers, protocol-neutral (it imports no protocol, so the
 * eigenlayer function runs it with EigenLayer's triggers alone): one forced de-risk run per protocol that holds stake
 * with the operator, and the job's outcome. ./runWebhookJob.ts runs it for the job's own claim (the rebalance function:
 * Symbiotic); {@link runProtocolJob} for a protocol's own claim of the same job (`<eventId>:<protocol>`), so every
 * function the jobs topic delivers to acts exactly once for its protocol (docs/eigenlayer.md, "Triggers").
 */
import type { Address } from 'viem'
import type { DeriskRequest } from '../domain/index.js'
import { errorSummary } from '../errors.js'
import type { ProtocolTriggers, TriggeredRun } from '../protocols/types.js'
import { DuplicateEventError } from '../store/events.js'
import { JOB_LEASE_MS, type JobOutcome, WEBHOOK_ID_TTL_SECONDS, type WebhookContext, type WebhookJob } from './webhookJob.js'

/** One protocol's de-risk run of a job. */
export interface JobRun {
  protocol: string
  result: TriggeredRun & { notes?: string[] }
}

/**
 * Takes all stake off the job's operator in every protocol of `triggers` that holds stake with it (a one-off deny
 * overlay: the plan sets its targets to zero; EigenLayer starts exit sagas), forced (no cooldown, no threshold). One
 * run per protocol, in order; a failure stops the job (a retry runs them again). When none holds stake: the first
 * protocol's run if `recordWhenNone` (so the order leaves a recorded run), else none.
 */
export async function deriskOperatorRuns(job: WebhookJob, triggers: readonly ProtocolTriggers[], p: { recordWhenNone: boolean }): Promise<JobRun[]> {
  const op = job.operator! as Address
  const order: DeriskRequest = { operator: op, response: 'zero-out', reason: `${job.eventId}: de-risk operator${job.reason ? ` (${job.reason})` : ''}` }
  const holding: ProtocolTriggers[] = []
  for (const t of triggers) if (await t.holdsOperator(op)) holding.push(t)
  const runs: JobRun[] = []
  for (const t of holding.length || !p.recordWhenNone ? holding : triggers.slice(0, 1)) {
    const result = await t.derisk({ orders: [order], trigger: `${job.eventId}:derisk:${op}${t.protocol === 'symbiotic' ? '' : `:${t.protocol}`}`, triggerKind: 'webhook' })
    runs.push({ protocol: t.protocol, result })
    if (result.status === 'failed') break
  }
  return runs
}

/** A job's outcome from its runs (no run: `skipped`, with `notes`). */
export function jobOutcome(job: WebhookJob, runs: readonly JobRun[], extraNotes: readonly string[] = []): JobOutcome {
  const failed = runs.find((r) => r.result.status === 'failed')?.result
  const first = runs[0]?.result
  const status: JobOutcome['status'] = failed ? 'failed' : runs.some((r) => r.result.status === 'succeeded') ? 'succeeded' : 'skipped'
  const notes = [...runs.flatMap((r) => r.result.notes ?? []), ...extraNotes]
  return {
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
}

/** The context a protocol's own job run needs: the webhook's (events, pause flag) and that protocol's triggers. */
export type ProtocolJobContext = WebhookContext & { triggers: readonly ProtocolTriggers[] }

/**
 * Runs a `derisk-operator` job for the protocols of `ctx.triggers` under their own claim `<eventId>:<protocol>`
 * (conditional put: a second delivery loses and returns `duplicate`; a failed or abandoned claim is retried): the
 * de-risk runs where we hold stake with the operator (none: `skipped`, nothing sent), and done/failed with the
 * outcome on the claim. Other actions are not this function's (`skipped`, nothing claimed).
 * @example const outcome = await runProtocolJob({ ...ctx, triggers: [eigenLayerTriggers(ctx)] }, job)
 */
export async function runProtocolJob(ctx: ProtocolJobContext, job: WebhookJob): Promise<JobOutcome> {
  const protocols = ctx.triggers.map((t) => t.protocol).join('+')
  const claimId = `${job.eventId}:${protocols}`
  if (job.action !== 'derisk-operator') return { eventId: claimId, action: job.action, status: 'skipped', txHashes: [], notes: [`${job.action} jobs run in the rebalance function, not for ${protocols}.`] }
  try {
    await ctx.events.claim({ eventId: claimId, source: 'webhook', status: 'running', now: ctx.clock(), ttlSeconds: WEBHOOK_ID_TTL_SECONDS, leaseMs: JOB_LEASE_MS, detail: JSON.stringify(job) })
  } catch (e) {
    if (e instanceof DuplicateEventError) return { eventId: claimId, action: job.action, status: 'duplicate', txHashes: [] }
    throw e
  }
  let outcome: JobOutcome
  try {
    const runs = await deriskOperatorRuns(job, ctx.triggers, { recordWhenNone: false })
    outcome = { ...jobOutcome(job, runs, runs.length ? [] : [`No ${protocols} stake with ${job.operator}: nothing to de-risk.`]), eventId: claimId }
  } catch (e) {
    const error = errorSummary(e)
    await ctx.events.transition(claimId, ['running'], 'failed', { now: ctx.clock(), result: JSON.stringify({ error }) })
    return { eventId: claimId, action: job.action, status: 'failed', txHashes: [], error }
  }
  await ctx.events.transition(claimId, ['running'], outcome.status === 'failed' ? 'failed' : 'done', { now: ctx.clock(), result: JSON.stringify(outcome) })
  return outcome
}
