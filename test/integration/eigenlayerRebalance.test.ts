/**
 * The EigenLayer rebalance use case on the shared local world (real Symbiotic + our EigenLayer v1.x harness, real
 * DynamoDB Local): the domain plan becomes a move saga that starts on one tick, waits out the withdrawal delay
 * (`anvil_mine`) while the plan shows its stake in flight earning nothing, and completes on a later tick; deny-listed
 * operators are left first; dry-run sends nothing. No mocks.
 */
import { type Address, erc20Abi } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { write } from '../../local/world/chain.js'
import { ANVIL_DEPLOYER_KEY } from '../../local/world/index.js'
import { lstTokenAbi } from '../../local/world/seed.js'
import { delegationManagerAbi, strategyAbi } from '../../shared/protocols/eigenlayer/abis.js'
import type { Config } from '../../shared/config/config.js'
import type { Plan, Policy, UniverseScores } from '../../shared/domain/index.js'
import { explainRun } from '../../shared/domain/explain.js'
import type { EigenLayerMoveState } from '../../shared/protocols/eigenlayer/saga.js'
import { runEigenLayerRebalance } from '../../shared/protocols/eigenlayer/rebalance.js'
import { chain, snapshot, withFreshTables, world } from '../setup/worldHandle.js'
import { defaultPolicy, eigenLayerTestContext } from './helpers.js'

const w = world()
const c = chain(w)
const el = w.config.eigenlayer!
const position = el.positions[0]!
const byLabel = (label: string) => Object.entries(w.config.labels).find(([, l]) => l === label)![0] as Address
const staker = (label: string) => byLabel(label)
const operator = (label: string) => byLabel(label)
const withdrawable = async (a: Address) => (await c.public.readContract({ address: el.delegationManager, abi: delegationManagerAbi, functionName: 'getWithdrawableShares', args: [a, [position.strategy]] }))[0][0]!
let revert: () => Promise<void>

const elContext = (config: Config, policy?: Policy) => eigenLayerTestContext(w, config, policy)

beforeEach(async () => {
  revert = await snapshot(c)
})
afterEach(async () => {
  await revert()
})

