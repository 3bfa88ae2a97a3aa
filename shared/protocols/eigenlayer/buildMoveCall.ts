/**
 * Pure builders of the calls of an EigenLayer move saga (no network): each returns a {@link PlannedCall} that the
 * executor simulates, signs, stores and sends. One call per saga step:
 * queueWithdrawals → completeQueuedWithdrawal(receiveAsTokens=true) → token transfer to the target staker →
 * delegateTo (new staker only) → approve → depositIntoStrategy.
 */
import { type Address, type Hex, erc20Abi, zeroHash } from 'viem'
import { delegationManagerAbi, strategyManagerAbi } from './abis.js'
import type { PlannedCall } from '../../execution/types.js'
import type { WithdrawalStruct } from './types.js'

/** The step names of a move saga, in order (`wait` sends nothing). */
export const MOVE_STEPS = ['queue', 'wait', 'complete', 'transfer', 'delegate', 'approve', 'deposit'] as const

/** One step of a move saga. */
export type MoveStep = (typeof MOVE_STEPS)[number]

/** A call as stored in the saga record before it is sent: enough to rebuild the exact same {@link PlannedCall}. */
export interface StoredCall {
  step: Exclude<MoveStep, 'wait'>
  address: Address
  functionName: string
  args: readonly unknown[]
  description: string
}

/** `queueWithdrawals([{ strategies: [strategy], depositShares: [depositShares], __deprecated_withdrawer: staker }])` from the staker. */
export function buildQueueWithdrawalCall(p: { delegationManager: Address; strategy: Address; depositShares: bigint; staker: Address }): StoredCall {
  return {
    step: 'queue',
    address: p.delegationManager,
    functionName: 'queueWithdrawals',
    args: [[{ strategies: [p.strategy], depositShares: [p.depositShares], __deprecated_withdrawer: p.staker }]],
    description: `queueWithdrawals(${p.depositShares} deposit shares) from staker ${p.staker}`,
  }
}

/** `completeQueuedWithdrawal(withdrawal, [token], true)`: the staker receives the (possibly slashed) tokens. */
export function buildCompleteWithdrawalCall(p: { delegationManager: Address; withdrawal: WithdrawalStruct; token: Address }): StoredCall {
  return {
    step: 'complete',
    address: p.delegationManager,
    functionName: 'completeQueuedWithdrawal',
    args: [p.withdrawal, [p.token], true],
    description: `completeQueuedWithdrawal(nonce ${p.withdrawal.nonce}, asTokens) for staker ${p.withdrawal.staker}`,
  }
}

/** ERC20 `transfer(to, amount)` from the source staker to the target staker. */
export function buildTokenTransferCall(p: { token: Address; to: Address; amount: bigint }): StoredCall {
  return { step: 'transfer', address: p.token, functionName: 'transfer', args: [p.to, p.amount], description: `transfer ${p.amount} to staker ${p.to}` }
}

/** `delegateTo(operator, { signature: 0x, expiry: 0 }, 0x0)`: for an operator without a delegation approver. */
export function buildDelegateToCall(p: { delegationManager: Address; operator: Address }): StoredCall {
  return {
    step: 'delegate',
    address: p.delegationManager,
    functionName: 'delegateTo',
    args: [p.operator, { signature: '0x' as Hex, expiry: 0n }, zeroHash],
    description: `delegateTo(${p.operator})`,
  }
}

/** ERC20 `approve(strategyManager, amount)` from the target staker. */
export function buildApproveCall(p: { token: Address; spender: Address; amount: bigint }): StoredCall {
  return { step: 'approve', address: p.token, functionName: 'approve', args: [p.spender, p.amount], description: `approve ${p.amount} to ${p.spender}` }
}

/** `depositIntoStrategy(strategy, token, amount)` from the target staker. */
export function buildDepositCall(p: { strategyManager: Address; strategy: Address; token: Address; amount: bigint }): StoredCall {
  return { step: 'deposit', address: p.strategyManager, functionName: 'depositIntoStrategy', args: [p.strategy, p.token, p.amount], description: `depositIntoStrategy(${p.amount})` }
}

/** The executor's view of a stored call (ABI chosen by step). */
export function toPlannedCall(c: StoredCall): PlannedCall {
  const abi = c.step === 'transfer' || c.step === 'approve' ? erc20Abi : c.step === 'deposit' ? strategyManagerAbi : delegationManagerAbi
  return { address: c.address, abi, functionName: c.functionName, args: c.args, description: c.description }
}
