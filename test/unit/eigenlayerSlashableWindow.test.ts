/** The notification text of how long withdrawn EigenLayer stake stays slashable. */
import { describe, expect, it } from 'vitest'
import { eigenLayerSlashableWindow, formatDuration } from '../../shared/protocols/eigenlayer/slashableWindow.js'

describe('eigenLayerSlashableWindow', () => {
  it('says the mainnet delays in blocks and days', () => {
    const w = eigenLayerSlashableWindow({ minWithdrawalDelayBlocks: 100_800, deallocationDelayBlocks: 100_800, secondsPerBlock: 12 })
    expect(w.withdrawal).toEqual({ blocks: 100_800, seconds: 1_209_600 })
    expect(w.deallocation).toEqual({ blocks: 100_800, seconds: 1_209_600 })
    expect(w.text).toBe('Withdrawn stake stays slashable for 100800 blocks (≈ 14 days at 12 s/block) after it is queued, and deallocated or deregistered stake for 100800 blocks (≈ 14 days) after the change.')
  })

  it('says the local delays in minutes', () => {
    expect(eigenLayerSlashableWindow({ minWithdrawalDelayBlocks: 50, deallocationDelayBlocks: 50, secondsPerBlock: 12 }).text).toMatch(/50 blocks \(≈ 10 min at 12 s\/block\)/)
    expect(formatDuration(126_000 * 12)).toBe('≈ 17.5 days')
    expect(formatDuration(3 * 3_600)).toBe('≈ 3 h')
    expect(formatDuration(30)).toBe('30 s')
  })
})
