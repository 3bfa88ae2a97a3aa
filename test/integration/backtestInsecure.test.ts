/**
 * Backtest of the insecure-service scenario on its own Anvil: yield-net pays the most, but corrupting it pays more
 * than it costs (ρ < 1, docs/risk.md). The autopilot exits it on its first run, naming the security ratio; the static
 * baseline keeps its stake there and takes the slashes that follow. Every figure is re-read here from the chain.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as abis from '../../shared/protocols/symbiotic/abis.js'
import type { BacktestResult } from '../../local/backtest/engine.js'
import { formatBacktestTable } from '../../local/backtest/report.js'
import { subnetworkId } from '../../local/world/seed.js'
import { world } from '../setup/worldHandle.js'
import { backtestScenario } from './helpers.js'

const w = world()
let r: BacktestResult

beforeAll(async () => {
  r = await backtestScenario(w, 'insecure-service')
})
afterAll(async () => {
  await r?.world?.stop()
})

describe('backtest: insecure service (ρ < 1), autopilot vs the held starting allocation', () => {
  it('the first scheduled run exits yield-net, naming its security ratio, in mined transactions', () => {
    const first = r.runs.find((x) => x.trigger === 'schedule' && x.day === 0)!
    expect(first.status).toBe('succeeded')
    const exits = first.actions.filter((a) => a.reasons.some((why) => why.includes('yield-net') && why.includes('security ratio ρ') && why.includes('< 1')))
    expect(exits.length).toBeGreaterThan(0)
    for (const a of exits) expect(a.txHash).toMatch(/^0x[0-9a-f]{64}$/)
  })

  it('holds no stake on yield-net afterwards, while the baseline still does (read from the delegators)', async () => {
    const c = r.world!.chain
    const net = r.world!.seeded.networks.find((n) => n.label === 'yield-net')!
    const sn = subnetworkId(net.address, 0)
    const ops = r.world!.seeded.operators.filter((o) => o.label === 'op-atlas' || o.label === 'op-boreal')
    const stakeOn = (delegator: `0x${string}`) => Promise.all(ops.map((op) => c.public.readContract({ address: delegator, abi: abis.networkRestakeDelegatorAbi, functionName: 'stake', args: [sn, op.address] })))
    expect(await stakeOn(r.world!.autopilot.delegator)).toEqual([0n, 0n])
    expect((await stakeOn(r.world!.baseline.delegator)).some((s) => s > 0n)).toBe(true)
  })

  it('the baseline takes the yield-net slashes and loses more; the autopilot loses nothing to them', () => {
    const timelineSlashes = r.events.filter((e) => e.event.kind === 'slash').length
    expect(r.baselineSide.slashes).toHaveLength(timelineSlashes)
    expect(r.baselineSide.slashes.every((s) => s.network === 'yield-net')).toBe(true)
    expect(r.baselineSide.slashed).toBeGreaterThan(0n)
    expect(r.autopilot.slashes).toHaveLength(0)
    expect(r.autopilot.slashed).toBe(0n)
    expect(r.autopilot.net).toBeGreaterThan(r.baselineSide.net)
    expect(r.autopilot.finalStake).toBeGreaterThan(r.baselineSide.finalStake)
    for (const side of [r.autopilot, r.baselineSide]) expect(side.reconciled).toBe(true)
  })

  it('reports the risk figures of both sides next to the policy limits', () => {
    const a = r.autopilot.risk
    const b = r.baselineSide.risk
    expect(a.samples.map((s) => s.day)).toEqual([0, 7, 14])
    expect(b.samples.map((s) => s.day)).toEqual([0, 7, 14])
    // The baseline secures the insecure service on every sampled day; the autopilot, having exited at once, on none.
    expect(b.insecureServices).toEqual(['yield-net'])
    expect(b.insecureDays).toBe(b.samples.length)
    expect(a.insecureServices).toEqual([])
    // yield-net's operators have I_v ≥ 1/ρ > 1, so the baseline's weakest slack is negative; the autopilot's is not.
    expect(b.minSlack).not.toBeNull()
    expect(b.minSlack!).toBeLessThan(0)
    expect(a.minSlack === null || a.minSlack >= 0).toBe(true)
    for (const s of [...a.samples, ...b.samples]) {
      expect(s.maxLoss).toBeGreaterThan(0n)
      expect(s.maxLoss).toBeLessThanOrEqual(s.activeStake)
      expect(s.var99).toBeLessThanOrEqual(s.maxLoss)
    }
    expect(a.maxLossLimit).toBe(1)
    expect(a.requiredSlack).toBe(0)
    const text = formatBacktestTable(r)
    expect(text).toContain('MaxLoss, worst (limit 100 %)')
    expect(text).toContain('VaR 99 %/yr, worst')
    expect(text).toContain('min security slack γ')
    expect(text).toMatch(/insecure services held \(ρ < 1\)\s+none\s+yield-net \(3 of 3 days\)/)
  })
})
