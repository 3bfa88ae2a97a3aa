/** Event shapes the rebalance function receives: a Scheduler tick (or a direct invocation), and SNS deliveries from the webhook's jobs topic. */
import * as z from 'zod/mini'
import '../../shared/zodLocale.js'

/** The payload of a tick: who triggered the run and whether it is a de-risk run that ignores cooldown and gain threshold. */
export const RebalanceEvent = z.looseObject({
  trigger: z._default(z.string().check(z.maxLength(200)), 'schedule'),
  force: z._default(z.boolean(), false),
})

/** SNS → Lambda delivery of jobs the webhook published on the jobs topic (the fields we use). */
export const SnsJobsEventSchema = z.looseObject({
  Records: z.array(z.looseObject({ EventSource: z.literal('aws:sns'), Sns: z.looseObject({ Message: z.string(), TopicArn: z.string(), MessageId: z.optional(z.string()) }) })).check(z.minLength(1)),
})

/** An SNS delivery of jobs. */
export type SnsJobsEvent = z.output<typeof SnsJobsEventSchema>
