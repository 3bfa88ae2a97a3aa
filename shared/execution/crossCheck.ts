/**
 * Receipts that lie: after a receipt is at depth, the executor reads the call's effect (the adapter's
 * {@link EffectCheck}) just before and at the receipt's block, and records what the chain shows. A receipt saying
 * `reverted` for a call whose effect the chain shows is recorded `mined` (and the reverse), with a note saying so;
 * where the chain cannot tell (no check, the value was already set, the read failed) the record follows the receipt
 * and says it is unverified.
 */
import { type Hex, type PublicClient, type TransactionReceipt, numberToHex } from 'viem'
import { type RetryParameters, withRetry } from './retry.js'
import type { EffectCheck, ReceiptVerification } from './types.js'

/** What the record of a settled call says. */
export interface ReceiptVerdict {
  /** The status the intent is recorded with: the chain's, where it could tell. */
  status: 'mined' | 'reverted'
  receiptStatus: 'success' | 'reverted'
  verification: ReceiptVerification
  note: string
}

/** Parameters of {@link judgeReceipt}: what the receipt said and what the chain answered (undefined = not read). */
export interface JudgeReceiptParameters {
  receiptStatus: 'success' | 'reverted'
  blockNumber: bigint
  effect?: Pick<EffectCheck, 'expected' | 'description'>
  /** The effect read at the block before the receipt's, and at the receipt's block. */
  before?: Hex
  after?: Hex
  /** Why the effect could not be read. */
  readError?: string
}

/**
 * Decides what to record from a receipt and the chain's state (pure).
 * @returns the status to record (the chain's when it disagrees with the receipt), the verification and one line for people
 */
export function judgeReceipt(p: JudgeReceiptParameters): ReceiptVerdict {
  const said = p.receiptStatus
  const follow = (why: string): ReceiptVerdict => ({ status: said === 'success' ? 'mined' : 'reverted', receiptStatus: said, verification: 'unverified', note: `receipt says ${said}; unverified: ${why}, so the record follows the receipt` })
  if (!p.effect) return follow('the call carries no effect check')
  if (p.readError !== undefined || p.before === undefined || p.after === undefined) return follow(`${p.effect.description} could not be read (${p.readError ?? 'no answer'})`)
  const expected = p.effect.expected.toLowerCase()
  const d = p.effect.description
  if (p.before.toLowerCase() === expected) return follow(`${d} already held the value before block ${p.blockNumber}: the chain cannot tell whether this call set it`)
  const applied = p.after.toLowerCase() === expected
  const shows = `${d} ${applied ? 'holds' : 'does not hold'} the value the call set at block ${p.blockNumber}`
  if (applied === (said === 'success')) return { status: applied ? 'mined' : 'reverted', receiptStatus: said, verification: 'confirmed', note: `receipt says ${said}; the chain agrees: ${shows}` }
  return applied
    ? { status: 'mined', receiptStatus: said, verification: 'contradicted', note: `receipt said reverted, chain shows effect applied: ${shows}; recorded as mined` }
    : { status: 'reverted', receiptStatus: said, verification: 'contradicted', note: `receipt said success, chain shows no effect: ${shows}; recorded as reverted` }
}

/** The note a run record keeps for an executed call: only when the chain did not simply confirm its receipt. */
export function unconfirmedNote(e: { verification?: ReceiptVerification; note?: string }): { note?: string } {
  return e.verification && e.verification !== 'confirmed' && e.note ? { note: e.note } : {}
}

/**
 * Cross-checks a receipt against the chain: reads `effect` (eth_call) at the block before the receipt's and at the
 * receipt's block, then {@link judgeReceipt}. A failed read never throws: the verdict says it is unverified.
 */
export async function crossCheckReceipt(client: PublicClient, effect: EffectCheck | undefined, receipt: TransactionReceipt, retry: RetryParameters): Promise<ReceiptVerdict> {
  const base = { receiptStatus: receipt.status, blockNumber: receipt.blockNumber }
  if (!effect) return judgeReceipt(base)
  // A plain request: the executor's clients are minimal (no `call` action), and the answer is compared as bytes.
  const read = (blockNumber: bigint) => withRetry('eth_call (effect check)', () => client.request({ method: 'eth_call', params: [{ to: effect.to, data: effect.data }, numberToHex(blockNumber)] }) as Promise<Hex>, retry)
  try {
    const [before, after] = await Promise.all([read(receipt.blockNumber - 1n), read(receipt.blockNumber)])
    return judgeReceipt({ ...base, effect, before, after })
  } catch (e) {
    return judgeReceipt({ ...base, effect, readError: (e as { shortMessage?: string }).shortMessage ?? (e as Error).message?.split('\n')[0] ?? String(e) })
  }
}
