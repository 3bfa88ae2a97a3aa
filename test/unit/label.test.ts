import { describe, expect, it } from 'vitest'
import { toAddr, zeroAddr } from '../../shared/address.js'
import { parseConfig } from '../../shared/config/config.js'
import { label, labeler, shortHex } from '../../shared/label.js'
import { tableNames } from '../../shared/store/tables.js'

const checksummed = '0xAbCdEf0123456789aBcDeF0123456789ABCDEF01'

describe('label', () => {
  it('names a labelled address in any case, else the short hex', () => {
    const labels = { [checksummed.toLowerCase()]: 'op-atlas' }
    expect(label(labels, checksummed)).toBe('op-atlas')
    expect(labeler(labels)('0x1234567890abcdef1234567890abcdef12345678')).toBe('0x123456…5678')
    expect(shortHex(checksummed)).toBe('0xAbCdEf…EF01')
    expect(label({}, checksummed, 'vault/0xAbCdEf01')).toBe('vault/0xAbCdEf01')
  })
})

describe('Addr', () => {
  it('toAddr lower-cases once, so a checksummed and a lower-case spelling compare equal', () => {
    expect(toAddr(checksummed)).toBe(checksummed.toLowerCase())
    expect(toAddr(checksummed)).toBe(toAddr(checksummed.toLowerCase()))
    expect(zeroAddr).toBe('0x0000000000000000000000000000000000000000')
  })

  it('the config schema normalises every address where it comes in', () => {
    const config = parseConfig({
      chainId: 31337,
      rpcUrl: 'http://127.0.0.1:8545',
      symbiotic: { operatorVaultOptInService: checksummed, operatorNetworkOptInService: checksummed },
      vaults: [{ address: checksummed, stakerRewards: [checksummed] }],
      tables: tableNames('unit'),
    })
    expect(config.vaults[0]!.address).toBe(checksummed.toLowerCase())
    expect(config.vaults[0]!.stakerRewards[0]).toBe(checksummed.toLowerCase())
    expect(config.symbiotic.operatorVaultOptInService).toBe(checksummed.toLowerCase())
  })
})
