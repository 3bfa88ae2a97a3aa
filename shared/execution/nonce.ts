/** The nonce of a new intent: never below the chain's pending count, the lock's stored next nonce, or the run's own last nonce + 1. */

/** Inputs of {@link chooseNonce}. */
export interface ChooseNonceParameters {
  /** `eth_getTransactionCount(signer, 'pending')` as the node answered it (may be stale on a lying node). */
  pending: number
  /** Next nonce stored in the signer's lock item (highest persisted intent + 1), if any. */
  stored?: number
  /** The run's previous intent nonce + 1, if it signed one already. */
  floor?: number
}

/** max(pending, stored, floor). */
export function chooseNonce(p: ChooseNonceParameters): number {
  return Math.max(p.pending, p.stored ?? 0, p.floor ?? 0)
}
