/**
 * Chain reads of the EigenLayer move saga (./saga.ts): pause flags and deposit caps that hold a step, the shares to
 * queue, and what each step's receipt (or, without one, the chain) says happened: the queued withdrawal, the tokens
 * received at completion, the shares deposited. Amounts are always read, never assumed.
 */
import { type Address, type Hex, type PublicClient, type TransactionReceipt, erc20Abi, getAbiItem, parseEventLogs } from 'viem'
import { toAddr } from '../../address.js'
import { units } from '../../domain/format.js'
import { delegationManagerAbi, strategyAbi, strategyManagerAbi } from './abis.js'
import { WithdrawalNotFoundError } from './errors.js'
import type { EigenLayerMoveState, EigenLayerSagaContext } from './sagaTypes.js'
import { type WithdrawalStruct, withdrawalRoot } from './types.js'

/** Pause flags (bit indexes of `paused(uint8)`) of the entry points the saga calls, as in the v1.x core. */
export const DM_PAUSED_NEW_DELEGATION = 0
export const DM_PAUSED_ENTER_WITHDRAWAL_QUEUE = 1
export const DM_PAUSED_EXIT_WITHDRAWAL_QUEUE = 2
export const SM_PAUSED_DEPOSITS = 0
export const STRATEGY_PAUSED_DEPOSITS = 0
export const STRATEGY_PAUSED_WITHDRAWALS = 1

/** The first paused flag among `flags`, said for a person (`… (CurrentlyPaused())`), or undefined when none is. */
export async function pausedReason(ctx: EigenLayerSagaContext, flags: readonly { address: Address; index: number; what: string }[]): Promise<string | undefined> {
  const paused = await ctx.client.multicall({
    contracts: flags.map((f) => ({ address: f.address, abi: strategyAbi, functionName: 'paused', args: [f.index] }) as const),
    allowFailure: false,
  })
  const i = paused.indexOf(true)
  return i < 0 ? undefined : `${flags[i]!.what} (CurrentlyPaused()); retried on the next run`
}

/** Why the deposit would exceed the strategy's StrategyBaseTVLLimits caps, or undefined (no caps, or it fits). */
export async function depositCapReason(ctx: EigenLayerSagaContext, s: EigenLayerMoveState): Promise<string | undefined> {
  const [limits, balance] = await ctx.client.multicall({
    contracts: [
      { address: s.strategy, abi: strategyAbi, functionName: 'getTVLLimits' },
      { address: s.token, abi: erc20Abi, functionName: 'balanceOf', args: [s.strategy] },
    ],
    allowFailure: true,
  })
  if (limits.status !== 'success' || balance.status !== 'success') return undefined
  const [maxPerDeposit, maxTotalDeposits] = limits.result
  const amount = s.received!.tokens
  // Token amounts for a person: the strategy's underlying in whole units (18 decimals, as the LSTs).
  if (amount > maxPerDeposit) return `a deposit of ${units(amount)} is over the strategy's maxPerDeposit ${units(maxPerDeposit)} (MaxPerDepositExceedsMax()); retried on the next run`
  if (balance.result + amount > maxTotalDeposits)
    return `the strategy holds ${units(balance.result)} of its maxTotalDeposits ${units(maxTotalDeposits)}: a deposit of ${units(amount)} does not fit (BalanceExceedsMaxTotalDeposits()); retried on the next run`
  return undefined
}

/** Deposit shares to queue: all of them, or the requested withdrawable shares converted (`convertToDepositShares`). */
export async function depositSharesToQueue(ctx: EigenLayerSagaContext, s: EigenLayerMoveState): Promise<bigint> {
  const [[withdrawable], [deposit]] = await ctx.client.readContract({ address: s.delegationManager, abi: delegationManagerAbi, functionName: 'getWithdrawableShares', args: [s.from.staker, [s.strategy]] })
  if (s.requestedShares === null || s.requestedShares >= (withdrawable ?? 0n)) return deposit ?? 0n
  const [converted] = await ctx.client.readContract({ address: s.delegationManager, abi: delegationManagerAbi, functionName: 'convertToDepositShares', args: [s.from.staker, [s.strategy], [s.requestedShares]] })
  return converted ?? 0n
}

