/**
 * EigenLayer move sagas on our own Anvil (v1.x harness) with time travel, recorded in the shared DynamoDB Local:
 * a full move across the withdrawal delay, a crash at every point of every step, a slash during the delay, and a
 * deny-listed operator's stake moved out. No mocks: real contracts, real executor, real conditional writes.
 */
import type { Address, Hex } from 'viem'
import { erc20Abi } from 'viem'
import { describe, expect, it } from 'vitest'
import { slashEigenLayerOperator } from '../../local/world/eigenlayer.js'
import { delegationManagerAbi } from '../../shared/protocols/eigenlayer/abis.js'
import { createReader } from '../../shared/chain/client.js'
import type { MoveStep } from '../../shared/protocols/eigenlayer/buildMoveCall.js'
import { readEigenLayerUniverse } from '../../shared/protocols/eigenlayer/reader.js'
import { type EigenLayerSagaHooks, advanceEigenLayerMove, moveOutOfDeniedOperators, resumeEigenLayerMoves, runEigenLayerMove } from '../../shared/protocols/eigenlayer/saga.js'
import { crashOnceAt, driveThroughCrashes, eigenLayerSagaContext, eigenLayerTestChain } from '../setup/eigenlayerSaga.js'
import { world } from '../setup/worldHandle.js'

const w = world()

const staker = (label: string) => el.seeded.stakers.find((s) => s.label === label)!
const operator = (label: string) => el.seeded.operators.find((o) => o.label === label)!
const nonceOf = (a: Address) => el.c.public.getTransactionCount({ address: a })
const withdrawable = async (a: Address) => (await el.c.public.readContract({ address: el.d.delegationManager, abi: delegationManagerAbi, functionName: 'getWithdrawableShares', args: [a, [el.d.strategy]] }))[0][0]!

const context = (hooks?: EigenLayerSagaHooks) => eigenLayerSagaContext(w, el.anvil, el.seeded, hooks)

const moveParams = (from: string, to: string, toOperator: string) => ({
  delegationManager: el.d.delegationManager,
  strategyManager: el.d.strategyManager,
  strategy: el.d.strategy,
  from: { staker: staker(from).address },
  to: { staker: staker(to).address, operator: operator(toOperator).address },
  reason: 'test move',
})

const el = eigenLayerTestChain()

