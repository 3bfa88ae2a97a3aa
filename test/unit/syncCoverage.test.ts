/** Sync sources and coverage: the filter hash, and how stored coverage follows a changed filter (new address, new event, removed address). */
import { parseAbiItem, toEventSelector } from 'viem'
import { describe, expect, it } from 'vitest'
import { defineSource, fitCoverage } from '../../shared/chain/sync/index.js'

const A = '0x00000000000000000000000000000000000000aa' as const
const B = '0x00000000000000000000000000000000000000bb' as const
const C = '0x00000000000000000000000000000000000000cc' as const
const T1 = toEventSelector(parseAbiItem('event Ping(uint256 value)'))
const T2 = toEventSelector(parseAbiItem('event Other(uint256 value)'))
const src = (addresses: `0x${string}`[], events: `0x${string}`[], fromBlock = 100n) => defineSource({ name: 's', chainId: 1, addresses, events, fromBlock })

describe('defineSource', () => {
  it('normalises addresses and topics (case, order, duplicates) and hashes the filter', () => {
    const a = src([`0x${B.slice(2).toUpperCase()}`, A, A], [T2, T1])
    expect(a.addresses).toEqual([A, B])
    expect(a.topics).toEqual([T2, T1].sort())
    expect(a.filterHash).toBe(src([A, B], [T1, T2]).filterHash)
    expect(a.filterHash).not.toBe(src([A], [T1, T2]).filterHash)
    expect(a.filterHash).not.toBe(src([A, B], [T1, T2], 101n).filterHash)
  })
})

describe('fitCoverage', () => {
  it('first sync: one group at fromBlock − 1', () => {
    expect(fitCoverage(src([A, B], [T1]), [])).toEqual([{ addresses: [A, B], topics: [T1], syncedTo: 99n }])
  })

  it('a new address gets its own group from fromBlock − 1; the others keep their progress', () => {
    const fitted = fitCoverage(src([A, B, C], [T1]), [{ addresses: [A, B], topics: [T1], syncedTo: 500n }])
    expect(fitted).toEqual([
      { addresses: [A, B], topics: [T1], syncedTo: 500n },
      { addresses: [C], topics: [T1], syncedTo: 99n },
    ])
  })

  it('a new event is read for every address from fromBlock − 1; a removed address leaves its group', () => {
    const fitted = fitCoverage(src([A, B], [T1, T2]), [{ addresses: [A, B, C], topics: [T1], syncedTo: 500n }])
    expect(fitted).toEqual([
      { addresses: [A, B], topics: [T1], syncedTo: 500n },
      { addresses: [A, B], topics: [T2], syncedTo: 99n },
    ])
  })

  it('groups at the same block with the same topics (or addresses) merge; an unchanged filter is unchanged', () => {
    const stored = [
      { addresses: [A], topics: [T1], syncedTo: 500n },
      { addresses: [B], topics: [T1], syncedTo: 500n },
    ]
    const fitted = fitCoverage(src([A, B], [T1]), stored)
    expect(fitted).toEqual([{ addresses: [A, B], topics: [T1], syncedTo: 500n }])
    expect(fitCoverage(src([A, B], [T1]), fitted)).toEqual(fitted)
  })
})
