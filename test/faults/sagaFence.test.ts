/**
 * Fault: two runs advance EigenLayer move sagas signed by ONE staker key at the same time (two Lambda invocations
 * overlapping). Every saga step signs through the key's lease-fenced signer session, so only one run signs with the
 * key at a time: the other is refused with LockBusyError before it signs, and moves later. Without the fence both
 * would sign the same nonce and one transaction would be superseded. The same holds for staker Safes, which all sign
 * with the bot's one key through their Roles modifiers: two runs moving two different Safes share one nonce sequence.
 */
import { type Hex, keccak256, stringToHex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import { advanceEigenLayerMove, startEigenLayerMove } from '../../shared/protocols/eigenlayer/saga.js'
import { LockBusyError } from '../../shared/store/locks.js'
import { eigenLayerSagaRuns, eigenLayerTestChain } from '../setup/eigenlayerSaga.js'
import { world } from '../setup/worldHandle.js'

const w = world()

const el = eigenLayerTestChain({ snapshots: false })

describe('saga fencing: two runs on one staker key', () => {
  it('one run signs, the other is refused before signing and moves later; nonces are used once each, nothing superseded', async () => {
    // Each run has its own session pool on the same tables (test/setup/eigenlayerSaga.ts).
    const { intents, sagas, run } = await eigenLayerSagaRuns(w, el.anvil, el.seeded)
    const from = el.staker('staker-a').address
    const toB = { staker: el.staker('staker-b').address, operator: el.operator('el-op-b').address }
    const base = { delegationManager: el.d.delegationManager, strategyManager: el.d.strategyManager, strategy: el.d.strategy, from: { staker: from }, to: toB, shares: 10n * 10n ** 18n, reason: 'fault: two runs' }
    const nonceBefore = await el.c.public.getTransactionCount({ address: from })

    // Two runs, each with its own session pool, start a move from the same staker and advance it at the same time.
    const [r1, r2] = [run('run-1'), run('run-2')]
    const [s1, s2] = [await startEigenLayerMove(r1.ctx, { ...base, sagaId: 'fence-1' }), await startEigenLayerMove(r2.ctx, { ...base, sagaId: 'fence-2' })]
    const outcomes = await Promise.allSettled([advanceEigenLayerMove(r1.ctx, s1.sagaId), advanceEigenLayerMove(r2.ctx, s2.sagaId)])
    const refused = outcomes.filter((o) => o.status === 'rejected')
    expect(refused).toHaveLength(1)
    expect((refused[0] as PromiseRejectedResult).reason).toBeInstanceOf(LockBusyError)
    expect(await el.c.public.getTransactionCount({ address: from })).toBe(nonceBefore + 1)

    // The winner's run ends (its sessions close); the refused saga moves on its next run.
    await r1.pool.close()
    await r2.pool.close()
    const loser = outcomes[0]!.status === 'rejected' ? s1 : s2
    const again = run('run-3')
    const moved = await advanceEigenLayerMove(again.ctx, loser.sagaId)
    await again.pool.close()
    expect(moved.status).toBe('waiting')
    expect(await el.c.public.getTransactionCount({ address: from })).toBe(nonceBefore + 2)

    // Every intent is mined: no transaction was signed twice for a nonce, none superseded.
    const all = [...(await intents.listByRun(`${s1.sagaId}:queue`)), ...(await intents.listByRun(`${s2.sagaId}:queue`))]
    expect(all.map((i) => i.status)).toEqual(['mined', 'mined'])
    expect(new Set(all.map((i) => i.nonce)).size).toBe(2)
    const hashes = await Promise.all([s1, s2].map(async (s) => (await sagas.get<{ steps: { queue?: { txHash?: Hex } } }>(s.sagaId))?.state.steps.queue?.txHash))
    expect(hashes.every((h) => typeof h === 'string')).toBe(true)
  })
})

describe('saga fencing: staker Safes share the bot key', () => {
  const bot = privateKeyToAccount(keccak256(stringToHex('restake-autopilot/test/saga-fence/bot')))
  const t = eigenLayerTestChain({ seed: { stakerSafes: { botAddress: bot.address } } })

  it('two runs moving two different staker Safes at once: one signs, the other is refused before signing (one key, one nonce sequence)', async () => {
    // Every staker is a Safe: each run signs for all of them with the bot's key through their Roles modifiers.
    const { intents, run } = await eigenLayerSagaRuns(w, t.anvil, t.seeded, bot)
    const core = { delegationManager: t.d.delegationManager, strategyManager: t.d.strategyManager, strategy: t.d.strategy, shares: 10n * 10n ** 18n, reason: 'fault: two runs, two Safes, one key' }
    const toC = { staker: t.staker('staker-c').address, operator: t.operator('el-op-c').address }
    const nonceBefore = await t.c.public.getTransactionCount({ address: bot.address })
    const [r1, r2] = [run('run-1'), run('run-2')]
    const s1 = await startEigenLayerMove(r1.ctx, { ...core, from: { staker: t.staker('staker-a').address }, to: toC, sagaId: 'fence-safe-a' })
    const s2 = await startEigenLayerMove(r2.ctx, { ...core, from: { staker: t.staker('staker-b').address }, to: toC, sagaId: 'fence-safe-b' })
    const outcomes = await Promise.allSettled([advanceEigenLayerMove(r1.ctx, s1.sagaId), advanceEigenLayerMove(r2.ctx, s2.sagaId)])
    const refused = outcomes.filter((o) => o.status === 'rejected')
    expect(refused).toHaveLength(1)
    expect((refused[0] as PromiseRejectedResult).reason).toBeInstanceOf(LockBusyError)
    expect(await t.c.public.getTransactionCount({ address: bot.address })).toBe(nonceBefore + 1)
    await r1.pool.close()
    await r2.pool.close()

    const loser = outcomes[0]!.status === 'rejected' ? s1 : s2
    const again = run('run-3')
    expect((await advanceEigenLayerMove(again.ctx, loser.sagaId)).status).toBe('waiting')
    await again.pool.close()
    expect(await t.c.public.getTransactionCount({ address: bot.address })).toBe(nonceBefore + 2)
    const all = [...(await intents.listByRun(`${s1.sagaId}:queue`)), ...(await intents.listByRun(`${s2.sagaId}:queue`))]
    expect(all.map((i) => i.status)).toEqual(['mined', 'mined'])
    expect(new Set(all.map((i) => i.nonce)).size).toBe(2)
  })
})
