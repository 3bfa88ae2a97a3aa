/**
 * The local stand-in for the jobs topic (local/jobsTopic.ts): like the stack's subscriptions, a job reaches the
 * rebalance handler, and a `derisk-operator` job the eigenlayer handler too; the answer joins their outcomes.
 */
import { describe, expect, it } from 'vitest'
import { LOCAL_JOBS_TOPIC_ARN, localJobsDispatcher } from '../../local/jobsTopic.js'
import type { JobOutcome } from '../../shared/services/webhookJob.js'

function handler(outcome: (job: { eventId: string; action: string }) => JobOutcome) {
  const seen: unknown[] = []
  const fn = async (event: unknown) => {
    const r = (event as { Records: { Sns: { TopicArn: string; Message: string } }[] }).Records[0]!
    expect(r.Sns.TopicArn).toBe(LOCAL_JOBS_TOPIC_ARN)
    const job = JSON.parse(r.Sns.Message) as { eventId: string; action: string }
    seen.push(job)
    return [outcome(job)]
  }
  return { fn, seen }
}

describe('localJobsDispatcher', () => {
  const rebalance = handler((j) => ({ eventId: j.eventId, action: j.action as never, status: 'skipped', runId: 'run-sym', txHashes: [] }))
  const eigenlayer = handler((j) => ({ eventId: `${j.eventId}:eigenlayer`, action: j.action as never, status: 'succeeded', runId: 'run-el', txHashes: ['0xel'], notes: ['Withdrawn stake stays slashable for 50 blocks.'] }))
  const dispatch = localJobsDispatcher(rebalance.fn, LOCAL_JOBS_TOPIC_ARN, [eigenlayer.fn])

  it('a derisk-operator job runs in both handlers; the answer carries both runs, the tx hashes and the notes', async () => {
    const r = await dispatch({ eventId: 'webhook:d1', action: 'derisk-operator', operator: '0x00000000000000000000000000000000000000aa' })
    expect(r).toEqual({
      queued: false,
      outcome: {
        eventId: 'webhook:d1',
        action: 'derisk-operator',
        status: 'succeeded',
        runId: 'run-sym',
        txHashes: ['0xel'],
        runs: [
          { protocol: 'symbiotic', runId: 'run-sym', status: 'skipped' },
          { protocol: 'eigenlayer', runId: 'run-el', status: 'succeeded' },
        ],
        notes: ['Withdrawn stake stays slashable for 50 blocks.'],
      },
    })
  })

  it('a rebalance job reaches the rebalance handler only (the eigenlayer subscription is filtered to de-risks)', async () => {
    const before = eigenlayer.seen.length
    const r = await dispatch({ eventId: 'webhook:r1', action: 'rebalance' })
    expect(r).toMatchObject({ queued: false, outcome: { eventId: 'webhook:r1', status: 'skipped' } })
    expect(eigenlayer.seen.length).toBe(before)
  })
})
