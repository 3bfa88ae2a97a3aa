/**
 * EigenLayer triggers on the shared local world (real Symbiotic + our EigenLayer v1.x harness, DynamoDB Local): an AVS
 * slashes an operator our staker delegates to (`OperatorSlashed` on the real AllocationManager) and the watcher — serving
 * both protocols — starts the exit saga off that operator in the same tick, per the policy's slashResponse, notifies
 * with how long the withdrawn stake stays slashable, and acts once across ticks; the signed webhook's `derisk-operator`
 * takes our stakers off an EigenLayer operator through the same claim and audit trail. No mocks.
 */
import { type Address, parseEther } from 'viem'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { eigenLayerActor, slashEigenLayerOperator } from '../../local/world/eigenlayer.js'
import { toAddr } from '../../shared/address.js'
import { delegationManagerAbi } from '../../shared/protocols/eigenlayer/abis.js'
import type { EigenLayerMoveState } from '../../shared/protocols/eigenlayer/saga.js'
import { eigenLayerTriggers } from '../../shared/protocols/eigenlayer/triggers.js'
import { symbioticTriggers } from '../../shared/protocols/symbiotic/triggers.js'
import { operatorSetKey } from '../../shared/protocols/eigenlayer/types.js'
import { applyControlAction } from '../../shared/services/handleWebhook.js'
import type { Notification } from '../../shared/services/notify.js'
import { inlineDispatcher } from '../../shared/services/runWebhookJob.js'
import { asWatchContext, watchEvents } from '../../shared/services/watchEvents.js'
import { asWebhookContext } from '../../shared/services/webhookJob.js'
import { chain, snapshot, withFreshTables, world } from '../setup/worldHandle.js'
import { defaultPolicy, eigenLayerTestContext } from './helpers.js'

const w = world()
const c = chain(w)
const el = w.config.eigenlayer!
const strategy = toAddr(el.positions[0]!.strategy)
const byLabel = (label: string) => toAddr(Object.entries(w.config.labels).find(([, l]) => l === label)![0] as Address)
const withdrawable = async (a: Address) => (await c.public.readContract({ address: el.delegationManager, abi: delegationManagerAbi, functionName: 'getWithdrawableShares', args: [a, [strategy]] }))[0][0]!
const delegatedTo = (a: Address) => c.public.readContract({ address: el.delegationManager, abi: delegationManagerAbi, functionName: 'delegatedTo', args: [a] })
let revert: () => Promise<void>

beforeEach(async () => {
  revert = await snapshot(c)
})
afterEach(async () => {
  await revert()
})

/** One context serving both protocols (the sagas table, our stakers' keys), notifications collected. */
async function bothProtocols(policy = defaultPolicy({ slashResponse: 'zero-out' })) {
  const config = await withFreshTables(w)
  const notes: Notification[] = []
  const base = { ...eigenLayerTestContext(w, config, policy), notify: async (n: Notification) => (notes.push(n), { delivered: ['test'], failed: [] }) }
  const ctx = { ...base, triggers: [symbioticTriggers(base), eigenLayerTriggers(base)] }
  return { ctx, notes }
}

