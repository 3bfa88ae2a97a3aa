/**
 * The webhook's jobs: a rebalance or a de-risk of one operator that outlives the HTTP request. Shape, outcome,
 * the context both sides need, and the SNS dispatcher. Kept apart from the code that runs a job
 * ({@link ./runWebhookJob.ts}) so the webhook function's bundle carries no planner, executor or signer: in AWS
 * the webhook publishes the job to the jobs topic and the rebalance function runs it.
 */
import * as z from 'zod/mini'
import '../zodLocale.js'
import type { PublishCommand } from '@aws-sdk/client-sns'
import { RestakeError } from '../errors.js'
import type { AutopilotContext } from './context.js'

/** How long a worker owns an accepted event before another may take it over (≥ the Lambda timeout), ms. */
export const JOB_LEASE_MS = 15 * 60_000
/** How long a webhook id (and a protocol's claim of its job) is remembered (replay protection and audit), seconds. */
export const WEBHOOK_ID_TTL_SECONDS = 7 * 86_400

/** Work that outlives the HTTP request: a rebalance or a de-risk of one operator. */
export const WebhookJobSchema = z.strictObject({
  /** `webhook:<id>` — the claimed event. */
  eventId: z.string().check(z.minLength(1)),
  action: z.enum(['rebalance', 'derisk-operator']),
  operator: z.optional(z.string().check(z.regex(/^0x[0-9a-fA-F]{40}$/), z.toLowerCase())),
  reason: z.optional(z.string().check(z.maxLength(500))),
})

/** A job for {@link ./runWebhookJob.ts}. */
export type WebhookJob = z.output<typeof WebhookJobSchema>

/** What a job did. */
export interface JobOutcome {
  eventId: string
  action: WebhookJob['action']
  /** `duplicate`: another delivery of the same job already ran it. */
  status: 'succeeded' | 'skipped' | 'failed' | 'duplicate'
  runId?: string
  txHashes: string[]
  paused?: boolean
  error?: { name: string; message: string }
  /** A de-risk across several protocols: each protocol's run (`runId` is the first). */
  runs?: { protocol: string; runId: string; status: 'succeeded' | 'skipped' | 'failed' }[]
  /** The protocols' own lines for people (e.g. EigenLayer: the exit sagas started, how long withdrawn stake stays slashable). */
  notes?: string[]
}

/** Starts a job: runs it now (inline) or queues it (jobs topic). */
export type JobDispatcher = (job: WebhookJob) => Promise<{ queued: true; messageId?: string } | { queued: false; outcome: JobOutcome }>

/** The context the webhook and its jobs need: events (replay, job state) and the pause flag are required. */
export type WebhookContext = AutopilotContext & Required<Pick<AutopilotContext, 'events' | 'control'>>

/** The webhook is misconfigured (no events store, no secret, no jobs topic): a deployment error, not a bad request. */
export class WebhookConfigError extends RestakeError {
  override name = 'WebhookConfigError' as const
  constructor(what: string) {
    super(`The webhook is misconfigured: ${what}.`)
  }
}

/** Narrows a context to a {@link WebhookContext}; WebhookConfigError when the events store or the pause flag is missing. */
export function asWebhookContext<C extends AutopilotContext>(ctx: C): C & WebhookContext {
  if (!ctx.events) throw new WebhookConfigError('no events store (replay protection)')
  if (!ctx.control) throw new WebhookConfigError('no control store (pause flag)')
  return ctx as C & WebhookContext
}

/** The part of an SNS client the jobs dispatcher uses. */
export interface JobPublisher {
  send(command: PublishCommand): Promise<{ MessageId?: string }>
}

/** Dispatcher that publishes the job to the jobs topic (AWS); the rebalance function receives it from SNS and runs it. */
export function snsJobDispatcher(p: { topicArn: string; sns?: JobPublisher }): JobDispatcher {
  let sns = p.sns
  return async (job) => {
    const { PublishCommand, SNSClient } = await import('@aws-sdk/client-sns')
    sns ??= new SNSClient({})
    const out = await sns.send(new PublishCommand({ TopicArn: p.topicArn, Message: JSON.stringify(job) }))
    return { queued: true, ...(out.MessageId ? { messageId: out.MessageId } : {}) }
  }
}
