/**
 * The local stand-in for the webhook's SNS jobs topic: a job is handed to the rebalance handler as the SNS
 * delivery AWS would make (same event shape, same topic check), and its outcome is answered at once.
 */
import { randomUUID } from 'node:crypto'
import type { JobDispatcher, JobOutcome, WebhookJob } from '../shared/services/webhookJob.js'

/** The topic ARN the local run uses (set as JOBS_TOPIC_ARN for the rebalance handler). */
export const LOCAL_JOBS_TOPIC_ARN = 'arn:aws:sns:local:000000000000:restake-autopilot-jobs'

/** The SNS → Lambda event that delivers `job` from `topicArn` (the fields AWS sends). */
export function snsJobDelivery(topicArn: string, job: WebhookJob) {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${topicArn}:${randomUUID()}`,
        Sns: {
          Type: 'Notification',
          MessageId: randomUUID(),
          TopicArn: topicArn,
          Subject: null,
          Message: JSON.stringify(job),
          Timestamp: new Date().toISOString(),
          SignatureVersion: '1',
          Signature: 'local',
          SigningCertUrl: 'https://sns.local.invalid',
          UnsubscribeUrl: 'https://sns.local.invalid',
          MessageAttributes: {},
        },
      },
    ],
  }
}

/**
 * A dispatcher that runs each job through `rebalanceHandler` (functions/rebalance `handler`) and answers with its
 * outcome. `deriskHandlers` (the eigenlayer function's) also get the `derisk-operator` jobs, as the stack's filtered
 * subscriptions deliver them: their outcomes (each under its own claim) join the answer's runs, tx hashes and notes.
 */
export function localJobsDispatcher(rebalanceHandler: (event: unknown) => Promise<unknown>, topicArn: string = LOCAL_JOBS_TOPIC_ARN, deriskHandlers: readonly ((event: unknown) => Promise<unknown>)[] = []): JobDispatcher {
  return async (job) => {
    const [outcome] = (await rebalanceHandler(snsJobDelivery(topicArn, job))) as JobOutcome[]
    if (!outcome) throw new Error(`the rebalance handler returned no outcome for ${job.eventId}`)
    if (job.action !== 'derisk-operator') return { queued: false, outcome }
    const more: JobOutcome[] = []
    for (const h of deriskHandlers) more.push(...((await h(snsJobDelivery(topicArn, job))) as JobOutcome[]).filter((o) => o.runId !== undefined || o.status === 'failed'))
    return { queued: false, outcome: more.length ? joinOutcomes(outcome, more) : outcome }
  }
}

/** One answer for a job several functions ran: the first outcome, with every run, tx hash and note. */
function joinOutcomes(first: JobOutcome, more: readonly JobOutcome[]): JobOutcome {
  const all = [first, ...more]
  const failed = all.find((o) => o.status === 'failed')
  return {
    ...first,
    status: failed ? 'failed' : all.some((o) => o.status === 'succeeded') ? 'succeeded' : first.status,
    txHashes: all.flatMap((o) => o.txHashes),
    runs: all.flatMap((o) => o.runs ?? (o.runId ? [{ protocol: o.eventId === first.eventId ? 'symbiotic' : o.eventId.slice(first.eventId.length + 1), runId: o.runId, status: o.status === 'duplicate' ? 'skipped' : o.status }] : [])),
    ...(all.some((o) => o.paused) ? { paused: true } : {}),
    ...(failed?.error ? { error: failed.error } : {}),
    notes: all.flatMap((o) => o.notes ?? []),
  }
}
