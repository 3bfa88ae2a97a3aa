import { describe, expect, it } from 'vitest'
import { defaultPolicy } from '../../shared/domain/policy.js'
import type { Policy } from '../../shared/domain/index.js'
import { runRebalancePipeline } from '../../shared/pipeline/rebalance.js'
import { LockBusyError } from '../../shared/store/locks.js'
import { type FakeLedger, fakeAdapter } from '../fixtures/fakeAdapter.js'
import { memoryContext } from '../fixtures/pipelineContext.js'
import { FIXTURE_NOW, makeUniverse } from './universeFactory.js'

function setup(mode: Policy['mode'], opts: { paused?: boolean } = {}) {
  const policy: Policy = { ...defaultPolicy(), mode, minNetGainBpsPerYear: 0, cooldownSeconds: 0 }
  const { ctx, stores } = memoryContext(policy)
  if (opts.paused) stores.control.state = { paused: true, version: 1 }
  const universe = makeUniverse({ seed: 7, operators: 6, services: 3, positions: 1, servicesPerOperator: 2, operatorsPerPosition: 5, now: FIXTURE_NOW })
  const ledger: FakeLedger = { executed: [], proposed: [] }
  return { ctx, stores, ledger, adapter: fakeAdapter(universe, ledger) }
}

describe('runRebalancePipeline over a fake adapter and in-memory stores', () => {
  it('autopilot: executes the steps and records a succeeded run typed with its protocol and trigger kind', async () => {
    const { ctx, stores, ledger, adapter } = setup('autopilot')
    const r = await runRebalancePipeline(ctx, adapter, { trigger: 'hook-1', triggerKind: 'webhook' })
    expect(r.status).toBe('succeeded')
    expect(ledger.executed.length).toBeGreaterThan(0)
    expect(r.actions.map((a) => a.status)).toEqual(ledger.executed.map(() => 'mined'))
    const rec = await stores.runs.get(r.runId)
    expect(rec).toMatchObject({ kind: 'rebalance', protocol: 'fake', triggerKind: 'webhook', trigger: 'hook-1', status: 'succeeded' })
  })

  it('dry-run and paused record the plan and call nothing; propose hands the steps to the adapter', async () => {
    for (const [mode, paused] of [
      ['dry-run', false],
      ['autopilot', true],
    ] as const) {
      const { ctx, stores, ledger, adapter } = setup(mode, { paused })
      const r = await runRebalancePipeline(ctx, adapter)
      expect(r.status).toBe('skipped')
      expect(r.mode).toBe(paused ? 'paused' : 'dry-run')
      expect(ledger.executed).toEqual([])
      expect(r.actions.every((a) => a.status === 'planned')).toBe(true)
      expect((await stores.runs.get(r.runId))?.decision).toMatchObject(paused ? { kind: 'act', paused: true } : { kind: 'act' })
    }
    const { ctx, ledger, adapter } = setup('propose')
    const r = await runRebalancePipeline(ctx, adapter)
    expect(ledger.executed).toEqual([])
    expect(ledger.proposed.length).toBeGreaterThan(0)
    expect(r.proposal).toEqual({ steps: ledger.proposed.length })
  })

  it('a failed execute fails the run with the error recorded; a busy signer lock skips it', async () => {
    const failing = setup('autopilot')
    failing.ledger.failWith = new Error('node down')
    const r = await runRebalancePipeline(failing.ctx, failing.adapter)
    expect(r.status).toBe('failed')
    expect((await failing.stores.runs.get(r.runId))?.error?.message).toBe('node down')

    const busy = setup('autopilot')
    busy.ledger.failWith = new LockBusyError({ lockId: 'signer', holderRunId: 'other', expiresAt: 2_000 })
    const b = await runRebalancePipeline(busy.ctx, busy.adapter)
    expect(b.status).toBe('skipped')
    expect((await busy.stores.runs.get(b.runId))?.error?.name).toBe('LockBusyError')
  })

  it('the cooldown counts only the same protocol’s runs', async () => {
    const { ctx, stores, adapter } = setup('autopilot')
    const cooled = { ...ctx, policy: { ...ctx.policy, cooldownSeconds: 3600 } }
    await stores.runs.start({ runId: 'sym', kind: 'rebalance', protocol: 'symbiotic', trigger: 'schedule', startedAt: 900 })
    await stores.runs.finish('sym', { status: 'succeeded', finishedAt: 950 })
    expect((await runRebalancePipeline(cooled, adapter)).status).toBe('succeeded')
    const again = await runRebalancePipeline(cooled, fakeAdapter(makeUniverse({ seed: 8, operators: 6, services: 3, positions: 1, servicesPerOperator: 2, operatorsPerPosition: 5, now: FIXTURE_NOW }), { executed: [], proposed: [] }))
    // The fake adapter ignores the cooldown itself; the pipeline hands it the last run of its own protocol.
    expect(again.status).toBe('succeeded')
    expect((await stores.runs.latest('rebalance', 'succeeded', { protocol: 'fake' }))?.protocol).toBe('fake')
    expect((await stores.runs.latest('rebalance', 'succeeded', { protocol: 'symbiotic' }))?.runId).toBe('sym')
  })
})
