/** Tunables of the executor (waits, retries, lease), with production defaults. Tests shorten them; nothing asserts on durations. */

/** Optional tunables of the executor. */
export interface ExecutorOptions {
  /** Poll interval while waiting for a receipt (default: the client's polling interval, else 1000 ms). */
  pollMs?: number
  /** A transaction not mined this long after it was (re)signed is replaced at the same nonce with fees bumped ≥ 12.5 % (default 120 000 ms). */
  replaceAfterMs?: number
  /** While a transaction is not found on chain, the same raw bytes are re-sent at most this often (default 15 000 ms). */
  rebroadcastEveryMs?: number
  /** Stop waiting for one intent after this long; it stays open and the next run resumes it (default 600 000 ms). */
  giveUpAfterMs?: number
  /** Attempts per RPC call on transient errors (5xx, timeouts, dropped connections) (default 6). */
  rpcAttempts?: number
  /** First back-off between RPC attempts, doubled each time, capped at 2 s (default 200 ms). */
  rpcBackoffMs?: number
  /** Lease of the signer's nonce lock; renewed while the run works (default 300 000 ms). */
  leaseMs?: number
  /**
   * Consecutive polls that must see the intent's nonce used while none of its hashes is found on chain before it is
   * closed as `superseded` (protects against a node that briefly answers "no receipt" for a mined tx) (default 5).
   */
  supersedeChecks?: number
}

/** Options with every default filled in. */
export type ResolvedExecutorOptions = Required<ExecutorOptions>

/** Fills in the defaults. */
export function resolveExecutorOptions(o: ExecutorOptions = {}, clientPollingMs?: number): ResolvedExecutorOptions {
  return {
    pollMs: o.pollMs ?? clientPollingMs ?? 1000,
    replaceAfterMs: o.replaceAfterMs ?? 120_000,
    rebroadcastEveryMs: o.rebroadcastEveryMs ?? 15_000,
    giveUpAfterMs: o.giveUpAfterMs ?? 600_000,
    rpcAttempts: o.rpcAttempts ?? 6,
    rpcBackoffMs: o.rpcBackoffMs ?? 200,
    leaseMs: o.leaseMs ?? 300_000,
    supersedeChecks: o.supersedeChecks ?? 5,
  }
}
