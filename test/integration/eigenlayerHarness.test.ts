/**
 * The harness follows the v1.x share math exactly (PROTOCOLS 1.8): a TypeScript model of SlashingLib /
 * DelegationManager (mulWad/divWad rounding down, slashed = opShares − ceil(opShares·new/prev)) predicts every
 * number the contracts report through deposits, slashes, queueing, a slash during the delay and completion; plus
 * the guards of completion (delay, withdrawer, tokens length) and the stake-to-set exposure views.
 */
import type { Address, Hex } from 'viem'
import { erc20Abi, parseEventLogs, zeroHash } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import { write } from '../../local/world/chain.js'
import { lstTokenAbi } from '../../local/world/seed.js'
import { allocationManagerAbi, delegationManagerAbi, strategyManagerAbi } from '../../local/world/abis/eigenlayer.js'
import { ANVIL_KEY_0, eigenLayerTestChain } from '../setup/eigenlayerSaga.js'

const WAD = 10n ** 18n
const mulWad = (x: bigint, y: bigint) => (x * y) / WAD
const divWad = (x: bigint, y: bigint) => (x * WAD) / y
const ceilDiv = (x: bigint, y: bigint) => (x === 0n ? 0n : (x - 1n) / y + 1n)

const deployer = privateKeyToAccount(ANVIL_KEY_0)

const el = eigenLayerTestChain({
  deploy: { minWithdrawalDelayBlocks: 20 },
  scenario: {
    avss: [{ label: 'avs', operatorSets: [{ id: 3, rewardRatePerYear: 0 }] }],
    operators: [{ label: 'op', allocations: [{ avs: 'avs', setId: 3, magnitude: 0.6 }] }],
    stakers: [{ label: 's', operator: 'op', deposit: 100 }],
    outsideStakers: [{ label: 'o', operator: 'op', deposit: 33.333333 }],
    slashes: [],
  },
  snapshots: false,
})