describe('watch: an EigenLayer OperatorSlashed on an operator our staker delegates to', () => {
  it('zero-out: the same tick starts the exit saga of our staker off the operator, notifies with the slashable window, and a second tick acts no more', async () => {
    const { ctx: base, notes } = await bothProtocols()
    const ctx = asWatchContext(base)
    expect((await watchEvents(ctx, { confirmations: 0 })).status).toBe('initialised')
    const stakerA = byLabel('staker-a')
    const opA = byLabel('el-op-a')
    expect(toAddr(await delegatedTo(stakerA))).toBe(opA)
    const before = await withdrawable(stakerA)
    expect(before).toBeGreaterThan(0n)

    // eigen-oracle slashes 20 % of what el-op-a allocates to its set 0 (magnitude 0.5): 10 % of its delegated stake.
    const avs = eigenLayerActor('avs/eigen-oracle')
    const slashTx = await slashEigenLayerOperator(c, { allocationManager: el.allocationManager, strategy }, avs, 0, opA, 0.2)

    const tick = await watchEvents(ctx, { confirmations: 0 })
    expect(tick.error).toBeUndefined()
    expect(tick.status).toBe('advanced')
    const ev = tick.events.find((e) => e.kind === 'OperatorSlashed')!
    expect(ev).toMatchObject({ protocol: 'eigenlayer', txHash: slashTx, operator: opA, subnetwork: operatorSetKey(avs.address, 0), vault: strategy, wadSlashed: parseEther('0.1'), held: true, outcome: 'derisked' })
    expect(ev.amount).toBeGreaterThan(0n)

    // The de-risk ran the EigenLayer pipeline in this tick: one exit saga for staker-a, its withdrawal queued on chain.
    expect(tick.derisks?.map((d) => d.protocol)).toEqual(['eigenlayer'])
    expect(tick.derisk).toMatchObject({ protocol: 'eigenlayer', status: 'succeeded' })
    expect(tick.derisk!.txHashes).toHaveLength(1)
    const open = await base.sagas.listByStatus<EigenLayerMoveState>(['running', 'waiting'])
    expect(open).toHaveLength(1)
    const saga = open[0]!
    expect(saga.state).toMatchObject({ from: { staker: stakerA, operator: opA }, origin: 'exit' })
    expect(saga.state.to.operator).not.toBe(opA)
    expect(saga.state.reason).toMatch(/^slash response zero-out: OperatorSlashed of el-op-a by .* at block \d+ \(tx 0x[0-9a-f]{64}\): all stake leaves el-op-a$/)
    expect(saga.state.steps.queue?.txHash).toBe(tick.derisk!.txHashes[0])
    expect(await withdrawable(stakerA)).toBe(0n) // everything is queued for withdrawal
    const run = (await ctx.runs.get(tick.derisk!.runId))!
    expect(run).toMatchObject({ protocol: 'eigenlayer', triggerKind: 'watch', trigger: `watch:slash:${ev.key}`, status: 'succeeded' })
    expect((run.decision as { notes?: string[] }).notes?.[0]).toMatch(/^Withdrawn stake stays slashable for 50 blocks \(≈ 10 min at 12 s\/block\)/)

    // One slash notification: the event, our stake, the saga's queue tx, and how long the withdrawn stake stays slashable.
    const slashNotes = notes.filter((n) => n.kind === 'slash')
    expect(slashNotes).toHaveLength(1)
    const n = slashNotes[0]!
    expect(n).toMatchObject({ operator: opA, service: ev.subnetwork, runId: tick.derisk!.runId, txHashes: [slashTx, ...tick.derisk!.txHashes] })
    expect(n.text).toContain('OperatorSlashed')
    expect(n.text).toContain('10.00 % of its delegated stake')
    expect(n.text).toContain(`1 EigenLayer move saga(s) started: ${saga.sagaId}.`)
    expect(n.text).toMatch(/Withdrawn stake stays slashable for 50 blocks \(≈ 10 min at 12 s\/block\) after it is queued, and deallocated or deregistered stake for 50 blocks \(≈ 10 min\) after the change\./)

    // The event is done; a later tick and a rescan of the same blocks start nothing more.
    expect((await ctx.events.get(ev.key))?.status).toBe('done')
    const again = await watchEvents(ctx, { confirmations: 0 })
    expect(again.derisk).toBeUndefined()
    const rescan = await watchEvents(ctx, { confirmations: 0, cursorId: 'rescan', startBlock: ev.blockNumber })
    expect(rescan.status).toBe('initialised')
    const rescanTick = await watchEvents(ctx, { confirmations: 0, cursorId: 'rescan' })
    expect(rescanTick.events.find((e) => e.key === ev.key)?.outcome).toBe('already-handled')
    expect(rescanTick.derisk).toBeUndefined()
    expect(await base.sagas.listByStatus(['running', 'waiting', 'completed', 'failed'])).toHaveLength(1)
    expect(notes.filter((x) => x.kind === 'slash')).toHaveLength(1)
  })

  it('halve: half of our staker leaves the slashed operator in the same tick', async () => {
    const { ctx: base } = await bothProtocols(defaultPolicy({ slashResponse: 'halve' }))
    const ctx = asWatchContext(base)
    await watchEvents(ctx, { confirmations: 0 })
    const stakerA = byLabel('staker-a')
    const opA = byLabel('el-op-a')
    await slashEigenLayerOperator(c, { allocationManager: el.allocationManager, strategy }, eigenLayerActor('avs/eigen-oracle'), 0, opA, 0.2)
    const held = await withdrawable(stakerA)
    const tick = await watchEvents(ctx, { confirmations: 0 })
    expect(tick.error).toBeUndefined()
    expect(tick.derisk).toMatchObject({ protocol: 'eigenlayer', status: 'succeeded' })
    const fromA = (await base.sagas.listByStatus<EigenLayerMoveState>(['running', 'waiting'])).filter((s) => s.state.from.staker === stakerA)
    expect(fromA).toHaveLength(1)
    expect(fromA[0]!.state).toMatchObject({ origin: 'exit', from: { operator: opA }, requestedShares: held / 2n })
    expect(fromA[0]!.state.reason).toMatch(/^slash response halve: OperatorSlashed of el-op-a .*: 50 % of the stake leaves el-op-a$/)
    expect(await withdrawable(stakerA)).toBe(held - held / 2n)
  })

  it('a slash of an operator none of our stakers delegates to is recorded, not acted on', async () => {
    const { ctx: base, notes } = await bothProtocols()
    const ctx = asWatchContext(base)
    await watchEvents(ctx, { confirmations: 0 })
    await slashEigenLayerOperator(c, { allocationManager: el.allocationManager, strategy }, eigenLayerActor('avs/eigen-da'), 0, byLabel('el-op-c'), 0.1)
    const tick = await watchEvents(ctx, { confirmations: 0 })
    expect(tick.error).toBeUndefined()
    expect(tick.events.find((e) => e.kind === 'OperatorSlashed')).toMatchObject({ held: false, outcome: 'recorded' })
    expect(tick.derisk).toBeUndefined()
    expect(await base.sagas.listByStatus(['running', 'waiting'])).toHaveLength(0)
    expect(notes.filter((n) => n.kind === 'slash')).toHaveLength(0)
  })
})

