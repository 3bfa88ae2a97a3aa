/** Broadcasts a stored raw transaction; sending the same bytes again is always safe, so "already known"-type answers are outcomes, not errors. */
import { type Hex, type PublicClient, keccak256 } from 'viem'
import { BroadcastRejectedError } from './errors.js'
import { type RetryParameters, isTransientRpcError, withRetry } from './retry.js'

/** What the node said about a raw transaction. */
export type BroadcastOutcome =
  /** Accepted into the pool now. */
  | 'accepted'
  /** The node already has these exact bytes. */
  | 'known'
  /** The nonce is already used (by this transaction, a replacement of it, or another one): the confirm loop decides which. */
  | 'nonceUsed'
  /** Another transaction with this nonce and higher fees is in the pool (typically our own replacement). */
  | 'underpriced'
  /** The base fee is above the transaction's max fee right now; it may fit later or be bumped. */
  | 'belowBaseFee'

const OUTCOMES: [RegExp, BroadcastOutcome][] = [
  [/already known|already imported|known transaction|already exists|alreadyknown/i, 'known'],
  [/nonce too low|nonce has already been used|oldnonce|nonce is too low/i, 'nonceUsed'],
  [/underpriced/i, 'underpriced'],
  [/less than block base fee|fee cap less than|feecap.*base fee|max fee per gas less than/i, 'belowBaseFee'],
]

/** Classifies a node's rejection message; undefined when it is a real error. */
export function classifyBroadcastError(message: string): BroadcastOutcome | undefined {
  return OUTCOMES.find(([re]) => re.test(message))?.[1]
}

/** Sends `rawTx` (retrying transport failures) and classifies the answer; throws BroadcastRejectedError on a real rejection. */
export async function broadcastRaw(client: PublicClient, rawTx: Hex, retry: RetryParameters): Promise<BroadcastOutcome> {
  return withRetry(
    'eth_sendRawTransaction',
    async () => {
      try {
        await client.sendRawTransaction({ serializedTransaction: rawTx })
        return 'accepted' as const
      } catch (e) {
        if (isTransientRpcError(e)) throw e
        const message = errorText(e)
        const outcome = classifyBroadcastError(message)
        if (outcome) return outcome
        throw new BroadcastRejectedError({ txHash: keccak256(rawTx), message: message.split('\n')[0] ?? message, cause: e })
      }
    },
    retry,
  )
}

function errorText(e: unknown): string {
  const parts: string[] = []
  let cur: unknown = e
  for (let i = 0; cur && i < 8; i++) {
    const err = cur as { details?: unknown; message?: unknown; cause?: unknown }
    if (typeof err.details === 'string') parts.push(err.details)
    if (typeof err.message === 'string') parts.push(err.message)
    cur = err.cause
  }
  return parts.join(' | ')
}
