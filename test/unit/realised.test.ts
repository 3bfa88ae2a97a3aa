/** Realised yield and losses over time (shared/domain/realised.ts): exact sums per period, annualised against the stake. */
import { describe, expect, it } from 'vitest'
import { RealisedYieldInputError, annualised, averageStake, realisedYield } from '../../shared/domain/realised.js'

const DAY = 86_400n
const E18 = 10n ** 18n
const vault = '0x00000000000000000000000000000000000000aa'
const lst = '0x00000000000000000000000000000000000000c0' as const
const other = '0x00000000000000000000000000000000000000d0' as const
const t0 = 1_700_006_400n // a UTC midnight (multiple of 86 400)

describe('realisedYield', () => {
  const base = {
    position: vault,
    collateral: lst,
    stakes: [{ position: vault, timestamp: t0 - DAY, activeStake: 1000n * E18 }],
    from: t0 + 3600n,
    to: t0 + 2n * DAY + 43_200n,
    periodSeconds: 86_400,
  }

  it('sums every payment and slash of the position exactly, per chain-time day, with the last day partial', () => {
    const r = realisedYield({
      ...base,
      rewards: [
        { position: vault, token: lst, amount: 1n, timestamp: t0 + 10n },
        { position: vault, token: lst, amount: 123_456_789_012_345_678_901n, timestamp: t0 + DAY - 1n },
        { position: vault.toUpperCase().replace('0X', '0x'), token: lst, amount: 2n * E18, timestamp: t0 + DAY },
        { position: vault, token: other, amount: 5n, timestamp: t0 + DAY + 1n },
        { position: '0x00000000000000000000000000000000000000bb', token: lst, amount: 999n * E18, timestamp: t0 + 20n },
      ],
      losses: [{ position: vault, amount: 3n * E18 + 7n, timestamp: t0 + 2n * DAY + 5n }],
    })
    expect(r.periods.map((p) => [p.start, p.end, p.partial])).toEqual([
      [t0, t0 + DAY, false],
      [t0 + DAY, t0 + 2n * DAY, false],
      [t0 + 2n * DAY, t0 + 2n * DAY + 43_200n, true],
    ])
    expect(r.periods.map((p) => p.rewards)).toEqual([123_456_789_012_345_678_902n, 2n * E18, 0n])
    expect(r.periods.map((p) => p.losses)).toEqual([0n, 0n, 3n * E18 + 7n])
    expect(r.periods.map((p) => p.net)).toEqual([123_456_789_012_345_678_902n, 2n * E18, -(3n * E18 + 7n)])
    expect(r.periods[1]!.otherRewards).toEqual([{ token: other, amount: 5n }])
    expect(r.periods.at(-1)!.cumulativeRewards).toBe(123_456_789_012_345_678_902n + 2n * E18)
    expect(r.totals.rewards).toBe(r.periods.reduce((a, p) => a + p.rewards, 0n))
    expect(r.totals.net).toBe(123_456_789_012_345_678_902n + 2n * E18 - 3n * E18 - 7n)
    expect(r.totals.otherRewards).toEqual([{ token: other, amount: 5n }])
  })

  it('annualises each period against the stake over its own length: 2 tokens a day on 1 000 is 73 %/yr, half a day of it the same rate', () => {
    const r = realisedYield({
      ...base,
      rewards: [
        { position: vault, token: lst, amount: 2n * E18, timestamp: t0 + DAY },
        { position: vault, token: lst, amount: 1n * E18, timestamp: t0 + 2n * DAY },
      ],
      losses: [],
    })
    expect(r.periods[1]!.rewardYieldPerYear).toBeCloseTo(0.73, 12)
    expect(r.periods[2]!.rewardYieldPerYear).toBeCloseTo(0.73, 12)
    expect(r.periods[0]!.rewardYieldPerYear).toBe(0)
    expect(r.totals.rewardYieldPerYear).toBeCloseTo((3 / 1000) * (365 / 2.5), 12)
  })

  it('puts the planned net yield of the runs of each period beside the realised one (mean), and none where no run was', () => {
    const r = realisedYield({
      ...base,
      rewards: [],
      losses: [],
      planned: [
        { position: vault, timestamp: t0 + 5n, netYieldPerYear: 0.04 },
        { position: vault, timestamp: t0 + 6n, netYieldPerYear: 0.06 },
        { position: vault, timestamp: t0 + 2n * DAY + 1n, netYieldPerYear: 0.02 },
      ],
    })
    expect(r.periods.map((p) => [p.plannedNetYieldPerYear, p.plannedRuns])).toEqual([
      [0.05, 2],
      [null, 0],
      [0.02, 1],
    ])
    expect(r.totals.plannedNetYieldPerYear).toBeCloseTo(0.04, 12)
    expect(r.totals.plannedRuns).toBe(3)
  })

  it('no stake: the rates are null, never a division by zero', () => {
    const r = realisedYield({ ...base, stakes: [], rewards: [{ position: vault, token: lst, amount: 1n, timestamp: t0 }], losses: [] })
    expect(r.periods[0]!.rewardYieldPerYear).toBeNull()
    expect(r.totals.netYieldPerYear).toBeNull()
  })

  it('refuses a period that is not a positive whole number of seconds, and an empty window, by name', () => {
    expect(() => realisedYield({ ...base, rewards: [], losses: [], periodSeconds: 0 })).toThrow(RealisedYieldInputError)
    expect(() => realisedYield({ ...base, rewards: [], losses: [], periodSeconds: 1.5 })).toThrow(/positive whole number of seconds/)
    expect(() => realisedYield({ ...base, rewards: [], losses: [], to: base.from })).toThrow(/window is empty/)
  })
})

describe('averageStake and annualised', () => {
  it('weights each stake sample by the time it held (floor), starting from the last sample before the window', () => {
    const s = [
      { position: vault, timestamp: 0n, activeStake: 100n },
      { position: vault, timestamp: 10n, activeStake: 400n },
      { position: vault, timestamp: 15n, activeStake: 1n },
    ]
    expect(averageStake(s, 5n, 20n)).toBe((100n * 5n + 400n * 5n + 1n * 5n) / 15n)
    expect(averageStake(s, 20n, 30n)).toBe(1n)
    expect(averageStake([{ position: vault, timestamp: 50n, activeStake: 7n }], 0n, 10n)).toBe(7n)
  })

  it('is exact up to 1e-12 and null without stake or time', () => {
    expect(annualised(1n, 365n, 86_400n)).toBe(1)
    expect(annualised(1n, 0n, 86_400n)).toBeNull()
    expect(annualised(1n, 1n, 0n)).toBeNull()
    expect(annualised(-1n, 365n, 86_400n)).toBe(-1)
  })
})

describe('readRealisedFacts (local/dashboard/realised.ts)', () => {
  it('refuses by name to read rewards without the live read’s chain-sync store read, before any RPC', async () => {
    const { RealisedYieldUnavailableError, readRealisedFacts } = await import('../../local/dashboard/realised.js')
    const config = { vaults: [{ address: vault, stakerRewards: [other] }], fromBlock: 0n } as never
    const client = new Proxy({}, { get: () => () => Promise.reject(new Error('no RPC expected')) }) as never
    const universe = { chainId: 1, blockNumber: 10n, timestamp: t0, services: [], operators: [], positions: [] }
    const read = readRealisedFacts({ config, client }, { universe, logs: undefined, periodSeconds: 86_400, losses: [], planned: [] })
    await expect(read).rejects.toBeInstanceOf(RealisedYieldUnavailableError)
    await expect(read).rejects.toThrow(/took no logs from the chain sync/)
  })
})
