/**
 * What the real EigenLayer core has beyond stake and withdrawals, on our own Anvil (v1.x harness): operator-directed
 * rewards (per AVS and per operator set) reflected in the services' rates, redistributing operator sets read,
 * scored and denied, deposit caps (StrategyBaseTVLLimits) respected by the planner and the saga, and paused entry
 * points holding a move until they are unpaused.
 */
import type { Address } from 'viem'
import { erc20Abi } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import { allocationManagerAbi, delegationManagerAbi, rewardsCoordinatorAbi, strategyAbi, strategyManagerAbi } from '../../local/world/abis/eigenlayer.js'
import { chainNow, write } from '../../local/world/chain.js'
import { DEFAULT_EIGENLAYER_SCENARIO, type EigenLayerScenario, eigenLayerActor, setEigenLayerTvlLimits, slashEigenLayerOperator, submitOperatorDirectedRewards } from '../../local/world/eigenlayer.js'
import { lstTokenAbi } from '../../local/world/seed.js'
import { createReader } from '../../shared/chain/client.js'
import { planEigenLayerMoves } from '../../shared/protocols/eigenlayer/planMoves.js'
import { readEigenLayerUniverse } from '../../shared/protocols/eigenlayer/reader.js'
import { planAllocation } from '../../shared/domain/plan.js'
import { loadPolicyOrThrow } from '../../shared/domain/policy.js'
import { scoreUniverse } from '../../shared/domain/score.js'
import { advanceEigenLayerMove, resumeEigenLayerMoves, runEigenLayerMove } from '../../shared/protocols/eigenlayer/saga.js'
import { eigenLayerSagaContext, eigenLayerTestChain, ANVIL_KEY_0 } from '../setup/eigenlayerSaga.js'
import { world } from '../setup/worldHandle.js'

const WEI = 10n ** 18n
const DAY = 86_400
const YEAR = 365 * DAY
const deployer = privateKeyToAccount(ANVIL_KEY_0)

// The default scenario plus an AVS paying only through operator-directed submissions (rate 0: no AVS submission)
// and an AVS with a redistributing operator set.
const SCENARIO: EigenLayerScenario = {
  ...DEFAULT_EIGENLAYER_SCENARIO,
  avss: [
    ...DEFAULT_EIGENLAYER_SCENARIO.avss,
    {
      label: 'eigen-directed',
      operatorSets: [
        { id: 0, rewardRatePerYear: 0 },
        { id: 1, rewardRatePerYear: 0 },
      ],
    },
    { label: 'eigen-redistrib', operatorSets: [{ id: 0, rewardRatePerYear: 0, redistributeTo: 'treasury' }] },
  ],
  operators: [
    { ...DEFAULT_EIGENLAYER_SCENARIO.operators[0]!, allocations: [...DEFAULT_EIGENLAYER_SCENARIO.operators[0]!.allocations, { avs: 'eigen-directed', setId: 0, magnitude: 0.1 }] },
    { ...DEFAULT_EIGENLAYER_SCENARIO.operators[1]!, allocations: [...DEFAULT_EIGENLAYER_SCENARIO.operators[1]!.allocations, { avs: 'eigen-redistrib', setId: 0, magnitude: 0.1 }] },
    { ...DEFAULT_EIGENLAYER_SCENARIO.operators[2]!, allocations: [...DEFAULT_EIGENLAYER_SCENARIO.operators[2]!.allocations, { avs: 'eigen-directed', setId: 1, magnitude: 0.1 }] },
  ],
}

const w = world()

const staker = (label: string) => el.seeded.stakers.find((s) => s.label === label)!
const operator = (label: string) => el.seeded.operators.find((o) => o.label === label)!
const avs = (label: string) => el.seeded.avss.find((a) => a.label === label)!
const read = () => readEigenLayerUniverse(createReader({ rpcUrl: el.anvil.rpcUrl, chainId: el.anvil.chainId }), { ...el.d, stakers: el.seeded.stakers.map((s) => s.address), labels: el.seeded.labels, fromBlock: el.d.deployBlock })
const serviceOf = (u: Awaited<ReturnType<typeof read>>['universe'], label: string) => u.services.find((s) => s.label === label)!
const nonceOf = (a: Address) => el.c.public.getTransactionCount({ address: a })

