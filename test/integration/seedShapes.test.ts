/**
 * The local world seeds what real chains have (local/scenarios/two-vaults.json, seeded under a snapshot on the shared
 * Anvil): a network that allows a vault nothing (maxNetworkLimit 0) is left at 0 instead of reverting `AlreadySet`; a
 * VetoSlasher vault's history goes requestSlash → veto window (a resolver is named) → executeSlash; and the bot reads
 * both vaults with their slashes. Then the backtest of that scenario steers both vaults against two static twins.
 */
import { getAbiItem } from 'viem'
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ANVIL_DEPLOYER_KEY } from '../../local/world/index.js'
import * as abis from '../../local/world/abis/symbiotic.js'
import { loadScenario, toWei } from '../../local/world/scenario.js'
import { type SeededWorld, seedScenario, subnetworkId } from '../../local/world/seed.js'
import { toAddr } from '../../shared/address.js'
import { readUniverse } from '../../shared/services/readUniverse.js'
import type { BacktestResult } from '../../local/backtest/engine.js'
import { chain, snapshot, withFreshTables, world } from '../setup/worldHandle.js'
import { backtestScenario, testContext } from './helpers.js'

const w = world()
const c = chain(w)
const scenario = loadScenario('local/scenarios/two-vaults.json')
let revert: () => Promise<void>
let seeded: SeededWorld
let startBlock: bigint

beforeAll(async () => {
  revert = await snapshot(c)
  startBlock = await c.public.getBlockNumber()
  seeded = await seedScenario(c, w.core, privateKeyToAccount(ANVIL_DEPLOYER_KEY), scenario, privateKeyToAccount(generatePrivateKey()))
})
afterAll(async () => {
  await revert?.()
})

