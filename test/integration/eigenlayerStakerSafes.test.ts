/**
 * EigenLayer stakers as Safes (1.4.1, real bytecode) with a Zodiac Roles v2 module each (real bytecode), on our own
 * Anvil with the v1.x harness: the bot's ONE key moves stake from staker-a's Safe to staker-c's Safe through the
 * Roles modifiers across the withdrawal delay; a crash at every point of every step resumes with one transaction per
 * step; calls outside the role (a token transfer to the bot, a deposit into another strategy, …) are refused on
 * chain by the Roles contract. Recorded in the shared DynamoDB Local; no mocks.
 */
import { type Address, type Hex, encodeFunctionData, erc20Abi, keccak256, stringToHex, zeroHash } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import { delegationManagerAbi as fullDelegationManagerAbi } from '../../local/world/abis/eigenlayer.js'
import { rolesModifierAbi as fullRolesModifierAbi, safeAbi } from '../../local/world/abis/safe.js'
import { write } from '../../local/world/chain.js'
import { lstTokenAbi } from '../../local/world/seed.js'
import { rolesModifierAbi } from '../../shared/chain/safe/abis.js'
import { decodeRolesRevert } from '../../shared/chain/safe/execWithRole.js'
import { delegationManagerAbi, strategyManagerAbi } from '../../shared/protocols/eigenlayer/abis.js'
import type { MoveStep } from '../../shared/protocols/eigenlayer/buildMoveCall.js'
import { type EigenLayerSagaHooks, advanceEigenLayerMove, runEigenLayerMove, startEigenLayerDeposit } from '../../shared/protocols/eigenlayer/saga.js'
import { readEigenLayerUniverse } from '../../shared/protocols/eigenlayer/reader.js'
import { idleWalletTokens, withHeldTokens } from '../../shared/protocols/eigenlayer/views.js'
import { createReader } from '../../shared/chain/client.js'
import { ANVIL_KEY_0, crashOnceAt, driveThroughCrashes, eigenLayerSagaContext, eigenLayerTestChain } from '../setup/eigenlayerSaga.js'
import { world } from '../setup/worldHandle.js'

const bot = privateKeyToAccount(keccak256(stringToHex('restake-autopilot/test/eigenlayer-staker-safes/bot')))
const w = world()
const t = eigenLayerTestChain({ seed: { stakerSafes: { botAddress: bot.address } } })
const { staker, operator } = t

const withdrawable = async (a: Address) => (await t.c.public.readContract({ address: t.d.delegationManager, abi: delegationManagerAbi, functionName: 'getWithdrawableShares', args: [a, [t.d.strategy]] }))[0][0]!
const tokenBalance = (a: Address) => t.c.public.readContract({ address: t.d.token, abi: erc20Abi, functionName: 'balanceOf', args: [a] })
const safeNonce = (a: Address) => t.c.public.readContract({ address: a, abi: safeAbi, functionName: 'nonce' })
const botNonce = () => t.c.public.getTransactionCount({ address: bot.address })
const context = (hooks?: EigenLayerSagaHooks) => eigenLayerSagaContext(w, t.anvil, t.seeded, hooks, bot)
const TX_STEPS: MoveStep[] = ['queue', 'complete', 'transfer', 'delegate', 'approve', 'deposit']

const moveAtoC = () => ({
  delegationManager: t.d.delegationManager,
  strategyManager: t.d.strategyManager,
  strategy: t.d.strategy,
  from: { staker: staker('staker-a').address },
  to: { staker: staker('staker-c').address, operator: operator('el-op-c').address },
  reason: 'test move through staker Safes',
})

/** Sends `execTransactionWithRole` on a staker's modifier as a raw transaction from `from` (fixed gas: a refusal is mined). */
async function sendWithRole(from: typeof bot, label: string, p: { to: Address; data: Hex }) {
  const s = staker(label).safe!
  const data = encodeFunctionData({ abi: rolesModifierAbi, functionName: 'execTransactionWithRole', args: [p.to, 0n, p.data, 0, s.roleKey, true] })
  const hash = await t.c.wallet.sendTransaction({ account: from, chain: t.c.wallet.chain, to: s.rolesModifier, data, gas: 1_000_000n })
  const receipt = await t.c.public.waitForTransactionReceipt({ hash })
  const trace = receipt.status === 'reverted' ? ((await t.c.public.request({ method: 'debug_traceTransaction' as never, params: [hash, { tracer: 'callTracer' }] as never })) as { output?: Hex }) : undefined
  return { receipt, revert: trace ? decodeRolesRevert(trace.output ?? '0x')?.summary : undefined }
}