describe('EigenLayer harness share math (v1.x SlashingLib)', () => {
  it('matches the reference model through deposits, slashes, queue, slash during the delay and completion', async () => {
    const s = el.seeded.stakers[0]!
    const opAddr = el.seeded.operators[0]!.address
    const avs = el.seeded.avss[0]!
    const dm = el.d.delegationManager
    const read = async () => {
      const [[[w], [dep]], dsf, opShares, maxMag] = await Promise.all([
        el.c.public.readContract({ address: dm, abi: delegationManagerAbi, functionName: 'getWithdrawableShares', args: [s.address, [el.d.strategy]] }),
        el.c.public.readContract({ address: dm, abi: delegationManagerAbi, functionName: 'depositScalingFactor', args: [s.address, el.d.strategy] }),
        el.c.public.readContract({ address: dm, abi: delegationManagerAbi, functionName: 'operatorShares', args: [opAddr, el.d.strategy] }),
        el.c.public.readContract({ address: el.d.allocationManager, abi: allocationManagerAbi, functionName: 'getMaxMagnitude', args: [opAddr, el.d.strategy] }),
      ])
      return { withdrawable: w!, deposit: dep!, dsf, opShares, maxMag }
    }
    // Model state (seeded: staker 100, outsider 33.333333, operator allocated 0.6 of magnitude 1).
    const m = { deposit: 100n * WAD, dsf: WAD, maxMag: WAD, alloc: 6n * 10n ** 17n, opShares: 100n * WAD + 33_333_333n * 10n ** 12n }
    const withdrawable = () => mulWad(mulWad(m.deposit, m.dsf), m.maxMag)
    const slash = async (wad: bigint) => {
      const slashedMag = ceilDiv(m.alloc * wad, WAD)
      const prev = m.maxMag
      m.alloc -= slashedMag
      m.maxMag -= slashedMag
      m.opShares = ceilDiv(m.opShares * m.maxMag, prev)
      await write(el.c, avs.account, {
        address: el.d.allocationManager,
        abi: allocationManagerAbi,
        functionName: 'slashOperator',
        args: [avs.address, { operator: opAddr, operatorSetId: 3, strategies: [el.d.strategy], wadsToSlash: [wad], description: 'model' }],
      })
    }
    const deposit = async (amount: bigint) => {
      const cur = withdrawable()
      m.dsf = m.deposit === 0n ? divWad(m.dsf, m.maxMag) : divWad(divWad(cur + amount, m.deposit + amount), m.maxMag)
      m.deposit += amount
      m.opShares += amount
      await write(el.c, deployer, { address: el.d.token, abi: lstTokenAbi, functionName: 'mint', args: [s.address, amount] })
      await write(el.c, s.account, { address: el.d.token, abi: erc20Abi, functionName: 'approve', args: [el.d.strategyManager, amount] })
      await write(el.c, s.account, { address: el.d.strategyManager, abi: strategyManagerAbi, functionName: 'depositIntoStrategy', args: [el.d.strategy, el.d.token, amount] })
    }
    const check = async () => {
      const r = await read()
      expect(r).toEqual({ withdrawable: withdrawable(), deposit: m.deposit, dsf: m.dsf, opShares: m.opShares, maxMag: m.maxMag })
    }

    await check()
    await slash(3n * 10n ** 17n + 7n) // odd wad: exercises round-up of slashed magnitude
    await check()
    await deposit(50n * WAD + 123n) // dsf general update with a non-trivial slashing factor
    await check()
    await slash(25n * 10n ** 16n)
    await check()

    // Queue a third of the deposit shares; scaledShares = mulWad(depositShares, dsf).
    const queued = m.deposit / 3n
    const expectedWithdrawable = mulWad(mulWad(queued, m.dsf), m.maxMag)
    const scaled = mulWad(queued, m.dsf)
    const hash = await write(el.c, s.account, { address: dm, abi: delegationManagerAbi, functionName: 'queueWithdrawals', args: [[{ strategies: [el.d.strategy], depositShares: [queued], __deprecated_withdrawer: s.address }]] })
    const receipt = await el.c.public.getTransactionReceipt({ hash })
    const [ev] = parseEventLogs({ abi: delegationManagerAbi, eventName: 'SlashingWithdrawalQueued', logs: receipt.logs })
    expect(ev!.args.withdrawal.scaledShares).toEqual([scaled])
    expect(ev!.args.sharesToWithdraw).toEqual([expectedWithdrawable])
    expect(ev!.args.withdrawal.withdrawer).toBe(s.address)
    expect(ev!.args.withdrawalRoot).toBe(await el.c.public.readContract({ address: dm, abi: delegationManagerAbi, functionName: 'calculateWithdrawalRoot', args: [ev!.args.withdrawal] }))
    m.opShares -= expectedWithdrawable
    m.deposit -= queued
    await check()

    // A slash while queued reduces what the withdrawal pays (queued shares stay slashable until completable).
    const slashTx = await write(el.c, avs.account, {
      address: el.d.allocationManager,
      abi: allocationManagerAbi,
      functionName: 'slashOperator',
      args: [avs.address, { operator: opAddr, operatorSetId: 3, strategies: [el.d.strategy], wadsToSlash: [5n * 10n ** 17n], description: 'during delay' }],
    })
    const prevMax = m.maxMag
    const slashedMag = ceilDiv(m.alloc * 5n * 10n ** 17n, WAD)
    m.alloc -= slashedMag
    m.maxMag -= slashedMag
    const opSlashed = m.opShares - ceilDiv(m.opShares * m.maxMag, prevMax)
    m.opShares -= opSlashed
    await check()
    const slashLogs = parseEventLogs({ abi: delegationManagerAbi, eventName: 'OperatorSharesSlashed', logs: (await el.c.public.getTransactionReceipt({ hash: slashTx })).logs })
    expect(slashLogs[0]!.args.totalSlashedShares).toBe(opSlashed + mulWad(scaled, prevMax - m.maxMag)) // operator part + queue part
    const [, expectedNow] = await el.c.public.readContract({ address: dm, abi: delegationManagerAbi, functionName: 'getQueuedWithdrawal', args: [ev!.args.withdrawalRoot] })
    expect(expectedNow).toEqual([mulWad(scaled, m.maxMag)])

    // Completion guards: too early, wrong caller, wrong tokens length.
    const complete = (account = s.account, tokens: Address[] = [el.d.token]) => write(el.c, account, { address: dm, abi: delegationManagerAbi, functionName: 'completeQueuedWithdrawal', args: [ev!.args.withdrawal, tokens, true] })
    await expect(complete()).rejects.toThrow(/WithdrawalDelayNotElapsed/)
    await el.c.test.mine({ blocks: 20 })
    await expect(complete(el.seeded.outsideStakers[0]!.account)).rejects.toThrow(/WithdrawerNotCaller/)
    await expect(complete(s.account, [])).rejects.toThrow(/InputArrayLengthMismatch/)

    // Completion pays mulWad(scaledShares, maxMagnitude at startBlock + delay) in tokens (strategy rate is 1:1 here).
    const before = await el.c.public.readContract({ address: el.d.token, abi: erc20Abi, functionName: 'balanceOf', args: [s.address] })
    await complete()
    const after = await el.c.public.readContract({ address: el.d.token, abi: erc20Abi, functionName: 'balanceOf', args: [s.address] })
    expect(after - before).toBe(mulWad(scaled, m.maxMag))
    expect(await el.c.public.readContract({ address: dm, abi: delegationManagerAbi, functionName: 'getQueuedWithdrawalRoots', args: [s.address] })).toEqual([])
    await expect(complete()).rejects.toThrow(/WithdrawalNotQueued/)
  })

  it('one operator per staker; only registered operators; magnitudes bounded', async () => {
    const s = el.seeded.stakers[0]!
    const opAddr = el.seeded.operators[0]!.address
    await expect(write(el.c, s.account, { address: el.d.delegationManager, abi: delegationManagerAbi, functionName: 'delegateTo', args: [opAddr, { signature: '0x' as Hex, expiry: 0n }, zeroHash] })).rejects.toThrow(/ActivelyDelegated/)
    const fresh = el.seeded.outsideStakers[0]!
    await expect(write(el.c, fresh.account, { address: el.d.delegationManager, abi: delegationManagerAbi, functionName: 'registerAsOperator', args: [fresh.address, 0, ''] })).rejects.toThrow(/ActivelyDelegated/)
    const op = el.seeded.operators[0]!
    await expect(
      write(el.c, op.account, {
        address: el.d.allocationManager,
        abi: allocationManagerAbi,
        functionName: 'modifyAllocations',
        args: [op.address, [{ operatorSet: { avs: el.seeded.avss[0]!.address, id: 3 }, strategies: [el.d.strategy], newMagnitudes: [2n * WAD] }]],
      }),
    ).rejects.toThrow(/InsufficientMagnitude/)
  })
})