describe('runEigenLayerRebalance on the local world', () => {
  it('starts the planned move, waits across the delay with the stake in flight earning nothing, and completes it on a later tick', async () => {
    const ctx = elContext(await withFreshTables(w))

    // Tick 1: the plan moves stake off el-op-b (its bridge set has one operator: minOperatorsPerService 2 forbids it).
    const t1 = await runEigenLayerRebalance(ctx, { trigger: 'test' })
    expect(t1.error).toBeUndefined()
    expect(t1.status).toBe('succeeded')
    const started = t1.moves.filter((m) => m.status === 'started')
    expect(started).toHaveLength(1)
    const move = started[0]!
    expect(move).toMatchObject({ from: { staker: staker('staker-b'), operator: operator('el-op-b') }, to: { staker: staker('staker-c'), operator: operator('el-op-c'), fresh: true }, sagaStatus: 'waiting' })
    expect(move.tokens).toBeGreaterThan(0n)
    const saga = (await ctx.sagas.get<EigenLayerMoveState>(move.sagaId!))!
    expect(saga).toMatchObject({ status: 'waiting', step: 'wait' })
    expect(saga.state.reason).toMatch(/^rebalance: /)
    const run1 = (await ctx.runs.get(t1.runId))!
    expect(run1).toMatchObject({ kind: 'rebalance', protocol: 'eigenlayer', trigger: 'test', status: 'succeeded' })
    const decision1 = run1.decision as { kind: string; eigenlayer: { sagaIds: string[]; slashableWindow?: string } }
    // The run says how long the moved stake stays slashable (local delays: 50 blocks each).
    expect(decision1.eigenlayer.slashableWindow).toMatch(/^Withdrawn stake stays slashable for 50 blocks \(≈ 10 min at 12 s\/block\) after it is queued, and deallocated or deregistered stake for 50 blocks/)
    expect(decision1.kind).toBe('act')
    expect(decision1.eigenlayer.sagaIds).toContain(move.sagaId)
    expect(run1.actions).toEqual([expect.objectContaining({ kind: 'eigenlayer-move', status: 'sent', txHash: saga.state.steps.queue!.txHash })])
    const plan1 = run1.plan as Plan
    const pp1 = plan1.positions[0]!
    expect(pp1.inFlightStake).toBe(0n)
    expect(await withdrawable(staker('staker-c'))).toBe(0n) // nothing deposited yet

    // Tick 2, before the delay has passed: nothing completes, nothing new starts, and the plan shows the stake in flight.
    const t2 = await runEigenLayerRebalance(ctx, { trigger: 'test' })
    expect(t2.status).toBe('skipped')
    expect(t2.resumed).toEqual([expect.objectContaining({ sagaId: move.sagaId, status: 'waiting', completableAtBlock: saga.state.queue!.completableAtBlock })])
    expect(t2.decision).toMatchObject({ kind: 'skip', reason: 'cooldown' })
    expect(t2.moves.every((m) => m.status === 'held')).toBe(true)
    expect(await ctx.sagas.listByStatus(['running', 'waiting'])).toHaveLength(1)
    const run2 = (await ctx.runs.get(t2.runId))!
    const plan2 = run2.plan as Plan
    const pp2 = plan2.positions[0]!
    const queued = saga.state.expected!.tokens
    expect(pp2.inFlightStake).toBe(queued)
    expect(queued - move.tokens < 10n && move.tokens - queued < 10n).toBe(true) // shares ↔ tokens rounding only
    expect(pp2.activeStake).toBe(pp1.activeStake) // the stake did not disappear: it is in flight
    expect(pp2.availableStake).toBe(pp2.activeStake - pp2.inFlightStake)
    expect(plan2.riskFigures.totalInFlightStake).toBe(queued)
    // It earns nothing: el-op-b's current allocations shrank by exactly the share in flight, and so did the yield.
    const onOpB = (p: Plan) => p.positions[0]!.targets.filter((t) => t.operator === operator('el-op-b')).reduce((a, t) => a + t.current, 0n)
    const stayed = await withdrawable(staker('staker-b'))
    expect(Number(onOpB(plan2))).toBeCloseTo((Number(onOpB(plan1)) * Number(stayed)) / Number(stayed + queued), -6)
    expect(pp2.currentObjectivePerYear).toBeLessThan(pp1.currentObjectivePerYear)
    // The services' reward rates do not jump while stake is in flight: queued shares still count as delegated.
    const rates = (r: typeof run1) => Object.fromEntries((r.scores as UniverseScores).services.map((sv) => [sv.service, sv.rewardRatePerYear]))
    const [r1, r2] = [rates(run1), rates(run2)]
    expect(Object.keys(r2).length).toBeGreaterThan(0)
    for (const [service, rate] of Object.entries(r1)) expect(r2[service]).toBeCloseTo(rate, 6)
    const text = explainRun({ scores: run2.scores as UniverseScores, plan: plan2, decision: t2.decision! })
    expect(text).toMatch(/ {2}in flight 191\.39\d*: withdrawals waiting out the protocol delay earn 0\/yr and are not allocatable; planned on the available 493\.60\d*/)
    expect(t2.positions[0]!.sagas).toEqual([expect.objectContaining({ sagaId: move.sagaId, step: 'wait', status: 'waiting' })])
    expect(t2.positions[0]!.stakers.find((s) => s.staker === staker('staker-b'))!.inFlight).toBe(queued)

    // The delay passes (completable when block.number > startBlock + minWithdrawalDelayBlocks).
    const head = await c.public.getBlockNumber()
    await c.test.mine({ blocks: Number(saga.state.queue!.completableAtBlock! - head) })

    // Tick 3: the saga completes first (complete → transfer → delegate → approve → deposit), then the run plans again.
    const t3 = await runEigenLayerRebalance(ctx, { trigger: 'test' })
    expect(t3.error).toBeUndefined()
    expect(t3.resumed).toEqual([expect.objectContaining({ sagaId: move.sagaId, status: 'completed', step: 'done' })])
    const done = (await ctx.sagas.get<EigenLayerMoveState>(move.sagaId!))!
    expect(done.status).toBe('completed')
    for (const step of ['queue', 'complete', 'transfer', 'delegate', 'approve', 'deposit'] as const) expect(done.state.steps[step]?.status, step).toBe('done')
    expect(done.state.received!.tokens).toBe(queued)
    expect(await withdrawable(staker('staker-c'))).toBe(done.state.deposited!.withdrawableSharesAfter)
    const delegatedTo = await c.public.readContract({ address: el.delegationManager, abi: delegationManagerAbi, functionName: 'delegatedTo', args: [staker('staker-c')] })
    expect(delegatedTo.toLowerCase()).toBe(operator('el-op-c'))
    const run3 = (await ctx.runs.get(t3.runId))!
    expect(run3.actions).toContainEqual(expect.objectContaining({ kind: 'eigenlayer-saga', status: 'mined', txHash: done.state.steps.deposit!.txHash }))
    const pp3 = (run3.plan as Plan).positions[0]!
    expect(pp3.inFlightStake).toBe(0n) // the plan was made after the saga completed (a new wave may start after it)
    expect(t3.positions[0]!.stakers.find((s) => s.staker === staker('staker-c'))!.operator).toBe(operator('el-op-c'))
  })

  it("moves a deny-listed operator's stake out first (de-risk) and holds the plan's moves for the next run", async () => {
    const policy = defaultPolicy({ operators: { deny: [operator('el-op-a')] } })
    const ctx = elContext(await withFreshTables(w), policy)
    const r = await runEigenLayerRebalance(ctx, { trigger: 'test' })
    expect(r.error).toBeUndefined()
    expect(r.status).toBe('succeeded')
    expect(r.exits).toEqual([expect.objectContaining({ status: 'waiting', step: 'wait', reason: expect.stringMatching(/deny-listed/) })])
    const exit = (await ctx.sagas.get<EigenLayerMoveState>(r.exits[0]!.sagaId))!
    expect(exit.state.from).toEqual({ staker: staker('staker-a'), operator: operator('el-op-a') })
    expect(r.decision).toMatchObject({ kind: 'act', derisk: true })
    expect(r.moves.every((m) => m.status === 'held')).toBe(true)
    expect(await ctx.sagas.listByStatus(['running', 'waiting'])).toHaveLength(1)
  })

  it('deposits tokens found idle in a staker Safe back on its operator in the run itself (one deposit saga through Roles), and the next run finds none', async () => {
    const ctx = elContext(await withFreshTables(w))
    const a = staker('staker-a')
    const token = await c.public.readContract({ address: position.strategy, abi: strategyAbi, functionName: 'underlyingToken' })
    const idle = 7n * 10n ** 18n
    await write(c, privateKeyToAccount(ANVIL_DEPLOYER_KEY), { address: token, abi: lstTokenAbi, functionName: 'mint', args: [a, idle] })
    const before = await withdrawable(a)

    const r = await runEigenLayerRebalance(ctx, { trigger: 'test' })
    expect(r.error).toBeUndefined()
    expect(r.idle).toEqual([expect.objectContaining({ staker: a, tokens: idle, status: 'completed' })])
    const saga = (await ctx.sagas.get<EigenLayerMoveState>(r.idle[0]!.sagaId))!
    expect(saga.status).toBe('completed')
    expect(saga.state.steps.approve?.status).toBe('done')
    expect(saga.state.steps.deposit?.status).toBe('done')
    expect(await c.public.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [a] })).toBe(0n)
    // Deposited on staker-a's operator: its withdrawable shares grew by the tokens (the strategy's rate, rounding down).
    const gained = (await withdrawable(a)) - before
    expect(gained).toBeLessThanOrEqual(idle)
    expect(gained).toBeGreaterThanOrEqual(idle - idle / 10n ** 15n)
    const run = (await ctx.runs.get(r.runId))!
    expect(run.actions).toContainEqual(expect.objectContaining({ kind: 'eigenlayer-idle', status: 'mined', txHash: saga.state.steps.deposit!.txHash }))

    const next = await runEigenLayerRebalance(ctx, { trigger: 'test' })
    expect(next.idle).toEqual([])
  })

  it('dry-run records the planned move and sends nothing', async () => {
    const ctx = elContext(await withFreshTables(w), defaultPolicy({ mode: 'dry-run' }))
    const nonce = await c.public.getTransactionCount({ address: staker('staker-b') })
    const r = await runEigenLayerRebalance(ctx, { trigger: 'test' })
    expect(r.status).toBe('skipped')
    expect(r.decision?.kind).toBe('act')
    expect(r.moves).toEqual([expect.objectContaining({ status: 'planned', note: 'policy mode dry-run sends nothing' })])
    expect(await c.public.getTransactionCount({ address: staker('staker-b') })).toBe(nonce)
    expect(await ctx.sagas.listByStatus(['running', 'waiting', 'completed'])).toHaveLength(0)
  })
})
