/**
 * The EigenLayer reader on our own Anvil (v1.x harness, default local scenario): three HTTP round trips whatever
 * the number of operators, and a Universe whose numbers equal what the contracts say.
 */
import type { Address } from 'viem'
import { describe, expect, it } from 'vitest'
import { write } from '../../local/world/chain.js'
import { eigenLayerActor } from '../../local/world/eigenlayer.js'
import { allocationManagerAbi, delegationManagerAbi } from '../../local/world/abis/eigenlayer.js'
import { createReader } from '../../shared/chain/client.js'
import { memoryChainSync } from '../../shared/chain/sync/index.js'
import { eigenLayerEvents } from '../../shared/protocols/eigenlayer/source.js'
import { readEigenLayerUniverse } from '../../shared/protocols/eigenlayer/reader.js'
import { eigenLayerTestChain } from '../setup/eigenlayerSaga.js'

const WEI = 10n ** 18n

const el = eigenLayerTestChain({ snapshots: false })

/** Reads twice through one synced (in-memory) store; `onRequest` counts the second read's HTTP requests: a steady-state run. */
const read = async (onRequest?: () => void) => {
  let counting = false
  const client = createReader({ rpcUrl: el.anvil.rpcUrl, chainId: el.anvil.chainId, onRequest: () => counting && onRequest?.() })
  const params = {
    ...el.d,
    stakers: el.seeded.stakers.map((s) => s.address),
    labels: el.seeded.labels,
    fromBlock: el.d.deployBlock,
    events: eigenLayerEvents(client, memoryChainSync(), { chainId: el.anvil.chainId, fromBlock: el.d.deployBlock }),
  }
  const first = await readEigenLayerUniverse(client, params)
  counting = true
  const again = await readEigenLayerUniverse(client, params)
  expect(again).toEqual(first)
  return again
}
const op = (label: string) => el.seeded.operators.find((o) => o.label === label)!.address.toLowerCase() as Address

describe('readEigenLayerUniverse', () => {
  it('reads the position in three HTTP round trips plus the sync’s (≤ 5 once synced) and maps it into the shared Universe', async () => {
    let requests = 0
    const { universe, eigenlayer } = await read(() => requests++)
    expect(requests).toBeLessThanOrEqual(3 + 2) // + the sync's: a checkpoint check, or new logs and their check

    // Services: one per operator set over our strategy, keyed avs ++ uint96 id.
    expect(universe.services.map((s) => s.label).sort()).toEqual(['eigen-bridge/1', 'eigen-da/0', 'eigen-oracle/0'])
    for (const s of universe.services) {
      expect(s.protocol).toBe('eigenlayer')
      expect(s.id).toBe(`${s.network}${s.identifier.toString(16).padStart(24, '0')}`)
      expect(s.vetoWindowSeconds).toBe(0)
    }
    // Reward rates come back from the AVSRewardsSubmissionCreated events (seeded 4 % / 6 % / 9 %; the bridge
    // slash lowered el-op-b's stake by 15 after the submission, and the oracle's by the same 15 of 1700).
    const rate = (l: string) => universe.services.find((s) => s.label === l)!.rewardRatePerYear
    expect(rate('eigen-da/0')).toBeCloseTo(0.06, 6)
    expect(rate('eigen-oracle/0')).toBeCloseTo((0.04 * 1700) / 1685, 6)
    expect(rate('eigen-bridge/1')).toBeCloseTo((0.09 * 300) / 285, 6)

    // The slash in history: 10 % of el-op-b's 0.5 allocation → 15 of 150 allocated.
    const bridge = universe.services.find((s) => s.label === 'eigen-bridge/1')!
    expect(bridge.slashes).toHaveLength(1)
    expect(bridge.slashes[0]).toMatchObject({ operator: op('el-op-b'), amount: 15n * WEI, stakeAtCapture: 150n * WEI })

    // Operators: exposures, AVS split as commission, total delegated stake.
    const opA = universe.operators.find((o) => o.address === op('el-op-a'))!
    expect(opA.services.length).toBe(2)
    expect(opA.commission).toBe(0.1)
    expect(opA.totalRestakedStake).toBe(1400n * WEI)
    const opB = universe.operators.find((o) => o.address === op('el-op-b'))!
    expect(opB.commission).toBe(0.05)
    expect(opB.totalRestakedStake).toBe(285n * WEI)

    // Position: our stakers over the strategy; allocations = withdrawable × magnitude / maxMagnitude.
    const pos = universe.positions[0]!
    expect(pos).toMatchObject({ protocol: 'eigenlayer', kind: 'eigenlayer-staker', steerable: true, vault: el.d.strategy.toLowerCase(), collateral: el.d.token.toLowerCase(), activeStake: 685n * WEI, epochDurationSeconds: 50 * 12 })
    const alloc = (o: string, l: string) => pos.allocations.find((a) => a.operator === op(o) && a.service === universe.services.find((s) => s.label === l)!.id)?.stake
    expect(alloc('el-op-a', 'eigen-oracle/0')).toBe(200n * WEI) // 400 × 0.5
    expect(alloc('el-op-a', 'eigen-da/0')).toBe(120n * WEI) // 400 × 0.3
    expect(alloc('el-op-b', 'eigen-oracle/0')).toBe(120n * WEI) // 285 × 0.40/0.95
    expect(alloc('el-op-b', 'eigen-bridge/1')).toBe(135n * WEI) // 285 × 0.45/0.95
    expect(alloc('el-op-c', 'eigen-da/0')).toBeUndefined() // no staker of ours on el-op-c

    // Side structure: exact chain numbers.
    const b = eigenlayer.stakers.find((s) => s.operator === op('el-op-b'))!
    expect(b.depositShares).toBe(300n * WEI)
    expect(b.withdrawableShares).toBe(285n * WEI)
    const [[w]] = await el.c.public.readContract({ address: el.d.delegationManager, abi: delegationManagerAbi, functionName: 'getWithdrawableShares', args: [b.address, [el.d.strategy]] })
    expect(b.withdrawableShares).toBe(w)
    expect(eigenlayer.minWithdrawalDelayBlocks).toBe(50)
    expect(eigenlayer.inFlightTokens).toBe(0n)
    expect(eigenlayer.operators.find((o) => o.address === op('el-op-b'))!.maxMagnitude).toBe(95n * 10n ** 16n)
  })

  it('keeps the same round trips with many more operators', async () => {
    const snap = await el.c.test.snapshot()
    try {
      const oracle = el.seeded.avss.find((a) => a.label === 'eigen-oracle')!
      for (let i = 0; i < 12; i++) {
        const o = eigenLayerActor(`operator/extra-${i}`)
        await el.c.test.setBalance({ address: o.address, value: 10n ** 21n })
        await write(el.c, o.account, { address: el.d.delegationManager, abi: delegationManagerAbi, functionName: 'registerAsOperator', args: ['0x0000000000000000000000000000000000000000', 0, ''] })
        await write(el.c, o.account, { address: el.d.allocationManager, abi: allocationManagerAbi, functionName: 'registerForOperatorSets', args: [o.address, { avs: oracle.address, operatorSetIds: [0], data: '0x' }] })
      }
      let requests = 0
      const { universe } = await read(() => requests++)
      expect(requests).toBeLessThanOrEqual(3 + 2) // + the sync's
      expect(universe.operators.length).toBe(15)
    } finally {
      await el.c.test.revert({ id: snap })
    }
  })
})