describe('seeding shapes real chains have', () => {
  it('a subnetwork that allows nothing keeps maxNetworkLimit 0 and limit 0 in every vault; the others get theirs', async () => {
    for (const v of seeded.vaults) {
      for (const n of seeded.networks) {
        for (const s of n.subnetworks) {
          const [max, limit] = await Promise.all([
            c.public.readContract({ address: v.delegator, abi: abis.networkRestakeDelegatorAbi, functionName: 'maxNetworkLimit', args: [s.id] }),
            c.public.readContract({ address: v.delegator, abi: abis.networkRestakeDelegatorAbi, functionName: 'networkLimit', args: [s.id] }),
          ])
          const want = toWei(scenario.networks.find((x) => x.label === n.label)!.subnetworks.find((x) => x.identifier === s.identifier)!.maxNetworkLimit)
          expect({ vault: v.label, sn: `${n.label}/${s.identifier}`, max, limit }).toEqual({ vault: v.label, sn: `${n.label}/${s.identifier}`, max: want, limit: want })
        }
      }
    }
    const idle = seeded.networks.find((n) => n.label === 'idle-net')!.subnetworks[0]!
    expect(idle.maxNetworkLimit).toBe(0n)
  })

  it("the veto vault's history slashes go requestSlash → veto window → executeSlash; the instant vault's go slash()", async () => {
    const [steady, guarded] = seeded.vaults as [SeededWorld['vaults'][number], SeededWorld['vaults'][number]]
    expect([steady.slasherKind, guarded.slasherKind]).toEqual(['instant', 'veto'])
    expect(await c.public.readContract({ address: guarded.slasher, abi: abis.vetoSlasherAbi, functionName: 'TYPE' })).toBe(1n)
    const range = { fromBlock: startBlock + 1n, toBlock: 'latest' } as const
    const [requests, executions, instant] = await Promise.all([
      c.public.getLogs({ address: guarded.slasher, event: getAbiItem({ abi: abis.vetoSlasherAbi, name: 'RequestSlash' }), ...range }),
      c.public.getLogs({ address: guarded.slasher, event: getAbiItem({ abi: abis.vetoSlasherAbi, name: 'ExecuteSlash' }), ...range }),
      c.public.getLogs({ address: steady.slasher, event: getAbiItem({ abi: abis.slasherAbi, name: 'Slash' }), ...range }),
    ])
    expect(requests).toHaveLength(scenario.history.slashes.length)
    expect(executions).toHaveLength(scenario.history.slashes.length)
    expect(instant).toHaveLength(scenario.history.slashes.length)
    for (const [i, sl] of scenario.history.slashes.entries()) {
      const req = requests[i]!.args
      const net = seeded.networks.find((n) => n.label === sl.network)!
      const op = seeded.operators.find((o) => o.label === sl.operator)!
      expect([req.subnetwork, req.operator]).toEqual([subnetworkId(net.address, sl.identifier), op.address])
      // A resolver could veto, so the execution waited out the window; it slashed what was requested.
      const resolver = await c.public.readContract({ address: guarded.slasher, abi: abis.vetoSlasherAbi, functionName: 'resolverAt', args: [req.subnetwork!, Number(req.captureTimestamp), '0x'] })
      expect(resolver).not.toBe('0x0000000000000000000000000000000000000000')
      const executedAt = (await c.public.getBlock({ blockNumber: executions[i]!.blockNumber })).timestamp
      expect(executedAt).toBeGreaterThanOrEqual(BigInt(req.vetoDeadline!))
      expect(executions[i]!.args.slashIndex).toBe(req.slashIndex)
      expect(executions[i]!.args.slashedAmount).toBe(req.slashAmount)
      expect(req.slashAmount).toBeGreaterThan(0n)
    }
    // What was slashed left the vault: active stake = deposits − Σ executed slashes.
    const deposited = scenario.vaults[1]!.deposits.reduce((a, d) => a + toWei(d), 0n)
    const slashed = executions.reduce((a, l) => a + l.args.slashedAmount!, 0n)
    expect(await c.public.readContract({ address: guarded.address, abi: abis.vaultAbi, functionName: 'activeStake' })).toBe(deposited - slashed)
  })

  it('the bot reads both vaults, with the slashes of both slashers, and no service where the network allows nothing', async () => {
    const config = { ...(await withFreshTables(w)), vaults: seeded.vaults.map((v) => ({ address: toAddr(v.address), stakerRewards: [toAddr(v.stakerRewards)] })), labels: seeded.labels }
    const { universe } = await readUniverse(testContext(w, config))
    expect(universe.positions.map((p) => p.vault.toLowerCase())).toEqual(seeded.vaults.map((v) => v.address.toLowerCase()))
    const kite = seeded.operators.find((o) => o.label === 'op-kite')!.address.toLowerCase()
    const pay0 = universe.services.find((s) => s.label === 'pay-net/0')!
    expect(pay0.slashes.filter((s) => s.operator.toLowerCase() === kite)).toHaveLength(2) // once per vault
    // A network that never capped the vault (maxNetworkLimit 0: no SetMaxNetworkLimit) is no service it can secure.
    expect(universe.services.map((s) => s.label).sort()).toEqual(['lend-net/0', 'pay-net/0'])
  })
})

describe('backtest of a two-vault scenario', () => {
  let r: BacktestResult
  beforeAll(async () => {
    r = await backtestScenario(w, 'two-vaults')
  })
  afterAll(async () => {
    await r?.world?.stop()
  })

  it('steers every vault against its own static twin; every figure of both sides reconciles with the chain', () => {
    expect(r.autopilot.vaults).toHaveLength(2)
    expect(r.baselineSide.vaults).toHaveLength(2)
    expect(r.world!.config.vaults.map((v) => v.address)).toEqual(r.autopilot.vaults.map((a) => a.toLowerCase()))
    // The timeline's slash of op-nadir on pay-net lands on both baseline twins (the instant and the veto one).
    expect(r.baselineSide.slashes).toHaveLength(2)
    expect(new Set(r.baselineSide.slashes.map((s) => s.txHash)).size).toBe(2)
    for (const side of [r.autopilot, r.baselineSide]) expect(side.reconciled).toBe(true)
    // Twins start equal: the same deposits and the same history slashes on the same allocation.
    expect(r.autopilot.initialStake).toBe(r.baselineSide.initialStake)
    expect(r.autopilot.initialStake).toBeGreaterThan(0n)
    expect(r.runs.every((run) => run.status !== 'failed')).toBe(true)
  })
})