describe('EigenLayer staker Safes (Safe 1.4.1 + Zodiac Roles v2)', () => {
  it('each staker is a Safe with its Roles module; the bot holds no tokens and no shares', async () => {
    for (const s of t.seeded.stakers) {
      expect(s.safe, s.label).toBeDefined()
      expect(await t.c.public.readContract({ address: s.address, abi: safeAbi, functionName: 'isModuleEnabled', args: [s.safe!.rolesModifier] })).toBe(true)
      expect(await t.c.public.readContract({ address: s.address, abi: safeAbi, functionName: 'getThreshold' })).toBe(2n)
      expect((await t.c.public.readContract({ address: s.safe!.rolesModifier, abi: fullRolesModifierAbi, functionName: 'avatar' })).toLowerCase()).toBe(s.address.toLowerCase())
    }
    expect(await withdrawable(staker('staker-a').address)).toBe(400n * 10n ** 18n)
    expect(await t.c.public.readContract({ address: t.d.delegationManager, abi: delegationManagerAbi, functionName: 'delegatedTo', args: [staker('staker-a').address] })).toBe(operator('el-op-a').address)
    expect(await tokenBalance(bot.address)).toBe(0n)
    expect(await withdrawable(bot.address)).toBe(0n)
  })

  it("moves staker-a's Safe to staker-c's Safe across the delay, every step signed by the bot's one key through Roles", async () => {
    const ctx = await context()
    const [a, cc] = [staker('staker-a'), staker('staker-c')]
    const [nonce0, safeNonceA, safeNonceC] = await Promise.all([botNonce(), safeNonce(a.address), safeNonce(cc.address)])

    const first = await runEigenLayerMove(ctx, moveAtoC())
    expect(first.status).toBe('waiting')
    expect(await botNonce()).toBe(nonce0 + 1) // queue
    await t.c.test.mine({ blocks: 51 })
    const done = await advanceEigenLayerMove(ctx, first.record.sagaId)
    expect(done.status).toBe('completed')
    const s = done.record.state

    // One key sent every step, each to the Roles modifier of the Safe that acts (A's for queue/complete/transfer).
    expect(await botNonce()).toBe(nonce0 + TX_STEPS.length)
    for (const step of TX_STEPS) {
      const rec = s.steps[step]!
      expect(rec.status, step).toBe('done')
      const tx = await t.c.public.getTransaction({ hash: rec.txHash! })
      const acting = ['queue', 'complete', 'transfer'].includes(step) ? a : cc
      expect(tx.from.toLowerCase(), step).toBe(bot.address.toLowerCase())
      expect(tx.to?.toLowerCase(), step).toBe(acting.safe!.rolesModifier.toLowerCase())
      expect(rec.via, step).toBe(acting.safe!.rolesModifier.toLowerCase())
      expect(rec.signer, step).toBe(bot.address.toLowerCase())
    }
    // The owners signed nothing: the Safes' own nonces did not move.
    expect(await safeNonce(a.address)).toBe(safeNonceA)
    expect(await safeNonce(cc.address)).toBe(safeNonceC)

    // Token flow: withdrawn as tokens on A's Safe, handed to C's Safe, deposited from C's Safe; recorded and on chain.
    expect(s.received!.tokens).toBe(400n * 10n ** 18n)
    expect(s.steps.transfer!.call!.args).toEqual([cc.address.toLowerCase(), s.received!.tokens])
    expect(await tokenBalance(a.address)).toBe(0n)
    expect(await tokenBalance(cc.address)).toBe(0n)
    expect(await withdrawable(a.address)).toBe(0n)
    expect(await withdrawable(cc.address)).toBe(s.received!.tokens)
    expect(s.deposited!.withdrawableSharesAfter).toBe(s.received!.tokens)
    expect(await t.c.public.readContract({ address: t.d.delegationManager, abi: delegationManagerAbi, functionName: 'delegatedTo', args: [cc.address] })).toBe(operator('el-op-c').address)
  })

  it.each(['afterRecord', 'afterSend', 'afterStep'] as const)('resumes after a crash at %s of every step: one transaction per step', async (point) => {
    const ctx = await context(crashOnceAt(point))
    const nonce0 = await botNonce()
    const { sagaId, crashes } = await driveThroughCrashes(ctx, moveAtoC(), () => t.c.test.mine({ blocks: 51 }))
    const rec = (await ctx.sagas.get(sagaId!))!
    expect(rec.status).toBe('completed')
    expect(crashes).toBe(point === 'afterStep' ? TX_STEPS.length + 1 : TX_STEPS.length)
    expect(await botNonce()).toBe(nonce0 + TX_STEPS.length)
    for (const step of TX_STEPS) {
      const intent = await ctx.intents.get(`${rec.sagaId}:${step}#0`)
      expect(intent?.txHashes, step).toHaveLength(1)
      expect(await ctx.intents.get(`${rec.sagaId}:${step}#1`), step).toBeUndefined()
    }
    expect(await withdrawable(staker('staker-c').address)).toBe(400n * 10n ** 18n)
  })
})

