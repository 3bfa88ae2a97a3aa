/**
 * Backtest on its own Anvil (DynamoDB Local of the shared world, fresh tables): in the slashing cascade the
 * autopilot that de-risks on slash loses strictly less to slashing than the static baseline — every figure
 * re-read here from the chain, independently of the engine.
 */
import { getAbiItem } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as abis from '../../shared/protocols/symbiotic/abis.js'
import { type BacktestResult, drawdown } from '../../local/backtest/engine.js'
import { backtestJson, formatBacktestTable, renderBacktestHtml } from '../../local/backtest/report.js'
import { world } from '../setup/worldHandle.js'
import { backtestScenario } from './helpers.js'

const w = world()
let r: BacktestResult

beforeAll(async () => {
  r = await backtestScenario(w, 'slashing-cascade')
})
afterAll(async () => {
  await r?.world?.stop()
})

describe('backtest: slashing cascade, autopilot (zero-out on slash) vs the held starting allocation', () => {
  it('loses strictly less to slashing than the static baseline', () => {
    expect(r.baselineSide.slashed).toBeGreaterThan(0n)
    expect(r.autopilot.slashed).toBeGreaterThan(0n) // the first slash lands before anyone can react
    expect(r.autopilot.slashed).toBeLessThan(r.baselineSide.slashed)
    expect(r.autopilot.net).toBeGreaterThan(r.baselineSide.net)
    expect(r.autopilot.maxDrawdown).toBeLessThan(r.baselineSide.maxDrawdown)
    // Both sides start from the same allocation, so the first slash costs them the same.
    expect(r.autopilot.slashes[0]!.amount).toBe(r.baselineSide.slashes[0]!.amount)
    // The baseline takes every slash of the timeline; the autopilot fewer.
    const timelineSlashes = r.events.filter((e) => e.event.kind === 'slash').length
    expect(r.baselineSide.slashes).toHaveLength(timelineSlashes)
    expect(r.autopilot.slashes.length).toBeLessThan(timelineSlashes)
  })

  it('reports what the chain says: Slash and DistributeRewards events, activeStake, receipts and the curator nonce', async () => {
    const c = r.world!.chain
    for (const [side, vault] of [
      [r.autopilot, r.world!.autopilot],
      [r.baselineSide, r.world!.baseline],
    ] as const) {
      const slashes = await c.public.getLogs({ address: vault.slasher, event: getAbiItem({ abi: abis.slasherAbi, name: 'Slash' }), fromBlock: r.startBlock + 1n, toBlock: r.endBlock })
      expect(side.slashed).toBe(slashes.reduce((a, l) => a + l.args.slashedAmount!, 0n))
      expect(side.slashes.map((s) => s.txHash)).toEqual(slashes.map((l) => l.transactionHash))
      const rewards = await c.public.getLogs({ address: vault.stakerRewards, event: getAbiItem({ abi: abis.defaultStakerRewardsAbi, name: 'DistributeRewards' }), fromBlock: r.startBlock + 1n, toBlock: r.endBlock })
      expect(side.rewards).toBe(rewards.reduce((a, l) => a + l.args.distributeAmount!, 0n))
      expect(side.rewards).toBeGreaterThan(0n)
      const stakeNow = await c.public.readContract({ address: vault.address, abi: abis.vaultAbi, functionName: 'activeStake' })
      expect(side.finalStake).toBe(stakeNow)
      expect(side.reconciled).toBe(true)
      expect(side.net).toBe(side.rewards - side.slashed)
    }
    // Transactions: the baseline sent none; the autopilot's count and gas are its receipts'.
    expect(r.baselineSide.transactions).toBe(0)
    const hashes = r.runs.flatMap((x) => x.actions.map((a) => a.txHash).filter((h): h is string => typeof h === 'string'))
    expect(hashes).toHaveLength(r.autopilot.transactions)
    expect(r.autopilot.transactions).toBeGreaterThan(0)
    let gas = 0n
    for (const h of hashes) {
      const receipt = await c.public.getTransactionReceipt({ hash: h as `0x${string}` })
      expect(receipt.status).toBe('success')
      expect(receipt.to?.toLowerCase()).toBe(r.world!.autopilot.delegator.toLowerCase())
      gas += receipt.gasUsed
    }
    expect(r.autopilot.gasUsed).toBe(gas)
    const nonceAtStart = await c.public.getTransactionCount({ address: r.world!.seeded.curator.address, blockNumber: r.startBlock })
    const nonceAtEnd = await c.public.getTransactionCount({ address: r.world!.seeded.curator.address, blockNumber: r.endBlock })
    expect(nonceAtEnd - nonceAtStart).toBe(r.autopilot.transactions)
  })

  it('de-risked through the real watcher: one de-risk run per slash on stake it held, each recorded with its tx hashes', () => {
    const derisks = r.runs.filter((x) => x.trigger === 'slash')
    expect(derisks.length).toBeGreaterThan(0)
    for (const d of derisks) {
      expect(d.status).toBe('succeeded')
      expect(d.actions.every((a) => /^0x[0-9a-f]{64}$/.test(a.txHash ?? ''))).toBe(true)
    }
    // The first de-risk follows the first slash, on the same day.
    expect(derisks[0]!.day).toBe(r.autopilot.slashes[0]!.day)
  })

  it('renders the report: terminal table, JSON and a self-contained HTML page with charts', () => {
    const text = formatBacktestTable(r)
    expect(text).toContain('lost to slashing')
    expect(text).toContain('max drawdown')
    expect(text).toContain('gas used')
    expect(text).toContain('VaR 99 %/yr, worst')
    expect(r.autopilot.risk.samples.map((s) => s.day)).toEqual([0, 7, 14, 21, 28])
    const json = backtestJson(r) as { autopilot: { slashed: string }; baselineSide: { slashed: string }; world?: unknown }
    expect(json.world).toBeUndefined()
    expect(BigInt(json.autopilot.slashed)).toBe(r.autopilot.slashed)
    const html = renderBacktestHtml(r)
    expect(html.match(/<svg /g)?.length).toBe(4)
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3)/)
    expect(html).toContain(r.autopilot.slashes[0]!.txHash)
  })
})

describe('drawdown', () => {
  it.each([
    ['a fall from the peak, then a new high', [100n, 90n, 95n, 80n, 120n], 0.2, 20n],
    ['only rises', [100n, 110n, 120n], 0, 0n],
    ['the deepest fall counts, not the first', [50n, 100n, 25n, 100n], 0.75, 75n],
  ] as const)('%s', (_name, values, fraction, amount) => {
    expect(drawdown(values)).toEqual({ fraction, amount })
  })
})
