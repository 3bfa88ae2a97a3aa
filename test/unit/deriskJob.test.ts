/**
 * A protocol's own claim of the webhook's de-risk job (shared/services/deriskJob.ts `runProtocolJob`, the eigenlayer
 * function's): exactly once per `<eventId>:<protocol>`, skipped without stake, retried after a failure. The protocol is
 * a recording `ProtocolTriggers` (our own port); the event store is the in-memory twin with the DynamoDB claim rules.
 * The bundled function on the real world: test/integration/bundles.test.ts.
 */
import { describe, expect, it } from 'vitest'
import type { ProtocolTriggers, TriggeredRun } from '../../shared/protocols/types.js'
import { type ProtocolJobContext, runProtocolJob } from '../../shared/services/deriskJob.js'
import { MemoryEventStore } from '../../shared/store/memory.js'

const OP = '0x00000000000000000000000000000000000000aa'

function world(p: { holds: boolean; fail?: number }) {
  const calls: { trigger: string; orders: unknown[] }[] = []
  let failures = p.fail ?? 0
  const triggers: ProtocolTriggers = {
    protocol: 'eigenlayer',
    syncEvents: async (head) => ({ syncedTo: head.number, read: async () => [] }),
    isSlash: () => false,
    exposure: async () => ({ held: () => false, stake: () => 0n, notes: [] }),
    holdsOperator: async (op) => p.holds && op === OP,
    async derisk({ orders, trigger }): Promise<TriggeredRun & { notes: string[] }> {
      calls.push({ trigger, orders })
      if (failures-- > 0) throw new Error('rpc down')
      return { runId: `run-${calls.length}`, status: 'succeeded', actions: [{ index: 0, description: 'queue', txHash: '0xabc' } as never], allocations: [], notes: ['Withdrawn stake stays slashable for 50 blocks.'] }
    },
  }
  const events = new MemoryEventStore()
  let now = 1_000
  const ctx = { events, clock: () => now, triggers: [triggers] } as unknown as ProtocolJobContext
  return { ctx, events, calls, later: (ms: number) => (now += ms) }
}

const job = { eventId: 'webhook:j1', action: 'derisk-operator' as const, operator: OP, reason: 'incident' }

describe('runProtocolJob', () => {
  it('de-risks once under <eventId>:eigenlayer: a second delivery is a duplicate and runs nothing', async () => {
    const w = world({ holds: true })
    const first = await runProtocolJob(w.ctx, job)
    expect(first).toMatchObject({ eventId: 'webhook:j1:eigenlayer', status: 'succeeded', runId: 'run-1', txHashes: ['0xabc'], notes: ['Withdrawn stake stays slashable for 50 blocks.'] })
    expect(w.calls).toEqual([{ trigger: `webhook:j1:derisk:${OP}:eigenlayer`, orders: [{ operator: OP, response: 'zero-out', reason: 'webhook:j1: de-risk operator (incident)' }] }])
    expect(w.events.items.get('webhook:j1:eigenlayer')).toMatchObject({ status: 'done', source: 'webhook' })
    expect(JSON.parse(w.events.items.get('webhook:j1:eigenlayer')!.result!)).toMatchObject({ status: 'succeeded', runId: 'run-1' })
    expect((await runProtocolJob(w.ctx, job)).status).toBe('duplicate')
    expect(w.calls).toHaveLength(1)
    // The job's own event (the rebalance function's claim) is not touched.
    expect(w.events.items.has('webhook:j1')).toBe(false)
  })

  it('without stake on the operator: skipped with a note, no run, the claim done', async () => {
    const w = world({ holds: false })
    const out = await runProtocolJob(w.ctx, job)
    expect(out).toMatchObject({ status: 'skipped', txHashes: [], notes: [`No eigenlayer stake with ${OP}: nothing to de-risk.`] })
    expect(out.runId).toBeUndefined()
    expect(w.calls).toHaveLength(0)
    expect(w.events.items.get('webhook:j1:eigenlayer')?.status).toBe('done')
  })

  it('a failed run leaves the claim failed; the retried delivery claims it again and acts', async () => {
    const w = world({ holds: true, fail: 1 })
    const failed = await runProtocolJob(w.ctx, job)
    expect(failed).toMatchObject({ status: 'failed', error: { message: 'rpc down' } })
    expect(w.events.items.get('webhook:j1:eigenlayer')?.status).toBe('failed')
    w.later(60_000)
    expect((await runProtocolJob(w.ctx, job)).status).toBe('succeeded')
    expect(w.events.items.get('webhook:j1:eigenlayer')).toMatchObject({ status: 'done', attempts: 2 })
    expect(w.calls).toHaveLength(2)
  })

  it('a rebalance job is not a protocol function’s: skipped, nothing claimed', async () => {
    const w = world({ holds: true })
    expect(await runProtocolJob(w.ctx, { eventId: 'webhook:r1', action: 'rebalance' })).toMatchObject({ status: 'skipped' })
    expect(w.events.items.size).toBe(0)
    expect(w.calls).toHaveLength(0)
  })
})