const context = () => eigenLayerSagaContext(w, el.anvil, el.seeded)
const moveParams = (from: string, to: string, toOperator: string, shares?: bigint) => ({
  delegationManager: el.d.delegationManager,
  strategyManager: el.d.strategyManager,
  strategy: el.d.strategy,
  from: { staker: staker(from).address },
  to: { staker: staker(to).address, operator: operator(toOperator).address },
  ...(shares !== undefined ? { shares } : {}),
  reason: 'test move',
})

const el = eigenLayerTestChain({ scenario: SCENARIO })

describe('operator-directed rewards', () => {
  it('give an AVS that pays only through them its real rate, per AVS and per operator set, with the set split', async () => {
    const before = await read()
    expect(serviceOf(before.universe, 'eigen-directed/0').rewardRatePerYear).toBe(0)
    expect(serviceOf(before.universe, 'eigen-directed/1').rewardRatePerYear).toBe(0)

    // A window of 7 days that ended before now (operator-directed submissions are strictly retroactive).
    const now = Number(await chainNow(el.c))
    const start = Math.floor((now - 14 * DAY) / DAY) * DAY
    const duration = 7 * DAY
    const [opA, opC] = [operator('el-op-a').address, operator('el-op-c').address]
    const stakeOf = async (op: Address) => el.c.public.readContract({ address: el.d.delegationManager, abi: delegationManagerAbi, functionName: 'operatorShares', args: [op, el.d.strategy] })
    const [sA, sC] = [await stakeOf(opA), await stakeOf(opC)]
    const pay = (stake: bigint, ratePerMille: bigint) => (stake * ratePerMille * BigInt(duration)) / (1000n * BigInt(YEAR))
    const directed = avs('eigen-directed')
    // AVS-wide: 4 % on both operators' stake; set 1 only: another 3 % on el-op-c's stake, el-op-c's set split 20 %.
    await submitOperatorDirectedRewards(el.c, el.d, deployer, {
      avs: directed,
      rewards: [
        { operator: opA, amount: pay(sA, 40n) },
        { operator: opC, amount: pay(sC, 40n) },
      ],
      startTimestamp: start,
      duration,
    })
    await write(el.c, operator('el-op-c').account, { address: el.d.rewardsCoordinator, abi: rewardsCoordinatorAbi, functionName: 'setOperatorSetSplit', args: [opC, { avs: directed.address, id: 1 }, 2000] })
    await submitOperatorDirectedRewards(el.c, el.d, deployer, { avs: directed, setId: 1, rewards: [{ operator: opC, amount: pay(sC, 30n) }], startTimestamp: start, duration })

    const { universe, eigenlayer } = await read()
    // The reader averages over [first start, now]: the 7-day window is diluted by the time since it ended.
    const dilution = duration / Number(universe.timestamp - BigInt(start))
    expect(serviceOf(universe, 'eigen-directed/0').rewardRatePerYear).toBeCloseTo(0.04 * dilution, 6)
    expect(serviceOf(universe, 'eigen-directed/1').rewardRatePerYear).toBeCloseTo(0.07 * dilution, 6)
    expect(eigenlayer.rewards.map((r) => r.kind).filter((k) => k !== 'avs')).toEqual(['operator-directed-avs', 'operator-directed-set'])
    expect(eigenlayer.rewards.find((r) => r.kind === 'operator-directed-set')!.operatorSet).toBe(directed.sets[1]!.key)
    // el-op-c's set split (20 %) on the set paid through set-directed rewards is its commission (its AVS splits are the 10 % default).
    const setState = eigenlayer.operators.find((o) => o.address === opC.toLowerCase())!.sets.find((s) => s.service === directed.sets[1]!.key)!
    expect(setState.setSplitBips).toBe(2000)
    expect(universe.operators.find((o) => o.address === opC.toLowerCase())!.commission).toBe(0.2)
  })
})