describe('idle tokens in a staker Safe: counted and deposited back', () => {
  it('the reader counts tokens sent to staker-b’s Safe; a deposit saga puts them to work through Roles', async () => {
    const b = staker('staker-b')
    const five = 5n * 10n ** 18n
    const before = await withdrawable(b.address)
    await write(t.c, privateKeyToAccount(ANVIL_KEY_0), { address: t.d.token, abi: lstTokenAbi, functionName: 'mint', args: [b.address, five] })
    const reader = createReader({ rpcUrl: t.anvil.rpcUrl, chainId: t.anvil.chainId })
    const read = await readEigenLayerUniverse(reader, { ...t.d, stakers: t.seeded.stakers.map((s) => s.address), fromBlock: t.d.deployBlock })
    expect(read.eigenlayer.stakers.find((s) => s.address === b.address.toLowerCase())!.tokenBalance).toBe(five)
    expect(idleWalletTokens(read.eigenlayer, []).get(b.address.toLowerCase() as Address)).toBe(five)
    // Counted in the position (in flight: earning nothing until deposited), not lost.
    const counted = withHeldTokens(read, [])
    expect(counted.universe.positions[0]!.activeStake - read.universe.positions[0]!.activeStake).toBe(five)

    const ctx = await context()
    const nonce0 = await botNonce()
    const rec = await startEigenLayerDeposit(ctx, { ...t.d, staker: b.address, operator: operator('el-op-b').address, tokens: five, reason: 'idle tokens' })
    const out = await advanceEigenLayerMove(ctx, rec.sagaId)
    expect(out.status).toBe('completed')
    expect(out.record.state.steps.delegate?.status).toBe('skipped') // already delegated to el-op-b
    expect(await botNonce()).toBe(nonce0 + 2) // approve, deposit: through b's Roles modifier
    expect(await tokenBalance(b.address)).toBe(0n)
    // el-op-b was slashed: the dsf math (two divWad + two mulWad, rounding down) loses a few hundred wei.
    const gained = (await withdrawable(b.address)) - before
    expect(gained).toBeLessThanOrEqual(five)
    expect(gained).toBeGreaterThanOrEqual(five - five / 10n ** 15n)
    const after = await readEigenLayerUniverse(reader, { ...t.d, stakers: t.seeded.stakers.map((s) => s.address), fromBlock: t.d.deployBlock })
    expect(idleWalletTokens(after.eigenlayer, []).size).toBe(0)
  })
})

