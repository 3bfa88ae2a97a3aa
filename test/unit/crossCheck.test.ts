/** Receipts cross-checked against the chain's state (shared/execution/crossCheck.ts): what is recorded for every answer. */
import { describe, expect, it } from 'vitest'
import { encodeFunctionResult } from 'viem'
import { judgeReceipt, unconfirmedNote } from '../../shared/execution/crossCheck.js'
import { networkRestakeDelegatorAbi } from '../../shared/protocols/symbiotic/abis.js'
import { curatorCallEffect } from '../../shared/protocols/symbiotic/buildCuratorCall.js'

const word = (v: bigint) => encodeFunctionResult({ abi: networkRestakeDelegatorAbi, functionName: 'networkLimit', result: v })
const effect = curatorCallEffect({ kind: 'setNetworkLimit', delegator: '0x00000000000000000000000000000000000000d1', service: `0x${'ab'.repeat(32)}`, to: 5n }, () => 'oracle-net/0')
const at = { blockNumber: 42n, effect }

describe('judgeReceipt', () => {
  it('the effect check reads the getter of the parameter the call sets, expecting the value it sets', () => {
    expect(effect.description).toBe('networkLimit(oracle-net/0)')
    expect(effect.expected).toBe(word(5n))
    expect(effect.data.startsWith('0x')).toBe(true)
  })

  it('receipt and chain agree: the receipt status, confirmed', () => {
    expect(judgeReceipt({ ...at, receiptStatus: 'success', before: word(1n), after: word(5n) })).toEqual({
      status: 'mined',
      receiptStatus: 'success',
      verification: 'confirmed',
      note: 'receipt says success; the chain agrees: networkLimit(oracle-net/0) holds the value the call set at block 42',
    })
    expect(judgeReceipt({ ...at, receiptStatus: 'reverted', before: word(1n), after: word(1n) })).toMatchObject({ status: 'reverted', verification: 'confirmed' })
  })

  it('a receipt saying reverted for a call whose effect the chain shows: recorded mined, contradicted', () => {
    expect(judgeReceipt({ ...at, receiptStatus: 'reverted', before: word(1n), after: word(5n) })).toEqual({
      status: 'mined',
      receiptStatus: 'reverted',
      verification: 'contradicted',
      note: 'receipt said reverted, chain shows effect applied: networkLimit(oracle-net/0) holds the value the call set at block 42; recorded as mined',
    })
  })

  it('a receipt saying success for a call the chain shows without effect: recorded reverted, contradicted', () => {
    expect(judgeReceipt({ ...at, receiptStatus: 'success', before: word(1n), after: word(2n) })).toMatchObject({ status: 'reverted', receiptStatus: 'success', verification: 'contradicted' })
  })

  it('where the chain cannot tell, the record follows the receipt and says so', () => {
    const none = judgeReceipt({ receiptStatus: 'reverted', blockNumber: 42n })
    expect(none).toEqual({ status: 'reverted', receiptStatus: 'reverted', verification: 'unverified', note: 'receipt says reverted; unverified: the call carries no effect check, so the record follows the receipt' })
    const already = judgeReceipt({ ...at, receiptStatus: 'reverted', before: word(5n), after: word(5n) })
    expect(already).toMatchObject({ status: 'reverted', verification: 'unverified' })
    expect(already.note).toContain('already held the value before block 42')
    const failed = judgeReceipt({ ...at, receiptStatus: 'success', readError: 'HTTP 503' })
    expect(failed).toMatchObject({ status: 'mined', verification: 'unverified' })
    expect(failed.note).toContain('could not be read (HTTP 503)')
  })

  it('a run record keeps the note only when the chain did not simply confirm', () => {
    expect(unconfirmedNote({ verification: 'confirmed', note: 'x' })).toEqual({})
    expect(unconfirmedNote({ verification: 'contradicted', note: 'x' })).toEqual({ note: 'x' })
    expect(unconfirmedNote({})).toEqual({})
  })
})