describe('operator-set rewards by stake (v1.12.0, the RewardsCoordinator mainnet runs)', () => {
  it('count for their set: total-stake per delegated token, unique-stake per allocated token', async () => {
    const directed = avs('eigen-directed')
    const now = Number(await chainNow(el.c))
    const start = Math.floor((now - 7 * DAY) / DAY) * DAY
    const duration = 28 * DAY
    const [opA, opC] = [operator('el-op-a').address, operator('el-op-c').address]
    const sharesOf = (op: Address) => el.c.public.readContract({ address: el.d.delegationManager, abi: delegationManagerAbi, functionName: 'operatorShares', args: [op, el.d.strategy] })
    // el-op-a allocates 0.1 of its (unslashed, max 1.0) magnitude to set 0: its unique stake there is a tenth of its shares.
    const uniqueA = (await sharesOf(opA)) / 10n
    const totalC = await sharesOf(opC)
    const submit = async (functionName: 'createUniqueStakeRewardsSubmission' | 'createTotalStakeRewardsSubmission', id: number, amount: bigint) => {
      await write(el.c, deployer, { address: el.d.token, abi: lstTokenAbi, functionName: 'mint', args: [directed.address, amount] })
      await write(el.c, directed.account, { address: el.d.token, abi: erc20Abi, functionName: 'approve', args: [el.d.rewardsCoordinator, amount] })
      const submission = { strategiesAndMultipliers: [{ strategy: el.d.strategy, multiplier: WEI }], token: el.d.token, amount, startTimestamp: start, duration }
      await write(el.c, directed.account, { address: el.d.rewardsCoordinator, abi: rewardsCoordinatorAbi, functionName, args: [{ avs: directed.address, id }, [submission]] })
    }
    await submit('createUniqueStakeRewardsSubmission', 0, (uniqueA * 5n * BigInt(duration)) / (100n * BigInt(YEAR))) // 5 %/yr of allocated
    await submit('createTotalStakeRewardsSubmission', 1, (totalC * 3n * BigInt(duration)) / (100n * BigInt(YEAR))) // 3 %/yr of delegated

    const { universe, eigenlayer } = await read()
    expect(eigenlayer.rewards.filter((r) => r.kind === 'unique-stake' || r.kind === 'total-stake').map((r) => [r.kind, r.operatorSet])).toEqual([
      ['unique-stake', directed.sets[0]!.key],
      ['total-stake', directed.sets[1]!.key],
    ])
    expect(serviceOf(universe, 'eigen-directed/0').rewardRatePerYear).toBeCloseTo(0.05, 6)
    expect(serviceOf(universe, 'eigen-directed/1').rewardRatePerYear).toBeCloseTo(0.03, 6)
  })
})

