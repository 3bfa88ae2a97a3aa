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

/** A dispatcher that runs each job through `rebalanceHandler` (functions/rebalance `handler`) and answers with its outcome. */
export function localJobsDispatcher(rebalanceHandler: (event: unknown) => Promise<unknown>, topicArn: string = LOCAL_JOBS_TOPIC_ARN): JobDispatcher {
  return async (job) => {
    const [outcome] = (await rebalanceHandler(snsJobDelivery(topicArn, job))) as JobOutcome[]
    if (!outcome) throw new Error(`the rebalance handler returned no outcome for ${job.eventId}`)
    return { queued: false, outcome }
  }
}