describe('webhook: derisk-operator on an EigenLayer operator', () => {
  it('takes our staker off the operator through the EigenLayer pipeline, once, with the audit trail and the slashable window', async () => {
    const { ctx: base } = await bothProtocols()
    const ctx = asWebhookContext(base)
    const stakerB = byLabel('staker-b')
    const opB = byLabel('el-op-b')
    expect(await withdrawable(stakerB)).toBeGreaterThan(0n)
    const order = { eventId: 'webhook:el-derisk-1', source: 'webhook' as const, action: 'derisk-operator' as const, operator: opB, reason: 'AVS incident' }
    const res = await applyControlAction({ ctx, dispatch: inlineDispatcher(ctx) }, order)
    expect(res.statusCode).toBe(200)
    const outcome = JSON.parse(res.body) as { status: string; runId: string; txHashes: string[]; notes?: string[]; runs?: unknown }
    expect(outcome.status).toBe('succeeded')
    expect(outcome.runs).toBeUndefined() // only EigenLayer holds stake with el-op-b
    expect(outcome.txHashes).toHaveLength(1)
    expect(outcome.notes?.some((l) => l.startsWith('Withdrawn stake stays slashable for 50 blocks'))).toBe(true)
    const run = (await ctx.runs.get(outcome.runId))!
    expect(run).toMatchObject({ protocol: 'eigenlayer', triggerKind: 'webhook', trigger: `webhook:el-derisk-1:derisk:${opB}:eigenlayer`, status: 'succeeded' })
    const open = await base.sagas.listByStatus<EigenLayerMoveState>(['running', 'waiting'])
    expect(open.map((s) => s.state.from)).toEqual([{ staker: stakerB, operator: opB }])
    expect(open[0]!.state.reason).toBe(`webhook:el-derisk-1: de-risk operator (AVS incident): all stake leaves el-op-b`)
    expect(await withdrawable(stakerB)).toBe(0n)
    // The audit trail: the event is done with the outcome; a replay is refused and starts nothing.
    const ev = (await ctx.events.get('webhook:el-derisk-1'))!
    expect(ev.status).toBe('done')
    expect(JSON.parse(ev.result!)).toMatchObject({ runId: outcome.runId, status: 'succeeded' })
    const replay = await applyControlAction({ ctx, dispatch: inlineDispatcher(ctx) }, order)
    expect(replay.statusCode).toBe(409)
    expect(await base.sagas.listByStatus(['running', 'waiting', 'completed', 'failed'])).toHaveLength(1)
  })
})