describe('rewards for all earners', () => {
  it("are allowlisted, read as a rate on every earning operator's stake, and added to no service", async () => {
    const before = await read()
    const hopper = eigenLayerActor('rewards-for-all/hopper')
    await el.c.test.setBalance({ address: hopper.address, value: 10n ** 21n })
    const now = Number(await chainNow(el.c))
    const interval = DAY
    const start = Math.floor((now - 7 * DAY) / interval) * interval
    const duration = 28 * DAY
    // Earners: every operator registered with an AVS (all three here), 685 + 1000 + 2000 delegated (slashes included).
    const shares = await el.c.public.readContract({
      address: el.d.delegationManager,
      abi: delegationManagerAbi,
      functionName: 'getOperatorsShares',
      args: [el.seeded.operators.map((o) => o.address), [el.d.strategy]],
    })
    const earning = shares.reduce((t, row) => t + row[0]!, 0n)
    const amount = (earning * 2n * BigInt(duration)) / (100n * BigInt(YEAR)) // 2 %/yr
    const submission = { strategiesAndMultipliers: [{ strategy: el.d.strategy, multiplier: WEI }], token: el.d.token, amount, startTimestamp: start, duration }
    await write(el.c, deployer, { address: el.d.token, abi: lstTokenAbi, functionName: 'mint', args: [hopper.address, amount] })
    await write(el.c, hopper.account, { address: el.d.token, abi: erc20Abi, functionName: 'approve', args: [el.d.rewardsCoordinator, amount] })
    await expect(write(el.c, hopper.account, { address: el.d.rewardsCoordinator, abi: rewardsCoordinatorAbi, functionName: 'createRewardsForAllEarners', args: [[submission]] })).rejects.toThrow(/UnauthorizedCaller/)
    await write(el.c, deployer, { address: el.d.rewardsCoordinator, abi: rewardsCoordinatorAbi, functionName: 'setRewardsForAllSubmitter', args: [hopper.address, true] })
    await write(el.c, hopper.account, { address: el.d.rewardsCoordinator, abi: rewardsCoordinatorAbi, functionName: 'createRewardsForAllEarners', args: [[submission]] })

    const { universe, eigenlayer } = await read()
    expect(eigenlayer.rewards.filter((r) => r.kind === 'all-earners')).toHaveLength(1)
    expect(eigenlayer.rewardsForAllEarnersRatePerYear).toBeCloseTo(0.02, 6)
    expect(before.eigenlayer.rewardsForAllEarnersRatePerYear).toBe(0)
    for (const svc of universe.services) expect(svc.rewardRatePerYear).toBe(serviceOf(before.universe, svc.label).rewardRatePerYear)
    expect(eigenlayer.operators.every((o) => o.piSplitBips === 1000)).toBe(true) // the default split: none set
  })
})

describe('redistributing operator sets', () => {
  it('are read (recipient included), scored as a higher risk, denied by the default policy, and slashed funds reach the recipient', async () => {
    const { universe, eigenlayer } = await read()
    const red = serviceOf(universe, 'eigen-redistrib/0')
    const treasury = eigenLayerActor('recipient/treasury').address.toLowerCase()
    expect(red.redistributing).toBe(true)
    expect(serviceOf(universe, 'eigen-bridge/1').redistributing).toBeUndefined()
    expect(eigenlayer.redistributionRecipients).toEqual({ [red.id]: treasury })

    const policy = loadPolicyOrThrow({ version: 1 })
    const scores = scoreUniverse(universe, policy, { now: universe.timestamp })
    const opB = operator('el-op-b').address.toLowerCase()
    const pair = scores.pairs.find((p) => p.service === red.id && p.operator === opB)!
    expect(pair.terms.find((t) => t.name === 'redistribution factor')?.value).toBe(2)
    // staker-b on el-op-b is exposed to the set now; the default policy removes that exposure at once.
    const pp = planAllocation(universe, scores, policy, { now: universe.timestamp }).positions[0]!
    expect(pp.forced.find((f) => f.service === red.id)?.reason).toMatch(/redistributing operator set/)
    expect(pp.targets.filter((t) => t.service === red.id).every((t) => t.stake === 0n)).toBe(true)

    // Harness semantics: a slash in the set pays the recipient instead of the burn address.
    const slashTx = await slashEigenLayerOperator(el.c, el.d, avs('eigen-redistrib'), 0, operator('el-op-b').address, 1)
    const receipt = await el.c.public.getTransactionReceipt({ hash: slashTx })
    expect(receipt.status).toBe('success')
    const slashId = await el.c.public.readContract({ address: el.d.allocationManager, abi: allocationManagerAbi, functionName: 'getSlashCount', args: [{ avs: avs('eigen-redistrib').address, id: 0 }] })
    await write(el.c, deployer, { address: el.d.strategyManager, abi: strategyManagerAbi, functionName: 'clearBurnOrRedistributableSharesByStrategy', args: [{ avs: avs('eigen-redistrib').address, id: 0 }, slashId, el.d.strategy] })
    const paid = await el.c.public.readContract({ address: el.d.token, abi: erc20Abi, functionName: 'balanceOf', args: [treasury as Address] })
    // el-op-b: 285 shares at max magnitude 0.95; its whole 0.1 allocation slashed → 285 − 285 × 0.85 / 0.95 = 30.
    expect(paid).toBe(30n * WEI)
  })
})

