/** EIP-1559 fees under the policy's cap: quote for a new transaction, and the ≥ 12.5 % bump of a replacement. */
import type { PublicClient } from 'viem'
import { GasPriceTooHighError } from './errors.js'
import { type RetryParameters, withRetry } from './retry.js'

/** The two EIP-1559 fee fields of a transaction (wei per gas). */
export interface Fees {
  maxFeePerGas: bigint
  maxPriorityFeePerGas: bigint
}

/** A fee quote: the fees to sign with and the base fee they were derived from. */
export interface FeeQuote extends Fees {
  baseFeePerGas: bigint
}

/** Replacement bump: new = ceil(old × 1125 / 1000), i.e. ≥ 12.5 % (nodes require ≥ 10 %). */
export const FEE_BUMP_PER_MILLE = 1125n

/**
 * Quotes fees for a new transaction: the node's estimate (base fee = max of the latest and the pending block's),
 * with maxFeePerGas limited to `cap`.
 * Throws {@link GasPriceTooHighError} when the price the transaction would pay now (base fee + tip) is above the cap.
 */
export async function quoteFees(client: PublicClient, cap: bigint | undefined, retry: RetryParameters): Promise<FeeQuote> {
  const [latest, pending, estimate] = await Promise.all([
    withRetry('eth_getBlockByNumber(latest)', () => client.getBlock({ blockTag: 'latest' }), retry),
    // The next block's base fee is what inclusion needs; not every node serves a pending block.
    withRetry('eth_getBlockByNumber(pending)', () => client.getBlock({ blockTag: 'pending' }), retry).catch(() => undefined),
    withRetry('fee estimate', () => client.estimateFeesPerGas(), retry),
  ])
  const baseFeePerGas = [latest.baseFeePerGas ?? 0n, pending?.baseFeePerGas ?? 0n].reduce((a, b) => (a > b ? a : b))
  return capFees({ baseFeePerGas, maxFeePerGas: estimate.maxFeePerGas, maxPriorityFeePerGas: estimate.maxPriorityFeePerGas }, cap)
}

/** Pure part of {@link quoteFees}: applies the cap to an estimate, or throws GasPriceTooHighError. */
export function capFees(estimate: FeeQuote, cap: bigint | undefined): FeeQuote {
  const { baseFeePerGas } = estimate
  let { maxFeePerGas, maxPriorityFeePerGas } = estimate
  if (cap !== undefined) {
    if (baseFeePerGas + maxPriorityFeePerGas > cap) throw new GasPriceTooHighError({ baseFeePerGas, maxPriorityFeePerGas, capPerGas: cap })
    if (maxFeePerGas > cap) maxFeePerGas = cap
  }
  if (maxFeePerGas < baseFeePerGas + maxPriorityFeePerGas) maxFeePerGas = baseFeePerGas + maxPriorityFeePerGas
  if (maxPriorityFeePerGas > maxFeePerGas) maxPriorityFeePerGas = maxFeePerGas
  return { baseFeePerGas, maxFeePerGas, maxPriorityFeePerGas }
}

const bump = (v: bigint): bigint => {
  const b = (v * FEE_BUMP_PER_MILLE + 999n) / 1000n
  return b > v ? b : v + 1n
}

/**
 * Fees of a replacement: both fields at least 12.5 % above `previous` (and at least the network's current
 * estimate when given), never above `cap`. Returns undefined when the cap leaves no room for a valid bump.
 */
export function bumpFees(previous: Fees, p: { cap?: bigint; network?: Fees } = {}): Fees | undefined {
  const minMax = bump(previous.maxFeePerGas)
  const minTip = bump(previous.maxPriorityFeePerGas)
  let maxFeePerGas = p.network && p.network.maxFeePerGas > minMax ? p.network.maxFeePerGas : minMax
  let maxPriorityFeePerGas = p.network && p.network.maxPriorityFeePerGas > minTip ? p.network.maxPriorityFeePerGas : minTip
  if (p.cap !== undefined) {
    if (minMax > p.cap) return undefined
    if (maxFeePerGas > p.cap) maxFeePerGas = p.cap
  }
  if (maxPriorityFeePerGas > maxFeePerGas) maxPriorityFeePerGas = maxFeePerGas
  if (maxPriorityFeePerGas < minTip) return undefined
  return { maxFeePerGas, maxPriorityFeePerGas }
}
