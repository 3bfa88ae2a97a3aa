/**
 * Fault: two runs advance EigenLayer move sagas signed by ONE staker key at the same time (two Lambda invocations
 * overlapping). Every saga step signs through the key's lease-fenced signer session, so only one run signs with the
 * key at a time: the other is refused with LockBusyError before it signs, and moves later. Without the fence both
 * would sign the same nonce and one transaction would be superseded. The same holds for staker Safes, which all sign
 * with the bot's one key through their Roles modifiers: two runs moving two different Safes share one nonce sequence.
 */
import { type Address, type Hex, type LocalAccount, keccak256, stringToHex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import { LOCAL_AWS } from '../../local/world/dynamo.js'
import { createReader } from '../../shared/chain/client.js'
import { createSessionPool } from '../../shared/execution/sessionPool.js'
import { type EigenLayerSagaContext, advanceEigenLayerMove, startEigenLayerMove } from '../../shared/protocols/eigenlayer/saga.js'
import { createDocumentClient } from '../../shared/store/client.js'
import { IntentStore } from '../../shared/store/intents.js'
import { LockBusyError, LockStore } from '../../shared/store/locks.js'
import { SagaStore } from '../../shared/store/sagas.js'
import { eigenLayerTestChain } from '../setup/eigenlayerSaga.js'
import { withFreshTables, world } from '../setup/worldHandle.js'

const w = world()

const el = eigenLayerTestChain({ snapshots: false })

describe('saga fencing: two runs on one staker key', () => {
  it('one run signs, the other is refused before signing and moves later; nonces are used once each, nothing superseded', async () => {
    const config = await withFreshTables(w)
    const doc = createDocumentClient({ ...LOCAL_AWS, endpoint: config.dynamoEndpoint })
    const client = createReader({ rpcUrl: el.anvil.rpcUrl, chainId: el.anvil.chainId })
    const intents = new IntentStore({ client: doc, tableName: config.tables.intents })
    const locks = new LockStore({ client: doc, tableName: config.tables.locks })
    const sagas = new SagaStore({ client: doc, tableName: config.tables.sagas })
    const signers = new Map(el.seeded.stakers.map((s) => [s.address.toLowerCase(), s.account as LocalAccount]))
    const run = (runId: string) => {
      const pool = createSessionPool({ client, intents, locks, runId })
      const ctx: EigenLayerSagaContext = { client, intents, sagas, signerFor: (a) => signers.get(a.toLowerCase()), sessionFor: pool.sessionFor }
      return { ctx, pool }
    }
    const from = el.seeded.stakers.find((s) => s.label === 'staker-a')!.address as Address
    const toB = { staker: el.seeded.stakers.find((s) => s.label === 'staker-b')!.address as Address, operator: el.seeded.operators.find((o) => o.label === 'el-op-b')!.address as Address }
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
    const config = await withFreshTables(w)
    const doc = createDocumentClient({ ...LOCAL_AWS, endpoint: config.dynamoEndpoint })
    const client = createReader({ rpcUrl: t.anvil.rpcUrl, chainId: t.anvil.chainId })
    const intents = new IntentStore({ client: doc, tableName: config.tables.intents })
    const locks = new LockStore({ client: doc, tableName: config.tables.locks })
    const sagas = new SagaStore({ client: doc, tableName: config.tables.sagas })
    const roles = new Map(t.seeded.stakers.map((s) => [s.address.toLowerCase(), { rolesModifier: s.safe!.rolesModifier, roleKey: s.safe!.roleKey }]))
    const run = (runId: string) => {
      const pool = createSessionPool({ client, intents, locks, runId })
      const ctx: EigenLayerSagaContext = { client, intents, sagas, signerFor: () => bot, rolesFor: (a) => roles.get(a.toLowerCase()), sessionFor: pool.sessionFor }
      return { ctx, pool }
    }
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