describe('deposit caps (StrategyBaseTVLLimits)', () => {
  it('are read, the planner never plans a move over maxPerDeposit, and the saga deposits it', async () => {
    await setEigenLayerTvlLimits(el.c, el.d, deployer, 50n * WEI, 10_000n * WEI)
    const { eigenlayer } = await read()
    const balance = await el.c.public.readContract({ address: el.d.token, abi: erc20Abi, functionName: 'balanceOf', args: [el.d.strategy] })
    expect(eigenlayer.depositCaps).toEqual({ maxPerDeposit: 50n * WEI, maxTotalDeposits: 10_000n * WEI, strategyBalance: balance })

    // A plan asking to move all of staker-a (400 on el-op-a) to el-op-c: one move of 50 less 1 % headroom.
    const opA = operator('el-op-a').address.toLowerCase() as Address
    const opC = operator('el-op-c').address.toLowerCase() as Address
    const oracle = avs('eigen-oracle').sets[0]!.key
    const da = avs('eigen-da').sets[0]!.key
    const planned = planEigenLayerMoves({
      details: eigenlayer,
      targets: [
        { service: oracle, operator: opA, stake: 0n, current: 200n * WEI },
        { service: da, operator: opC, stake: 400n * WEI, current: 0n },
      ],
      pairValue: () => 0.05,
      availableStake: 685n * WEI,
      planGainPerYear: 1e18,
      delaySeconds: 600,
      minNetGainBpsPerYear: 0,
      estimatedGasPerCall: 80_000,
      gasPriceWei: 1n,
    })
    expect(planned.moves).toHaveLength(1)
    const m = planned.moves[0]!
    expect(m.tokens).toBe((495n * WEI) / 10n)
    expect(m.reasons.join('\n')).toMatch(/capped at 49\.5: the strategy's maxPerDeposit 50/)

    // The saga carries it out: the deposit fits the cap and nothing stays idle.
    const ctx = await context()
    const first = await runEigenLayerMove(ctx, { ...moveParams('staker-a', 'staker-c', 'el-op-c', m.shares), to: { staker: m.to.staker, operator: m.to.operator } })
    expect(first.status).toBe('waiting')
    await el.c.test.mine({ blocks: 51 })
    const done = await advanceEigenLayerMove(ctx, first.record.sagaId)
    expect(done.status).toBe('completed')
    expect(done.record.state.deposited!.tokens).toBe((495n * WEI) / 10n)
    expect(await el.c.public.readContract({ address: el.d.token, abi: erc20Abi, functionName: 'balanceOf', args: [m.to.staker] })).toBe(0n)

    // A direct deposit over the cap reverts with the real core's error.
    const s = staker('staker-c')
    await write(el.c, deployer, { address: el.d.token, abi: lstTokenAbi, functionName: 'mint', args: [s.address, 60n * WEI] })
    await write(el.c, s.account, { address: el.d.token, abi: erc20Abi, functionName: 'approve', args: [el.d.strategyManager, 60n * WEI] })
    await expect(write(el.c, s.account, { address: el.d.strategyManager, abi: strategyManagerAbi, functionName: 'depositIntoStrategy', args: [el.d.strategy, el.d.token, 60n * WEI] })).rejects.toThrow(/MaxPerDepositExceedsMax/)
  })
})

describe('pausing', () => {
  it('holds a step whose entry point is paused (clear reason, nothing sent) and resumes it once unpaused', async () => {
    const ctx = await context()
    const a = staker('staker-a').address
    const nonceA = await nonceOf(a)
    // Pause entering the withdrawal queue (DelegationManager flag 1).
    await write(el.c, deployer, { address: el.d.delegationManager, abi: delegationManagerAbi, functionName: 'pause', args: [1n << 1n] })
    const held = await runEigenLayerMove(ctx, moveParams('staker-a', 'staker-b', 'el-op-b'))
    expect(held.status).toBe('waiting')
    expect(held.step).toBe('queue')
    expect(held.held).toMatch(/DelegationManager: entering the withdrawal queue is paused \(CurrentlyPaused\(\)\)/)
    expect(held.record.log.at(-1)).toMatchObject({ step: 'queue', event: 'held' })
    expect(await nonceOf(a)).toBe(nonceA)
    expect(await ctx.intents.get(`${held.record.sagaId}:queue#0`)).toBeUndefined()
    // Resuming while still paused changes nothing (and logs the reason once).
    const again = await resumeEigenLayerMoves(ctx)
    expect(again[0]!.outcome?.held).toBe(held.held)
    expect((await ctx.sagas.get(held.record.sagaId))!.log.filter((l) => l.event === 'held')).toHaveLength(1)

    // Unpaused: the next resume queues the withdrawal; then deposits paused (strategy flag 0) hold the last step.
    await write(el.c, deployer, { address: el.d.delegationManager, abi: delegationManagerAbi, functionName: 'unpause', args: [0n] })
    const queued = (await resumeEigenLayerMoves(ctx))[0]!.outcome!
    expect(queued).toMatchObject({ status: 'waiting', step: 'wait' })
    expect(await nonceOf(a)).toBe(nonceA + 1)
    await write(el.c, deployer, { address: el.d.strategy, abi: strategyAbi, functionName: 'pause', args: [1n] })
    await el.c.test.mine({ blocks: 51 })
    const atDeposit = (await resumeEigenLayerMoves(ctx))[0]!.outcome!
    expect(atDeposit).toMatchObject({ status: 'waiting', step: 'deposit' })
    expect(atDeposit.held).toMatch(/strategy: deposits are paused \(CurrentlyPaused\(\)\)/)
    await write(el.c, deployer, { address: el.d.strategy, abi: strategyAbi, functionName: 'unpause', args: [0n] })
    const done = (await resumeEigenLayerMoves(ctx))[0]!.outcome!
    expect(done.status).toBe('completed')
    expect(done.record.state.deposited!.tokens).toBe(400n * WEI)
  })

  it('holds a step paused between the check and the send (CurrentlyPaused() decoded, not an unknown revert) and re-sends the recorded call', async () => {
    const a = staker('staker-a').address
    const nonceA = await nonceOf(a)
    let paused = false
    const ctx = await eigenLayerSagaContext(w, el.anvil, el.seeded, {
      afterRecord: async (step) => {
        if (step !== 'queue' || paused) return
        paused = true
        await write(el.c, deployer, { address: el.d.delegationManager, abi: delegationManagerAbi, functionName: 'pause', args: [1n << 1n] })
      },
    })
    const held = await runEigenLayerMove(ctx, moveParams('staker-a', 'staker-b', 'el-op-b'))
    expect(held).toMatchObject({ status: 'waiting', step: 'queue', held: 'queue: entry point paused (CurrentlyPaused())' })
    expect(held.record.state.steps.queue?.status).toBe('sending')
    expect(await nonceOf(a)).toBe(nonceA)
    await write(el.c, deployer, { address: el.d.delegationManager, abi: delegationManagerAbi, functionName: 'unpause', args: [0n] })
    const queued = (await resumeEigenLayerMoves(ctx))[0]!.outcome!
    expect(queued).toMatchObject({ status: 'waiting', step: 'wait' })
    expect(queued.record.state.steps.queue?.call).toEqual(held.record.state.steps.queue?.call)
    expect(await nonceOf(a)).toBe(nonceA + 1)
  })
})