/** Finds the queued withdrawal (from the receipt's SlashingWithdrawalQueued, else from the chain's queue) and what it was worth. */
export async function recordQueued(ctx: EigenLayerSagaContext, sagaId: string, s: EigenLayerMoveState, receipt: TransactionReceipt | undefined): Promise<Partial<EigenLayerMoveState>> {
  const q = s.queue!
  let withdrawal: WithdrawalStruct | undefined
  let shares: bigint | undefined
  let atBlock: bigint
  if (receipt) {
    const logs = parseEventLogs({ abi: delegationManagerAbi, eventName: 'SlashingWithdrawalQueued', logs: receipt.logs })
    const hit = logs.find((l) => toAddr(l.args.withdrawal.staker) === s.from.staker && l.args.withdrawal.nonce === q.nonceBefore)
    if (hit) {
      withdrawal = hit.args.withdrawal
      shares = hit.args.sharesToWithdraw[hit.args.withdrawal.strategies.findIndex((x) => toAddr(x) === s.strategy)] ?? 0n
    }
    atBlock = receipt.blockNumber
  } else {
    atBlock = await ctx.client.getBlockNumber({ cacheTime: 0 })
  }
  if (!withdrawal) {
    const [ws, sh] = await ctx.client.readContract({ address: s.delegationManager, abi: delegationManagerAbi, functionName: 'getQueuedWithdrawals', args: [s.from.staker] })
    const i = ws.findIndex((w) => w.nonce === q.nonceBefore)
    if (i < 0) throw new WithdrawalNotFoundError({ sagaId, staker: s.from.staker, nonce: q.nonceBefore })
    withdrawal = ws[i]!
    shares = sh[i]![withdrawal.strategies.findIndex((x) => toAddr(x) === s.strategy)] ?? 0n
    atBlock = BigInt(withdrawal.startBlock)
  }
  const minDelay = await ctx.client.readContract({ address: s.delegationManager, abi: delegationManagerAbi, functionName: 'minWithdrawalDelayBlocks' })
  const w: WithdrawalStruct = { ...withdrawal, strategies: [...withdrawal.strategies], scaledShares: [...withdrawal.scaledShares] }
  return {
    queue: { ...q, root: withdrawalRoot(w), withdrawal: w, completableAtBlock: BigInt(w.startBlock) + BigInt(minDelay) + 1n },
    expected: { shares: shares ?? 0n, tokens: await sharesToTokens(ctx, s.strategy, shares ?? 0n, atBlock), atBlock },
  }
}

/** Reads the tokens the source staker received in the completion transaction (Transfer strategy → staker). */
export async function recordReceived(ctx: EigenLayerSagaContext, sagaId: string, s: EigenLayerMoveState, receipt: TransactionReceipt | undefined): Promise<Partial<EigenLayerMoveState>> {
  let r = receipt
  if (!r) {
    // Completed without a receipt of ours: find the completion on chain by its root.
    const logs = await ctx.client.getLogs({
      address: s.delegationManager,
      event: getAbiItem({ abi: delegationManagerAbi, name: 'SlashingWithdrawalCompleted' }),
      fromBlock: BigInt(s.queue!.withdrawal!.startBlock),
    })
    const hit = logs.find((l) => l.args.withdrawalRoot?.toLowerCase() === s.queue!.root!.toLowerCase())
    if (!hit) throw new WithdrawalNotFoundError({ sagaId, staker: s.from.staker, nonce: s.queue!.nonceBefore })
    r = await ctx.client.getTransactionReceipt({ hash: hit.transactionHash })
  }
  const transfers = parseEventLogs({ abi: erc20Abi, eventName: 'Transfer', logs: r.logs }).filter((l) => toAddr(l.address) === s.token && toAddr(l.args.from) === s.strategy && toAddr(l.args.to) === s.from.staker)
  const tokens = transfers.reduce((sum, l) => sum + l.args.value, 0n)
  const expectedTokens = s.expected?.tokens ?? tokens
  return { received: { tokens, txHash: r.transactionHash, blockNumber: r.blockNumber }, slashedDuringDelay: expectedTokens > tokens ? expectedTokens - tokens : 0n }
}

/** Reads the deposit shares minted (Deposit event) and the target staker's withdrawable shares after it. */
export async function recordDeposited(ctx: EigenLayerSagaContext, s: EigenLayerMoveState, receipt: TransactionReceipt | undefined): Promise<Partial<EigenLayerMoveState>> {
  const deposits = receipt ? parseEventLogs({ abi: strategyManagerAbi, eventName: 'Deposit', logs: receipt.logs }).filter((l) => toAddr(l.args.staker) === s.to.staker && toAddr(l.args.strategy) === s.strategy) : []
  const [[withdrawable]] = await ctx.client.readContract({
    address: s.delegationManager,
    abi: delegationManagerAbi,
    functionName: 'getWithdrawableShares',
    args: [s.to.staker, [s.strategy]],
    ...(receipt ? { blockNumber: receipt.blockNumber } : {}),
  })
  return {
    deposited: {
      tokens: s.received!.tokens,
      depositShares: deposits.reduce((sum, l) => sum + l.args.shares, 0n),
      withdrawableSharesAfter: withdrawable ?? 0n,
      txHash: receipt?.transactionHash ?? ('0x' as Hex),
    },
  }
}

export async function sharesToTokens(ctx: EigenLayerSagaContext, strategy: Address, shares: bigint, blockNumber: bigint): Promise<bigint> {
  if (shares === 0n) return 0n
  return ctx.client.readContract({ address: strategy, abi: strategyAbi, functionName: 'sharesToUnderlyingView', args: [shares], blockNumber })
}

export async function findReceipt(client: PublicClient, hashes: readonly string[]): Promise<TransactionReceipt | undefined> {
  for (const h of hashes) {
    const r = await client.getTransactionReceipt({ hash: h as Hex }).catch(() => undefined)
    if (r) return r
  }
  return undefined
}
