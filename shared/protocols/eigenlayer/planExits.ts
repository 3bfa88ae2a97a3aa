/**
 * Pure: which EigenLayer moves take our stake off deny-listed operators. A staker has one operator, so a forced
 * exit moves a whole staker's withdrawable shares to a staker of ours delegated to an allowed operator (or to a
 * fresh, undelegated staker that will delegate to `fallbackOperator`). On a strategy with a per-deposit cap
 * (StrategyBaseTVLLimits) one exit moves at most `maxPerDeposit` tokens less 1 % headroom ({@link maxTokensPerMove}), so its re-deposit cannot revert and leave the
 * tokens idle; the rest leaves on the next run.
 */
import type { Address } from 'viem'
import { type EigenLayerPositionDetails, maxTokensPerMove } from './types.js'

/** One planned move: all withdrawable shares of `from` to `to`. */
export interface PlannedExit {
  from: { staker: Address; operator: Address }
  to: { staker: Address; operator: Address }
  /** Withdrawable shares now (the saga re-reads them when it queues). */
  withdrawableShares: bigint
  /** Set when the per-deposit cap or a partial exit (`exitBps`) limits this exit: the withdrawable shares to move (else everything). */
  shares?: bigint
  /** The per-deposit cap limits this exit (the rest leaves on the next run). */
  capped?: boolean
  reason: string
}

/** Result of {@link planEigenLayerExits}: the moves, and stakers that could not be placed (no allowed target). */
export interface PlanEigenLayerExitsReturnType {
  exits: PlannedExit[]
  unplaced: { staker: Address; operator: Address; reason: string }[]
}

/**
 * Moves every staker delegated to a denied operator to the allowed staker of ours holding the most withdrawable
 * stake (ties: lowest address), else to a fresh staker delegated to `fallbackOperator`.
 * @example planEigenLayerExits(details, { deny: ['0xab…'] })
 */
export function planEigenLayerExits(
  details: Pick<EigenLayerPositionDetails, 'stakers' | 'operators' | 'depositCaps'>,
  p: {
    deny: readonly Address[]
    allow?: readonly Address[]
    fallbackOperator?: Address
    /** Part of each staker's withdrawable shares that leaves a denied operator, bps (default 10 000: all; the `halve` slash response: 5 000). */
    exitBps?: (operator: Address) => number | undefined
  },
): PlanEigenLayerExitsReturnType {
  const deny = new Set(p.deny.map((a) => a.toLowerCase()))
  const allow = p.allow ? new Set(p.allow.map((a) => a.toLowerCase())) : undefined
  const registered = new Set(details.operators.filter((o) => o.isOperator).map((o) => o.address.toLowerCase()))
  const allowed = (op: string) => !deny.has(op) && (allow === undefined || allow.has(op)) && registered.has(op)
  const targets = details.stakers
    .filter((s) => s.operator !== null && allowed(s.operator.toLowerCase()))
    .sort((a, b) => (a.withdrawableShares === b.withdrawableShares ? (a.address.toLowerCase() < b.address.toLowerCase() ? -1 : 1) : a.withdrawableShares > b.withdrawableShares ? -1 : 1))
  const fresh = details.stakers.find((s) => s.operator === null && s.depositShares === 0n && s.queued.length === 0)
  const fallback = p.fallbackOperator && allowed(p.fallbackOperator.toLowerCase()) ? p.fallbackOperator : undefined
  const exits: PlannedExit[] = []
  const unplaced: PlanEigenLayerExitsReturnType['unplaced'] = []
  for (const s of details.stakers) {
    if (s.operator === null || !deny.has(s.operator.toLowerCase()) || s.withdrawableShares === 0n) continue
    const perDeposit = maxTokensPerMove(details.depositCaps)
    const bps = BigInt(Math.max(0, Math.min(10_000, Math.round(p.exitBps?.(s.operator) ?? 10_000))))
    const leaving = (s.withdrawableTokens * bps) / 10_000n
    const capped = perDeposit !== undefined && leaving > perDeposit
    const reason = `operator ${s.operator} is deny-listed${capped ? ` (this exit moves the strategy's maxPerDeposit; the rest leaves on the next run)` : ''}`
    if (bps === 0n) continue
    const part = capped ? { shares: (perDeposit * s.withdrawableShares) / s.withdrawableTokens, capped } : bps < 10_000n ? { shares: (s.withdrawableShares * bps) / 10_000n } : {}
    const target = targets[0]
    if (target) exits.push({ from: { staker: s.address, operator: s.operator }, to: { staker: target.address, operator: target.operator! }, withdrawableShares: s.withdrawableShares, ...part, reason })
    else if (fresh && fallback) exits.push({ from: { staker: s.address, operator: s.operator }, to: { staker: fresh.address, operator: fallback }, withdrawableShares: s.withdrawableShares, ...part, reason })
    else unplaced.push({ staker: s.address, operator: s.operator, reason: `${reason}, and no staker of ours is delegated to an allowed operator (set a fallback operator and keep a fresh staker)` })
  }
  return { exits, unplaced }
}