describe('what the role refuses on chain (raw transactions from the bot key, bypassing our code)', () => {
  const erc20 = (functionName: 'transfer' | 'approve', to: Address, amount: bigint) => encodeFunctionData({ abi: erc20Abi, functionName, args: [to, amount] })

  it('allows the scoped call (control): approve to the StrategyManager', async () => {
    const { receipt } = await sendWithRole(bot, 'staker-a', { to: t.d.token, data: erc20('approve', t.d.strategyManager, 1n) })
    expect(receipt.status).toBe('success')
  })

  it('refuses a transfer of the Safe’s tokens to the bot, and an approve to the bot', async () => {
    const a = staker('staker-a').address
    await write(t.c, privateKeyToAccount(ANVIL_KEY_0), { address: t.d.token, abi: lstTokenAbi, functionName: 'mint', args: [a, 10n ** 18n] })
    const tr = await sendWithRole(bot, 'staker-a', { to: t.d.token, data: erc20('transfer', bot.address, 10n ** 18n) })
    expect(tr.receipt.status).toBe('reverted')
    expect(tr.revert).toBe('ConditionViolation(OrViolation)') // `to` must be one of the other staker Safes
    const ap = await sendWithRole(bot, 'staker-a', { to: t.d.token, data: erc20('approve', bot.address, 10n ** 18n) })
    expect(ap.revert).toBe('ConditionViolation(ParameterNotAllowed)')
    expect(await tokenBalance(a)).toBe(10n ** 18n)
    expect(await tokenBalance(bot.address)).toBe(0n)
  })

  it('refuses a deposit into another strategy, a withdrawal queued for another strategy, tokens not received as tokens', async () => {
    const other = '0x000000000000000000000000000000000000dEaD' as const
    const dep = await sendWithRole(bot, 'staker-a', { to: t.d.strategyManager, data: encodeFunctionData({ abi: strategyManagerAbi, functionName: 'depositIntoStrategy', args: [other, t.d.token, 1n] }) })
    expect(dep.revert).toBe('ConditionViolation(ParameterNotAllowed)')
    const queue = await sendWithRole(bot, 'staker-a', {
      to: t.d.delegationManager,
      data: encodeFunctionData({ abi: delegationManagerAbi, functionName: 'queueWithdrawals', args: [[{ strategies: [other], depositShares: [1n], __deprecated_withdrawer: staker('staker-a').address }]] }),
    })
    expect(queue.revert).toBe('ConditionViolation(NotEveryArrayElementPasses)')
    const w0 = { staker: staker('staker-a').address, delegatedTo: operator('el-op-a').address, withdrawer: staker('staker-a').address, nonce: 0n, startBlock: 0, strategies: [t.d.strategy], scaledShares: [1n] }
    const asShares = await sendWithRole(bot, 'staker-a', { to: t.d.delegationManager, data: encodeFunctionData({ abi: delegationManagerAbi, functionName: 'completeQueuedWithdrawal', args: [w0, [t.d.token], false] }) })
    expect(asShares.revert).toBe('ConditionViolation(ParameterNotAllowed)')
  })

  it('refuses delegating to an operator outside the list, undelegating another staker, another contract, and a non-member key', async () => {
    const stranger = privateKeyToAccount(keccak256(stringToHex('restake-autopilot/test/stranger')))
    await t.c.test.setBalance({ address: stranger.address, value: 10n ** 18n })
    const del = await sendWithRole(bot, 'staker-c', { to: t.d.delegationManager, data: encodeFunctionData({ abi: delegationManagerAbi, functionName: 'delegateTo', args: [bot.address, { signature: '0x', expiry: 0n }, zeroHash] }) })
    expect(del.revert).toBe('ConditionViolation(OrViolation)')
    const undel = await sendWithRole(bot, 'staker-a', { to: t.d.delegationManager, data: encodeFunctionData({ abi: fullDelegationManagerAbi, functionName: 'undelegate', args: [staker('staker-b').address] }) })
    expect(undel.revert).toBe('ConditionViolation(ParameterNotAllowed)')
    const target = await sendWithRole(bot, 'staker-a', { to: t.d.allocationManager, data: '0x12345678' })
    expect(target.revert).toBe('ConditionViolation(TargetAddressNotAllowed)')
    const outsider = await sendWithRole(stranger, 'staker-a', { to: t.d.token, data: erc20('approve', t.d.strategyManager, 1n) })
    expect(outsider.revert).toBe(`NotAuthorized(${stranger.address})`)
  })
})
