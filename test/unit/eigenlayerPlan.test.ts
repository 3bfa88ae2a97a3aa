/** Pure EigenLayer helpers: operator-set keys, withdrawal roots, saga call builders and the deny-list exit plan. */
import { type Address, decodeFunctionData, encodeFunctionData } from 'viem'
import { describe, expect, it } from 'vitest'
import { buildCompleteWithdrawalCall, buildDelegateToCall, buildDepositCall, buildQueueWithdrawalCall, toPlannedCall } from '../../shared/protocols/eigenlayer/buildMoveCall.js'
import { planEigenLayerExits } from '../../shared/protocols/eigenlayer/planExits.js'
import { type EigenLayerOperatorState, type EigenLayerStakerState, decodeOperatorSetKey, operatorSetKey, withdrawalRoot } from '../../shared/protocols/eigenlayer/types.js'

const A = (n: number) => `0x${n.toString(16).padStart(40, '0')}` as Address
const staker = (address: Address, operator: Address | null, shares: bigint): EigenLayerStakerState => ({
  address,
  operator,
  depositShares: shares,
  withdrawableShares: shares,
  withdrawableTokens: shares,
  depositScalingFactor: 10n ** 18n,
  queued: [],
})
const operator = (address: Address): EigenLayerOperatorState => ({ address, isOperator: true, maxMagnitude: 10n ** 18n, operatorShares: 0n, operatorStakeTokens: 0n, sets: [], avsSplitBips: {}, piSplitBips: 1000 })

describe('operator-set key', () => {
  it('is avs ++ uint96(id), lower-case, and decodes back', () => {
    const key = operatorSetKey('0xAbCdEf0000000000000000000000000000000001', 7)
    expect(key).toBe('0xabcdef0000000000000000000000000000000001000000000000000000000007')
    expect(decodeOperatorSetKey(key)).toEqual({ avs: '0xabcdef0000000000000000000000000000000001', id: 7 })
  })
})

describe('withdrawal root', () => {
  it('is keccak256(abi.encode(withdrawal)) and changes with any field', () => {
    const w = { staker: A(1), delegatedTo: A(2), withdrawer: A(1), nonce: 0n, startBlock: 10, strategies: [A(3)], scaledShares: [5n] }
    expect(withdrawalRoot(w)).toMatch(/^0x[0-9a-f]{64}$/)
    expect(withdrawalRoot({ ...w, nonce: 1n })).not.toBe(withdrawalRoot(w))
    expect(withdrawalRoot({ ...w, scaledShares: [6n] })).not.toBe(withdrawalRoot(w))
  })
})

describe('saga call builders', () => {
  it('encode the v1.x calls with their published selectors', () => {
    const q = toPlannedCall(buildQueueWithdrawalCall({ delegationManager: A(9), strategy: A(3), depositShares: 42n, staker: A(1) }))
    expect(encodeFunctionData(q as never).slice(0, 10)).toBe('0x0dd8dd02')
    const w = { staker: A(1), delegatedTo: A(2), withdrawer: A(1), nonce: 0n, startBlock: 10, strategies: [A(3)], scaledShares: [5n] }
    const complete = toPlannedCall(buildCompleteWithdrawalCall({ delegationManager: A(9), withdrawal: w, token: A(4) }))
    const data = encodeFunctionData(complete as never)
    expect(data.slice(0, 10)).toBe('0xe4cc3f90')
    expect(decodeFunctionData({ abi: complete.abi, data }).args?.[2]).toBe(true) // receiveAsTokens
    expect(encodeFunctionData(toPlannedCall(buildDepositCall({ strategyManager: A(8), strategy: A(3), token: A(4), amount: 1n })) as never).slice(0, 10)).toBe('0xe7a050aa')
    expect(toPlannedCall(buildDelegateToCall({ delegationManager: A(9), operator: A(2) })).functionName).toBe('delegateTo')
  })
})

describe('planEigenLayerExits', () => {
  const [opA, opB, opC] = [A(0xa), A(0xb), A(0xc)]
  const operators = [operator(opA), operator(opB), operator(opC)]

  it("moves a denied operator's staker to our allowed staker with the most stake", () => {
    const stakers = [staker(A(1), opA, 400n), staker(A(2), opB, 100n), staker(A(3), opC, 300n)]
    const out = planEigenLayerExits({ stakers, operators }, { deny: [opA] })
    expect(out.unplaced).toEqual([])
    expect(out.exits).toEqual([{ from: { staker: A(1), operator: opA }, to: { staker: A(3), operator: opC }, withdrawableShares: 400n, reason: `operator ${opA} is deny-listed` }])
  })

  it('respects the allow list and falls back to a fresh staker delegating to the fallback operator', () => {
    const stakers = [staker(A(1), opA, 400n), staker(A(2), opB, 100n), staker(A(4), null, 0n)]
    const out = planEigenLayerExits({ stakers, operators }, { deny: [opA], allow: [opC], fallbackOperator: opC })
    expect(out.exits.map((e) => e.to)).toEqual([{ staker: A(4), operator: opC }])
  })

  it('moves only the part exitBps asks for (the halve slash response: half the shares, nothing at 0)', () => {
    const stakers = [staker(A(1), opA, 401n), staker(A(2), opB, 100n), staker(A(3), opC, 300n)]
    const half = planEigenLayerExits({ stakers, operators }, { deny: [opA, opB], exitBps: (o) => (o === opA ? 5_000 : 0) })
    expect(half.exits).toEqual([{ from: { staker: A(1), operator: opA }, to: { staker: A(3), operator: opC }, withdrawableShares: 401n, shares: 200n, reason: `operator ${opA} is deny-listed` }])
    expect(half.unplaced).toEqual([])
  })

  it('reports stakers it cannot place, and ignores empty or allowed stakers', () => {
    const stakers = [staker(A(1), opA, 400n), staker(A(2), opA, 0n), staker(A(3), opB, 5n)]
    const out = planEigenLayerExits({ stakers, operators }, { deny: [opA, opB] })
    expect(out.exits).toEqual([])
    expect(out.unplaced.map((u) => u.staker)).toEqual([A(1), A(3)])
  })
})