describe('EigenLayer move saga (queue → wait → complete → deposit)', () => {
  it('moves staker-a (el-op-a) to staker-b (el-op-b) across the withdrawal delay; every step recorded with its tx', async () => {
    const ctx = await context()
    const [a, b] = [staker('staker-a').address, staker('staker-b').address]
    const [nonceA, nonceB, bBefore] = await Promise.all([nonceOf(a), nonceOf(b), withdrawable(b)])

    const first = await runEigenLayerMove(ctx, moveParams('staker-a', 'staker-b', 'el-op-b'))
    expect(first.status).toBe('waiting')
    expect(first.step).toBe('wait')
    expect(first.completableAtBlock).toBe(first.record.state.queue!.completableAtBlock)

    // While in flight: the reader shows the stake as in flight (earning nothing), not active.
    const reader = createReader({ rpcUrl: el.anvil.rpcUrl, chainId: el.anvil.chainId })
    const during = await readEigenLayerUniverse(reader, { ...el.d, stakers: el.seeded.stakers.map((s) => s.address), fromBlock: el.d.deployBlock })
    expect(during.eigenlayer.inFlightTokens).toBe(400n * 10n ** 18n)
    expect(during.eigenlayer.stakers[0]!.queued).toHaveLength(1)
    expect(during.eigenlayer.stakers[0]!.queued[0]!.completable).toBe(false)
    expect(during.universe.positions[0]!.allocations.some((x) => x.operator === operator('el-op-a').address.toLowerCase())).toBe(false)

    // Advancing before the delay sends nothing.
    const early = await advanceEigenLayerMove(ctx, first.record.sagaId)
    expect(early.status).toBe('waiting')
    expect(await nonceOf(a)).toBe(nonceA + 1)

    await el.c.test.mine({ blocks: 51 }) // completable when block.number > startBlock + 50
    const done = await advanceEigenLayerMove(ctx, first.record.sagaId)
    expect(done.status).toBe('completed')
    const s = done.record.state
    const steps = s.steps
    for (const step of ['queue', 'complete', 'transfer', 'approve', 'deposit'] as const) {
      expect(steps[step]?.status, step).toBe('done')
      expect(steps[step]?.txHash, step).toMatch(/^0x[0-9a-f]{64}$/)
      const receipt = await el.c.public.getTransactionReceipt({ hash: steps[step]!.txHash! })
      expect(receipt.status).toBe('success')
      const intent = await ctx.intents.get(`${done.record.sagaId}:${step}#0`)
      expect(intent?.status).toBe('mined')
      expect(intent?.txHash).toBe(steps[step]!.txHash)
    }
    expect(steps.delegate?.status).toBe('skipped') // staker-b is already delegated to el-op-b
    expect(s.expected!.tokens).toBe(400n * 10n ** 18n)
    expect(s.received!.tokens).toBe(400n * 10n ** 18n)
    expect(s.slashedDuringDelay).toBe(0n)

    // The chain agrees with the record.
    expect(await withdrawable(a)).toBe(0n)
    const bAfter = await withdrawable(b)
    expect(s.deposited!.withdrawableSharesAfter).toBe(bAfter)
    // dsf math (two divWad + two mulWad, rounding down) loses at most a few hundred wei on a staker with history.
    expect(bAfter - bBefore).toBeGreaterThanOrEqual(s.received!.tokens - s.received!.tokens / 10n ** 15n)
    expect(bAfter - bBefore).toBeLessThanOrEqual(s.received!.tokens)
    expect(await nonceOf(a)).toBe(nonceA + 3) // queue, complete, transfer
    expect(await nonceOf(b)).toBe(nonceB + 2) // approve, deposit
    expect(await el.c.public.readContract({ address: el.d.token, abi: erc20Abi, functionName: 'balanceOf', args: [a] })).toBe(0n)

    // Every step was logged once as recorded-before-send and once as sent.
    const log = done.record.log
    for (const step of ['queue', 'complete', 'transfer', 'approve', 'deposit']) {
      expect(log.filter((l) => l.step === step && l.event === 'sending')).toHaveLength(1)
      expect(log.filter((l) => l.step === step && l.event === 'sent')).toHaveLength(1)
      expect(log.findIndex((l) => l.step === step && l.event === 'sending')).toBeLessThan(log.findIndex((l) => l.step === step && l.event === 'sent'))
    }

    // A further advance is a no-op.
    const again = await advanceEigenLayerMove(ctx, first.record.sagaId)
    expect(again.status).toBe('completed')
    expect(await nonceOf(a)).toBe(nonceA + 3)
  })

  it.each(['afterRecord', 'afterSend', 'afterStep'] as const)('resumes after a crash at %s of every step without a double action', async (point) => {
    const ctx = await context(crashOnceAt(point))
    const [a, fresh] = [staker('staker-a').address, staker('staker-c').address]
    const [nonceA, nonceC] = await Promise.all([nonceOf(a), nonceOf(fresh)])
    // staker-c is new: delegateTo is a step too; completable when block.number > startBlock + 50
    const { sagaId, crashes } = await driveThroughCrashes(ctx, moveParams('staker-a', 'staker-c', 'el-op-c'), () => el.c.test.mine({ blocks: 51 }))
    const rec = (await ctx.sagas.get(sagaId!))!
    expect(rec.status).toBe('completed')
    const txSteps: MoveStep[] = ['queue', 'complete', 'transfer', 'delegate', 'approve', 'deposit']
    expect(crashes).toBe(point === 'afterStep' ? txSteps.length + 1 : txSteps.length) // afterStep also fires for `wait`
    // Exactly one transaction per step: nonces, intents and the record agree.
    expect(await nonceOf(a)).toBe(nonceA + 3)
    expect(await nonceOf(fresh)).toBe(nonceC + 3)
    const state = rec.state as { steps: Record<string, { status: string; txHash?: Hex }>; received: { tokens: bigint } }
    for (const step of txSteps) {
      expect(state.steps[step]!.status, step).toBe('done')
      const intent = await ctx.intents.get(`${rec.sagaId}:${step}#0`)
      expect(intent?.txHash, step).toBe(state.steps[step]!.txHash)
      expect(intent?.txHashes, step).toHaveLength(1)
      expect(await ctx.intents.get(`${rec.sagaId}:${step}#1`)).toBeUndefined()
      expect(
        rec.log.filter((l) => l.step === step && l.event === 'sending'),
        step,
      ).toHaveLength(1)
    }
    expect(await el.c.public.readContract({ address: el.d.delegationManager, abi: delegationManagerAbi, functionName: 'delegatedTo', args: [fresh] })).toBe(operator('el-op-c').address)
    expect(await withdrawable(fresh)).toBe(state.received.tokens)
    expect(await withdrawable(a)).toBe(0n)
  })

  it('accounts for a slash during the delay: the completed amount is re-read and the record matches the chain', async () => {
    const ctx = await context()
    const [a, b] = [staker('staker-a').address, staker('staker-b').address]
    const bBefore = await withdrawable(b)
    const first = await runEigenLayerMove(ctx, moveParams('staker-a', 'staker-b', 'el-op-b'))
    expect(first.status).toBe('waiting')

    // eigen-oracle slashes half of el-op-a's allocated magnitude (0.5 of 1.0): queued shares lose 25 %.
    const oracle = el.seeded.avss.find((x) => x.label === 'eigen-oracle')!
    await slashEigenLayerOperator(el.c, el.d, oracle, 0, operator('el-op-a').address, 0.5)
    await el.c.test.mine({ blocks: 51 }) // completable when block.number > startBlock + 50
    const done = await advanceEigenLayerMove(ctx, first.record.sagaId)
    expect(done.status).toBe('completed')
    const s = done.record.state
    const WEI = 10n ** 18n
    expect(s.expected!.tokens).toBe(400n * WEI)
    expect(s.expectedAtCompletion!.tokens).toBe(300n * WEI)
    expect(s.received!.tokens).toBe(300n * WEI)
    expect(s.slashedDuringDelay).toBe(100n * WEI)

    // The received amount is exactly the transfer in the completion receipt; what B deposited is that amount.
    const receipt = await el.c.public.getTransactionReceipt({ hash: s.received!.txHash })
    expect(receipt.transactionHash).toBe(s.steps.complete!.txHash)
    const transferReceipt = await el.c.public.getTransactionReceipt({ hash: s.steps.transfer!.txHash! })
    expect(transferReceipt.status).toBe('success')
    expect(s.deposited!.tokens).toBe(300n * WEI)
    const bAfter = await withdrawable(b)
    expect(bAfter - bBefore).toBeGreaterThanOrEqual(300n * WEI - (300n * WEI) / 10n ** 15n)
    expect(bAfter - bBefore).toBeLessThanOrEqual(300n * WEI)
    expect(await withdrawable(a)).toBe(0n)

    // The reader sees the slash on el-op-a in eigen-oracle.
    const reader = createReader({ rpcUrl: el.anvil.rpcUrl, chainId: el.anvil.chainId })
    const { universe } = await readEigenLayerUniverse(reader, { ...el.d, stakers: el.seeded.stakers.map((x) => x.address), fromBlock: el.d.deployBlock })
    const svc = universe.services.find((x) => x.id === oracle.sets[0]!.key)!
    const sl = svc.slashes.find((x) => x.operator === operator('el-op-a').address.toLowerCase())!
    // Operator shares were 1000 (1400 − the queued 400), and the queued 400 were still slashable: allocated 0.5 of
    // both → 700; slashed 0.25 of max magnitude → 250 of operator shares + 100 of queued shares. The amount is what
    // OperatorSharesSlashed reports (350), not the 250 the operator shares alone would say.
    const [slashedLog] = await el.c.public.getContractEvents({ address: el.d.delegationManager, abi: delegationManagerAbi, eventName: 'OperatorSharesSlashed', fromBlock: sl.blockNumber, toBlock: sl.blockNumber })
    expect(slashedLog!.args.totalSlashedShares).toBe(350n * WEI)
    expect(sl.amount).toBe(350n * WEI)
    expect(sl.stakeAtCapture).toBe(700n * WEI)
  })

  it("moves a deny-listed operator's stake out (to a fresh staker delegated to an allowed operator)", async () => {
    const ctx = await context()
    const reader = createReader({ rpcUrl: el.anvil.rpcUrl, chainId: el.anvil.chainId })
    const read = () => readEigenLayerUniverse(reader, { ...el.d, stakers: el.seeded.stakers.map((x) => x.address), fromBlock: el.d.deployBlock })
    const before = await read()
    const opA = operator('el-op-a').address.toLowerCase() as Address
    const opC = operator('el-op-c').address.toLowerCase() as Address
    expect(before.universe.positions[0]!.allocations.some((x) => x.operator === opA)).toBe(true)

    const out = await moveOutOfDeniedOperators(ctx, { details: before.eigenlayer, deny: [opA], allow: [opC], fallbackOperator: opC })
    expect(out.unplaced).toEqual([])
    expect(out.started).toHaveLength(1)
    expect(out.started[0]!.status).toBe('waiting')
    expect(out.started[0]!.record.state.reason).toMatch(/deny-listed/)

    // A second trigger while the move is in flight starts nothing new.
    const again = await moveOutOfDeniedOperators(ctx, { details: (await read()).eigenlayer, deny: [opA], allow: [opC], fallbackOperator: opC })
    expect(again.started).toHaveLength(0)

    await el.c.test.mine({ blocks: 51 }) // completable when block.number > startBlock + 50
    const resumed = await resumeEigenLayerMoves(ctx)
    expect(resumed).toHaveLength(1)
    expect(resumed[0]!.outcome?.status).toBe('completed')

    const after = await read()
    const pos = after.universe.positions[0]!
    expect(pos.allocations.some((x) => x.operator === opA)).toBe(false)
    expect(pos.allocations.some((x) => x.operator === opC)).toBe(true)
    const fresh = after.eigenlayer.stakers.find((x) => x.address === staker('staker-c').address.toLowerCase())!
    expect(fresh.operator).toBe(opC)
    expect(fresh.withdrawableTokens).toBe(400n * 10n ** 18n)
    expect(after.eigenlayer.inFlightTokens).toBe(0n)
    expect(pos.activeStake).toBe(before.universe.positions[0]!.activeStake)
  })
})
